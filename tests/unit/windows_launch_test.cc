// Windows only: the launcher of `sandboxctl exec` (engine/os_windows/launch.h). Under
// Wine: the command line and environment read back, the --json-status writer, and the
// checks made before a runner starts. Starting one as a sandbox user needs real Windows
// and an account (WindowsExecReal, label windows-real).
#include <windows.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/os_windows/launch.h"
#include "engine/os_windows/sid.h"
#include "engine/os_windows/text.h"
#include "test_util.h"

namespace sbx {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(WindowsLaunch, ProcessArgumentsAreThisProcesssCommandLineInUtf8) {
  auto args = ProcessArguments();
  ASSERT_TRUE(args.ok()) << args.error().Render();
  ASSERT_FALSE(args->empty());
  // The first is this program, as Windows started it.
  EXPECT_NE(args->front().find("unit_tests"), std::string::npos) << args->front();
}

TEST(WindowsLaunch, ProcessEnvironmentHoldsWhatSetEnvironmentVariableSet) {
  ASSERT_TRUE(SetEnvironmentVariableW(L"SANDBOXCTL_TEST_VARIABLE", L"\u00e9t\u00e9"));
  const auto env = ProcessEnvironment();
  EXPECT_NE(std::find(env.begin(), env.end(), "SANDBOXCTL_TEST_VARIABLE=\xc3\xa9t\xc3\xa9"), env.end());
  SetEnvironmentVariableW(L"SANDBOXCTL_TEST_VARIABLE", nullptr);
}

TEST(WindowsLaunch, CurrentUserSidIsAnAccountsSid) {
  auto sid = CurrentUserSid();
  ASSERT_TRUE(sid.ok()) << sid.error().Render();
  EXPECT_EQ(sid->authority, 5u);
  EXPECT_FALSE(sid->subauthorities.empty());
}

TEST(WindowsLaunch, WriteFileNoFollowMakesAndReplacesAFile) {
  testing::TempTree tree;
  const fs::path path = tree.root() / "status.json";
  ASSERT_TRUE(WriteFileNoFollow(path.string(), "a longer first text\n").ok());
  EXPECT_EQ(ReadAll(path), "a longer first text\n");
  ASSERT_TRUE(WriteFileNoFollow(path.string(), "short\n").ok());
  EXPECT_EQ(ReadAll(path), "short\n") << "what the file held before is gone";
}

TEST(WindowsLaunch, WriteFileNoFollowRefusesADirectoryAndAMissingParent) {
  testing::TempTree tree;
  EXPECT_FALSE(WriteFileNoFollow(tree.root().string(), "x").ok());
  auto missing = WriteFileNoFollow((tree.root() / "no" / "status.json").string(), "x");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().Render().find("CreateFileW"), std::string::npos) << missing.error().Render();
}

RunnerLaunch Launch(const std::string& runner, const std::vector<Sid>& trusted) {
  RunnerLaunch l;
  l.runner = runner;
  l.trusted = trusted;
  l.user = "sbx-nobody";
  l.password = "x";
  l.arguments = {"--capability", "S-1-5-21-1-2-3-4", "--", "cmd.exe"};
  l.environment = std::string("A=b\0\0", 5);
  return l;
}

TEST(WindowsLaunch, AMissingRunnerIsNotStarted) {
  testing::TempTree tree;
  auto me = CurrentUserSid();
  ASSERT_TRUE(me.ok());
  auto outcome = LaunchRunner(
      Launch((tree.root() / "sandboxctl-runner.exe").string(), {LocalSystemSid(), AdministratorsSid(), *me}));
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().code, "not_found") << outcome.error().Render();
}

TEST(WindowsLaunch, ARunnerOthersMayOwnIsNotStarted) {
  testing::TempTree tree;
  const fs::path runner = tree.Write("bin/sandboxctl-runner.exe", "MZ");
  // Trusting only SYSTEM: the file (and its directory) is this user's, and this user may
  // change it, so it is not what an administrator's exec starts as a sandbox user.
  auto outcome = LaunchRunner(Launch(runner.string(), {LocalSystemSid()}));
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().code, "untrusted_state") << outcome.error().Render();
  EXPECT_NE(outcome.error().Render().find("program's directory"), std::string::npos) << outcome.error().Render();
}

}  // namespace
}  // namespace sbx
