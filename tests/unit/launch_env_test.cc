#include <gtest/gtest.h>

#include "engine/plan/launch_env.h"

namespace sbx {
namespace {

TEST(EnvPattern, MatchesWholeNamesWithStarAndQuestionMark) {
  EXPECT_TRUE(MatchEnvPattern("*_TOKEN", "GITHUB_TOKEN"));
  EXPECT_FALSE(MatchEnvPattern("*_TOKEN", "GITHUB_TOKENS"));
  EXPECT_TRUE(MatchEnvPattern("*SECRET*", "SECRET"));
  EXPECT_TRUE(MatchEnvPattern("LC_*", "LC_ALL"));
  EXPECT_FALSE(MatchEnvPattern("LC_*", "XLC_ALL"));
  EXPECT_TRUE(MatchEnvPattern("A?C", "ABC"));
  EXPECT_FALSE(MatchEnvPattern("A?C", "AC"));
  EXPECT_TRUE(MatchEnvPattern("*_*_KEY", "A_B_C_KEY"));
  EXPECT_FALSE(MatchEnvPattern("PATH", "PATHS"));
}

LaunchSpec Spec(EnvInherit inherit) {
  LaunchSpec s;
  s.env_inherit = inherit;
  s.env_core = {"PATH", "LANG", "LC_*"};
  s.env_deny = {"*_TOKEN", "AWS_*"};
  return s;
}

const std::vector<std::string> kCaller = {"PATH=/usr/bin", "LC_ALL=C", "GITHUB_TOKEN=ghp_x", "AWS_REGION=eu",
                                          "EDITOR=vi", "CI_TOKEN=t", "MALFORMED", "=empty", "PATH=/second"};

TEST(SandboxEnvironment, CoreKeepsTheCoreListAndDropsSecrets) {
  EXPECT_EQ(SandboxEnvironment(Spec(EnvInherit::kCore), kCaller, {{"TMPDIR", "/t"}}),
            (std::vector<std::string>{"LC_ALL=C", "PATH=/usr/bin", "TMPDIR=/t"}));
}

TEST(SandboxEnvironment, DenyWinsOverAllowAndInheritAll) {
  LaunchSpec s = Spec(EnvInherit::kAll);
  s.env_allow = {"GITHUB_TOKEN"};
  EXPECT_EQ(SandboxEnvironment(s, kCaller, {}),
            (std::vector<std::string>{"EDITOR=vi", "LC_ALL=C", "PATH=/usr/bin"}));
}

TEST(SandboxEnvironment, NoneStartsEmptyThenAllowAndSetApply) {
  LaunchSpec s = Spec(EnvInherit::kNone);
  s.env_allow = {"EDITOR"};
  s.env_set = {{"HOME", "/work/home"}, {"CI_TOKEN", "from-profile"}};
  EXPECT_EQ(SandboxEnvironment(s, kCaller, {{"HOME", "/tmp/home"}, {"TMPDIR", "/t"}}),
            (std::vector<std::string>{"CI_TOKEN=from-profile", "EDITOR=vi", "HOME=/work/home", "TMPDIR=/t"}));
}

TEST(SandboxEnvironment, WindowsNamesMatchWithoutRegardToCase) {
  const std::vector<std::string> caller = {"Path=C:\\Windows", "github_token=ghp_x", "Lc_All=C", "Aws_Region=eu",
                                           "SystemRoot=C:\\Windows"};
  // The core list's PATH and LC_* are the caller's "Path" and "Lc_All".
  EXPECT_EQ(SandboxEnvironment(Spec(EnvInherit::kCore), caller, {}, Target::kWindows),
            (std::vector<std::string>{"Lc_All=C", "Path=C:\\Windows"}));
  // The deny patterns meet lower-case secrets; the profile's PATH replaces the caller's
  // "Path" instead of standing beside it.
  LaunchSpec s = Spec(EnvInherit::kAll);
  s.env_set = {{"PATH", "C:\\tools"}};
  EXPECT_EQ(SandboxEnvironment(s, caller, {{"TEMP", "C:\\t"}}, Target::kWindows),
            (std::vector<std::string>{"Lc_All=C", "PATH=C:\\tools", "SystemRoot=C:\\Windows", "TEMP=C:\\t"}));
  // On Linux "Path" is another variable than PATH; the secrets are denied all the same.
  EXPECT_EQ(SandboxEnvironment(s, caller, {}),
            (std::vector<std::string>{"Lc_All=C", "PATH=C:\\tools", "Path=C:\\Windows", "SystemRoot=C:\\Windows"}));
}

TEST(SandboxEnvironment, TheDefaultSecretListIsAFloorThatMatchesEverySpelling) {
  LaunchSpec s = Spec(EnvInherit::kNone);
  s.env_deny = DefaultEnvDeny();
  s.env_allow = {"npm_config_*", "*"};  // README's own pattern, and then everything
  const std::vector<std::string> secrets = {"npm_config__authToken=x", "github_token=x", "GITLAB_PAT=x",
                                            "DB_PASS=x",               "STRIPE_KEY=x",   "SIGNING_KEY_FILE=x",
                                            "Npm_Token=x",             "MY_APIKEY=x",    "aws_secret_access_key=x",
                                            "DOCKER_AUTH_CONFIG=x",    "SSH_AUTH_SOCK=x"};
  std::vector<std::string> caller = secrets;
  caller.emplace_back("npm_config_cache=/c");
  EXPECT_EQ(SandboxEnvironment(s, caller, {}), (std::vector<std::string>{"npm_config_cache=/c"}));
}

TEST(SandboxEnvironment, WindowsKeepsTheProfilesHomeWhateverItsCase) {
  LaunchSpec s = Spec(EnvInherit::kNone);
  s.env_set = {{"Home", "D:\\h"}};
  EXPECT_EQ(SandboxEnvironment(s, {}, {{"HOME", "C:\\t"}, {"TMP", "C:\\t"}}, Target::kWindows),
            (std::vector<std::string>{"Home=D:\\h", "TMP=C:\\t"}));
}

TEST(LaunchEnv, WindowsPathsCompareWithoutRegardToCase) {
  LaunchSpec spec;
  spec.writable = {"C:\\src\\app"};
  spec.deny_read = {R"(C:\src\app\.env)"};
  EXPECT_TRUE(MayRunIn(spec, "C:\\src\\app", "C:\\t", "c:\\SRC\\App\\lib", Target::kWindows));
  EXPECT_FALSE(MayRunIn(spec, "C:\\src\\app", "C:\\t", "C:\\SRC\\APP\\.ENV", Target::kWindows));
  EXPECT_FALSE(MayRunIn(spec, "C:\\src\\app", "C:\\t", "C:\\src\\apps", Target::kWindows));
}

TEST(LaunchEnv, CommandsStartOnlyWhereTheSandboxMayRead) {
  LaunchSpec spec;
  spec.writable = {"/w"};
  spec.read_only = {"/w/.git"};
  spec.readable = {"/opt/sdk"};
  spec.deny_read = {"/w/.env"};
  EXPECT_TRUE(MayRunIn(spec, "/w", "/var/tmp/t", "/w/src"));
  EXPECT_TRUE(MayRunIn(spec, "/w", "/var/tmp/t", "/opt/sdk/bin"));
  EXPECT_TRUE(MayRunIn(spec, "/w", "/var/tmp/t", "/var/tmp/t"));
  EXPECT_FALSE(MayRunIn(spec, "/w", "/var/tmp/t", "/w/.env/sub"));
  EXPECT_FALSE(MayRunIn(spec, "/w", "/var/tmp/t", "/etc"));
  EXPECT_FALSE(MayRunIn(spec, "/w", "/var/tmp/t", "/wx"));
}

TEST(LaunchEnv, SandboxUserTrustsTheWorkspaceForGitUnlessTheProfileSetsGitConfig) {
  LaunchSpec spec;
  spec.profile = "offline";
  spec.user = "sbx-offline";
  const std::map<std::string, std::string> where = {{"SANDBOXCTL_ISOLATION", "user"}, {"SANDBOXCTL_PROFILE", "offline"}};
  auto with_where = [&](std::map<std::string, std::string> vars) {
    vars.insert(where.begin(), where.end());
    return vars;
  };
  EXPECT_EQ(SandboxUserVariables(spec, "/w"), with_where({{"GIT_CONFIG_COUNT", "1"},
                                                          {"GIT_CONFIG_KEY_0", "safe.directory"},
                                                          {"GIT_CONFIG_VALUE_0", "/w"},
                                                          {"LOGNAME", "sbx-offline"},
                                                          {"USER", "sbx-offline"}}));
  spec.env_set["GIT_CONFIG_COUNT"] = "0";
  EXPECT_EQ(SandboxUserVariables(spec, "/w"), with_where({{"LOGNAME", "sbx-offline"}, {"USER", "sbx-offline"}}));
  EXPECT_EQ(SandboxUserVariables(spec, "C:\\w", Target::kWindows), with_where({{"USERNAME", "sbx-offline"}}));
}

TEST(LaunchEnv, TheCommandIsToldItsProfileAndIsolation) {
  LaunchSpec spec;
  spec.profile = "ci";
  EXPECT_EQ(RunVariables(spec, "namespace"),
            (std::map<std::string, std::string>{{"SANDBOXCTL_ISOLATION", "namespace"}, {"SANDBOXCTL_PROFILE", "ci"}}));
}

}  // namespace
}  // namespace sbx
