// The sandboxctl binary end to end: the invalid-profile corpus (whole messages), golden
// plans of every example for both targets, byte-identical JSON, exit codes and help.
//
// Golden files are regenerated with SANDBOXCTL_UPDATE_GOLDENS=1; review the diff.
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "../system/system_util.h"

namespace {

namespace fs = std::filesystem;
namespace bp = boost::process;

const fs::path kSource = SANDBOXCTL_SOURCE_DIR;

using sbx::testing::Outcome;
using sbx::testing::ReadFile;

class Scratch {
 public:
  Scratch() : dir_(UniquePath()) { fs::create_directories(dir_); }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const fs::path& dir() const { return dir_; }

 private:
  static fs::path UniquePath() {
    std::random_device rd;
    return fs::temp_directory_path() / ("sandboxctl-cli-" + std::to_string(rd()) + std::to_string(rd()));
  }

  fs::path dir_;
};

// Runs sandboxctl in `cwd`, isolated from machine-wide profiles in /etc/sandboxctl.
Outcome Sandboxctl(const std::vector<std::string>& args, const fs::path& cwd = kSource) {
  EXPECT_TRUE(fs::is_directory(cwd)) << cwd << " does not exist";
  Scratch s;
  std::vector<std::string> argv{"--machine-profiles", ""};
  argv.insert(argv.end(), args.begin(), args.end());
  Outcome r;
  r.exit_code = bp::system(bp::exe = SANDBOXCTL_BIN, bp::args = argv, bp::start_dir = cwd.string(),
                           bp::std_out > (s.dir() / "out").string(), bp::std_err > (s.dir() / "err").string(),
                           bp::std_in < bp::null);
  r.out = ReadFile(s.dir() / "out");
  r.err = ReadFile(s.dir() / "err");
  return r;
}

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

// The home directory sandboxctl expands ${home} to for the user running the tests.
std::string HomeDirectory() {
  const passwd* pw = getpwuid(getuid());
  return pw && pw->pw_dir ? pw->pw_dir : "/nonexistent";
}

bool UpdateGoldens() { return std::getenv("SANDBOXCTL_UPDATE_GOLDENS") != nullptr; }

void ExpectGolden(const fs::path& golden, const std::string& actual) {
  if (UpdateGoldens()) {
    fs::create_directories(golden.parent_path());
    std::ofstream(golden, std::ios::binary) << actual;
    return;
  }
  ASSERT_TRUE(fs::exists(golden)) << golden << " is missing; run with SANDBOXCTL_UPDATE_GOLDENS=1";
  EXPECT_EQ(actual, ReadFile(golden)) << "golden: " << golden;
}

std::vector<std::string> Subdirectories(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory()) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string TestName(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

// --- The invalid-profile corpus: tests/invalid/<case>/ is a workspace whose profiles
// are wrong; expected.txt is the whole of what `validate` prints to stderr, with the
// case directory written as $WORKSPACE. An `args` file lists validate's arguments.

class InvalidProfile : public ::testing::TestWithParam<std::string> {};

TEST_P(InvalidProfile, IsRejectedWithTheWholeExpectedMessage) {
  const fs::path dir = kSource / "tests" / "invalid" / GetParam();
  std::vector<std::string> args{"validate"};
  if (fs::exists(dir / "args")) {
    std::istringstream lines(ReadFile(dir / "args"));
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) args.push_back(line);
    }
  }
  Outcome r = Sandboxctl(args, dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  ExpectGolden(dir / "expected.txt", ReplaceAll(ReplaceAll(r.err, dir.string(), "$WORKSPACE"), HomeDirectory(), "$HOME"));
}

INSTANTIATE_TEST_SUITE_P(Corpus, InvalidProfile, ::testing::ValuesIn(Subdirectories(kSource / "tests" / "invalid")),
                         [](const auto& info) { return TestName(info.param); });

TEST(InvalidProfile, FileOverOneMebibyteIsRefused) {
  Scratch s;
  std::ofstream(s.dir() / "huge.toml") << "version = 1\n" << std::string(1 << 20, '#') << "\n";
  Outcome r = Sandboxctl({"validate", "huge.toml"}, s.dir());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "huge.toml: error: file is 1048589 bytes; profiles are limited to 1 MiB (1048576 bytes)\n"
            "1 error in 1 profile file\n");
}

TEST(InvalidProfile, JsonOutputCarriesCodesAndPositions) {
  Outcome r = Sandboxctl({"--json", "validate"}, kSource / "tests" / "invalid" / "enum-values");
  EXPECT_EQ(r.exit_code, 1);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["valid"], false);
  ASSERT_EQ(j["diagnostics"].size(), 2u);
  EXPECT_EQ(j["diagnostics"][0],
            (nlohmann::json{{"severity", "error"},
                            {"code", "invalid_value"},
                            {"file", ".sandboxctl/enums.toml"},
                            {"origin", ".sandboxctl/enums.toml"},
                            {"line", 4},
                            {"column", 8},
                            {"message", "invalid network mode 'ofline'; expected one of \"offline\", \"online\", "
                                        "\"allowlist\"; did you mean 'offline'?"}}));
}

// --- Golden plans: every example, both targets, text and JSON, in a fixed context so
// they hold on any machine.

struct GoldenCase {
  std::string example;
  std::string target;
  std::string format;  // text, json, powershell
};

void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.example << " " << c.target << " " << c.format; }

std::vector<GoldenCase> GoldenCases() {
  std::vector<GoldenCase> out;
  for (const auto& e : Subdirectories(kSource / "examples")) {
    for (const char* t : {"linux", "windows"}) {
      out.push_back({e, t, "text"});
      out.push_back({e, t, "json"});
    }
    out.push_back({e, "windows", "powershell"});
  }
  return out;
}

std::vector<std::string> ContextArgs(const std::string& example, const std::string& target) {
  if (target == "windows") {
    return {"--target", "windows", "--as-workspace", R"(C:\Users\dev\src\)" + example, "--as-user", "dev",
            "--as-home", "C:\\Users\\dev"};
  }
  return {"--target", "linux", "--as-workspace", "/home/dev/src/" + example, "--as-user", "dev", "--as-home",
          "/home/dev"};
}

class GoldenPlan : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenPlan, MatchesTheCheckedInPlan) {
  const auto& c = GetParam();
  const fs::path dir = kSource / "examples" / c.example;
  std::vector<std::string> args{"--workspace", dir.string()};
  if (c.format == "json") args.emplace_back("--json");
  args.emplace_back("compile");
  if (c.format == "powershell") args.insert(args.end(), {"--format", "powershell"});
  for (const auto& a : ContextArgs(c.example, c.target)) args.push_back(a);
  Outcome r = Sandboxctl(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const char* extension = c.format == "json" ? ".json" : c.format == "powershell" ? ".ps1" : ".txt";
  ExpectGolden(dir / "expected" / (c.target + extension), r.out);
}

INSTANTIATE_TEST_SUITE_P(Examples, GoldenPlan, ::testing::ValuesIn(GoldenCases()), [](const auto& info) {
  return TestName(info.param.example + "_" + info.param.target + "_" + info.param.format);
});

// Quotes in a path cannot end a PowerShell string early, typographic ones included
// (PowerShell takes them for quotes too), and no line break can end a comment.
TEST(Compile, PowerShellQuotesEveryPathFromAProfile) {
  Scratch ws;
  fs::create_directories(ws.dir() / ".sandboxctl");
  std::ofstream(ws.dir() / ".sandboxctl/q.toml")
      << "version = 1\n[filesystem]\nwritable = [\"C:\\\\it's\\\\a\xe2\x80\x99" "b\"]\n[network]\nmode = \"offline\"\n";
  Outcome r = Sandboxctl({"--workspace", ws.dir().string(), "compile", "--format", "powershell", "--target",
                            "windows", "--as-workspace", "C:\\ws", "--as-user", "dev", "--as-home", "C:\\Users\\dev"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Non-ASCII characters as [char] codes (Windows PowerShell 5.1 reads a file without a BOM
  // in the ANSI code page), ' doubled; the whole script is ASCII.
  EXPECT_NE(r.out.find("Invoke-SandboxctlIcacls ('C:\\it''s\\a' + [char]0x2019 + 'b') /grant 'sbx-q:(OI)(CI)M'"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(std::count_if(r.out.begin(), r.out.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }), 0);
  Outcome linux_target = Sandboxctl({"--workspace", ws.dir().string(), "compile", "--format", "powershell"});
  EXPECT_EQ(linux_target.exit_code, 2);
  EXPECT_NE(linux_target.err.find("--format powershell renders Windows plans; add --target windows"), std::string::npos);
}

TEST(Compile, JsonIsByteIdenticalAcrossRunsAndDirectories) {
  const fs::path ws = kSource / "examples" / "webapp";
  Outcome first = Sandboxctl({"--json", "compile"}, ws);
  Outcome second = Sandboxctl({"--json", "compile"}, ws);
  Outcome elsewhere = Sandboxctl({"--workspace", ws.string(), "--json", "compile"}, fs::temp_directory_path());
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_FALSE(first.out.empty());
  EXPECT_EQ(first.out, second.out);
  EXPECT_EQ(first.out, elsewhere.out);
  // No build paths: built-in profiles are named by their file name only.
  EXPECT_EQ(first.out.find(SANDBOXCTL_BIN), std::string::npos);
  EXPECT_NE(first.out.find("\"builtin:workspace.toml\""), std::string::npos);
}

TEST(Compile, UnknownProfileSuggestsTheClosestName) {
  Outcome r = Sandboxctl({"compile", "--profile", "ofline"}, kSource / "examples" / "webapp");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "sandboxctl: error: unknown profile 'ofline'; did you mean 'offline'? (available: base, "
            "deploy-preview, offline, online, readonly, workspace)\n");
}

TEST(Compile, BuiltinProfileCanBeNamedInAnyWorkspace) {
  Scratch s;
  fs::create_directories(s.dir() / "project");
  Outcome r = Sandboxctl({"--workspace", (s.dir() / "project").string(), "--json", "compile", "--profile", "readonly"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["profiles"][0]["origin"], "builtin:readonly.toml");
  EXPECT_EQ(j["launches"][0]["filesystem"]["readable"], nlohmann::json({(s.dir() / "project").string()}));
}

// --- validate / list on the examples.

TEST(Validate, AllExamplesAndBuiltinProfilesAreValid) {
  std::vector<std::string> args{"validate"};
  for (const auto& e : Subdirectories(kSource / "examples")) args.push_back("examples/" + e);
  args.emplace_back("profiles");
  Outcome r = Sandboxctl(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  for (const auto& e : Subdirectories(kSource / "examples")) {
    EXPECT_NE(r.out.find("examples/" + e + "/.sandboxctl: "), std::string::npos) << r.out;
  }
  EXPECT_NE(r.out.find("files: 5 profiles valid (base, offline, online, readonly, workspace)"), std::string::npos)
      << r.out;
}

TEST(Validate, WorkspaceWithoutProfilesIsAnError) {
  Scratch s;
  Outcome r = Sandboxctl({"--workspace", s.dir().string(), "validate"}, s.dir());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            ".sandboxctl: error: no profiles to validate (add .toml files to .sandboxctl/ or name files to check)\n"
            "1 error in 0 profile files\n");
}

TEST(List, ShowsOriginsAndShadowedBuiltins) {
  const fs::path ws = kSource / "examples" / "webapp";
  Outcome r = Sandboxctl({"list"}, ws / "src");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ExpectGolden(kSource / "tests" / "cli" / "list_webapp.txt", ReplaceAll(r.out, ws.string(), "$WORKSPACE"));
}

TEST(List, JsonNamesTheLayerOfEachProfile) {
  Outcome r = Sandboxctl({"list", "--json"}, kSource / "examples" / "webapp");
  ASSERT_EQ(r.exit_code, 0);
  auto j = nlohmann::json::parse(r.out);
  bool saw_hidden = false;
  for (const auto& p : j["profiles"]) {
    if (p["origin"] == "builtin:offline.toml") {
      saw_hidden = true;
      EXPECT_EQ(p["shadowed_by"], ".sandboxctl/offline.toml");
      EXPECT_EQ(p["layer"], "builtin");
    }
  }
  EXPECT_TRUE(saw_hidden);
}

// --- Exit codes and help.

TEST(CommandLine, UnknownCommandIsAUsageError) {
  Outcome r = Sandboxctl({"complie"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sandboxctl: unknown command 'complie'; did you mean 'compile'?\nTry 'sandboxctl help'.\n");
}

TEST(CommandLine, UnknownOptionIsAUsageError) {
  Outcome r = Sandboxctl({"validate", "--frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "sandboxctl validate: unrecognised option '--frobnicate'\nTry 'sandboxctl help validate'.\n");
}

TEST(CommandLine, BadTargetIsAUsageError) {
  Outcome r = Sandboxctl({"compile", "--target", "macos"}, kSource / "examples" / "webapp");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sandboxctl compile: invalid --target 'macos'; use linux or windows\nTry 'sandboxctl help compile'.\n");
}

TEST(CommandLine, NoCommandPrintsUsageAndFails) {
  Outcome r = Sandboxctl({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("Usage: sandboxctl [OPTIONS] <command> [ARGS]"), std::string::npos);
}

TEST(CommandLine, EveryCommandHasHelp) {
  for (const char* command : {"validate", "list", "compile"}) {
    Outcome viaHelp = Sandboxctl({"help", command});
    Outcome viaFlag = Sandboxctl({command, "--help"});
    EXPECT_EQ(viaHelp.exit_code, 0) << command;
    EXPECT_EQ(viaHelp.out, viaFlag.out) << command;
    EXPECT_NE(viaHelp.out.find(std::string("Usage: sandboxctl ") + command), std::string::npos) << viaHelp.out;
    EXPECT_NE(viaHelp.out.find("--json"), std::string::npos) << command;
  }
}

TEST(CommandLine, VersionPrintsTheVersion) {
  Outcome r = Sandboxctl({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("sandboxctl ", 0), 0u);
}

TEST(CommandLine, GlobalOptionsWorkAfterTheCommandToo) {
  Outcome before = Sandboxctl({"--json", "list"}, kSource / "examples" / "webapp");
  Outcome after = Sandboxctl({"list", "--json"}, kSource / "examples" / "webapp");
  EXPECT_EQ(before.exit_code, 0);
  EXPECT_EQ(before.out, after.out);
}

}  // namespace
