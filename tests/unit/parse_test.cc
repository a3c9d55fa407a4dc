#include "engine/profile/parse.h"

#include <gtest/gtest.h>

#include "engine/core/strings.h"

namespace sbx {
namespace {

struct Parsed {
  ParsedProfile profile;
  std::vector<std::string> messages;  // "line:col: message"
};

Parsed Parse(std::string_view text) {
  std::vector<Diagnostic> diags;
  Parsed p{ParseProfileText(text, "p.toml", "o.toml", diags), {}};
  for (const auto& d : diags) {
    p.messages.push_back(std::to_string(d.region.begin.line) + ":" + std::to_string(d.region.begin.column) + ": " +
                         d.message);
  }
  return p;
}

TEST(ParseProfile, ReadsEveryKeyOfTheFormat) {
  auto p = Parse(R"(version = 1
description = "d"
extends = "workspace"
[identity]
user = "sbx-x"
[filesystem]
writable = ["${workspace}", "${tmp}"]
read_only = ["${workspace}/.git"]
readable = ["/opt/sdk"]
deny_read = ["${home}/.ssh"]
[network]
mode = "allowlist"
loopback = true
allow = ["10.20.0.0/16:443"]
[env]
inherit = "none"
allow = ["CARGO_*"]
deny = ["*_TOKEN"]
set = { CI = "true" }
[limits]
timeout = "1h30m"
memory = "8GiB"
processes = 1024
)");
  ASSERT_TRUE(p.messages.empty()) << p.messages.front();
  const auto& s = p.profile.settings;
  EXPECT_TRUE(p.profile.ok);
  EXPECT_EQ(p.profile.extends->value, "workspace");
  EXPECT_EQ(s.user->value, "sbx-x");
  ASSERT_EQ(s.writable.size(), 2u);
  EXPECT_EQ(s.writable[1].value, "${tmp}");
  EXPECT_EQ(s.writable[1].where.begin.line, 7);
  EXPECT_EQ(s.writable[1].where.begin.column, 29);
  EXPECT_EQ(s.writable[1].where.origin, "o.toml");
  EXPECT_EQ(s.network_mode->value, NetworkMode::kAllowlist);
  EXPECT_TRUE(s.loopback->value);
  EXPECT_EQ(s.net_allow[0].value.ToString(), "10.20.0.0/16:443");
  EXPECT_EQ(s.env_inherit->value, EnvInherit::kNone);
  EXPECT_EQ(s.env_set.at("CI").value, "true");
  EXPECT_EQ(s.timeout_seconds->value, 5400u);
  EXPECT_EQ(s.memory_bytes->value, 8ULL << 30);
  EXPECT_EQ(s.processes->value, 1024u);
}

TEST(ParseProfile, ReportsEveryErrorNotOnlyTheFirst) {
  auto p = Parse("version = 1\n[network]\nmode = 3\nloopback = 1\n[limits]\nprocesses = -1\n");
  EXPECT_FALSE(p.profile.ok);
  EXPECT_EQ(p.messages, (std::vector<std::string>{
                            "3:8: 'network.mode' must be a string, not an integer",
                            "4:12: 'network.loopback' must be a boolean, not an integer",
                            "6:13: invalid limits.processes -1: use a number from 1 to 4194304",
                        }));
}

TEST(ParseProfile, ExecUsersMustBeAccountNamesAndNotRoot) {
  auto p = Parse("version = 1\n[identity]\nexec_users = [\"alice\", \"Bad Name\", \"root\"]\n");
  EXPECT_EQ(p.messages, (std::vector<std::string>{
                            "3:24: invalid user name 'Bad Name' in identity.exec_users",
                            "3:36: identity.exec_users need not name root: root may exec any applied profile",
                        }));
  ASSERT_EQ(p.profile.settings.exec_users.size(), 1u);
  EXPECT_EQ(p.profile.settings.exec_users[0].value, "alice");
}

TEST(ParseProfile, SectionThatIsNotATableIsAWrongType) {
  auto p = Parse("version = 1\nnetwork = \"offline\"\n");
  EXPECT_EQ(p.messages, (std::vector<std::string>{"2:11: 'network' must be a table, not a string"}));
}

// Found by fuzz/fuzz_profile.cc: the TOML library answers with undefined behaviour
// whether some characters are whitespace. They reach it as others and come back intact,
// in values, keys and messages alike, at the same positions.
TEST(ParseProfile, CharactersTheTomlLibraryMisjudgesComeBackIntact) {
  EXPECT_EQ(Parse("version = \xd0\x90tene\n").messages,
            (std::vector<std::string>{"1:11: not valid TOML: Error while parsing value: could not determine value type"}));
  auto p = Parse("version = 1 # \xc3\xa9t\xc3\xa9\ndescription = \"\xd0\x90 \xc3\x9c \xef\xb1\xb0 \xe3\x80\x80\"\n"
                 "[env]\nset = { A = '\xc3\xa9' }\n");
  EXPECT_TRUE(p.profile.ok) << Join(p.messages, "\n");
  ASSERT_TRUE(p.profile.settings.description);
  EXPECT_EQ(p.profile.settings.description->value, "\xd0\x90 \xc3\x9c \xef\xb1\xb0 \xe3\x80\x80");
  EXPECT_EQ(p.profile.settings.env_set.at("A").value, "\xc3\xa9");
  // After a line-ending backslash the library asks of the first character of the next line.
  auto q = Parse("version = 1\ndescription = \"\"\"caf\\\n   \xc3\xa9 \xf0\x9f\x98\x80\"\"\"\n");
  EXPECT_TRUE(q.profile.ok) << Join(q.messages, "\n");
  ASSERT_TRUE(q.profile.settings.description);
  EXPECT_EQ(q.profile.settings.description->value, "caf\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_EQ(Parse("version = 1\n[env]\nset = { \"\xc3\x9c\" = \"x\" }\n").messages,
            (std::vector<std::string>{"3:9: invalid environment variable name '\xc3\x9c' in env.set: use letters, digits "
                                      "and '_', not starting with a digit"}));
}

TEST(ParseProfile, PrivateUseCharactersAreRefused) {
  EXPECT_EQ(Parse("version = 1\n# \xf3\xb0\x80\x80\n").messages,
            (std::vector<std::string>{"2:3: private-use character U+F0000 is not allowed in profiles"}));
}

TEST(ParseProfile, WhitespaceOnlyFileIsEmpty) {
  auto p = Parse("  \n\t\n");
  EXPECT_EQ(p.messages, (std::vector<std::string>{"0:0: profile is empty; it needs at least 'version = 1'"}));
}

TEST(ParseProfile, CommentOnlyFileLacksVersion) {
  auto p = Parse("# nothing yet\n");
  EXPECT_EQ(p.messages,
            (std::vector<std::string>{"1:1: missing required key 'version'; add 'version = 1' at the top of the profile"}));
}

TEST(ParseProfile, InvalidUtf8PointsAtTheByte) {
  auto p = Parse("version = 1\n# caf\xe9\n");
  EXPECT_EQ(p.messages, (std::vector<std::string>{"2:6: invalid UTF-8 (byte 0xe9); profiles must be UTF-8 text"}));
}

TEST(ParseProfile, OverlongAndSurrogateUtf8AreInvalid) {
  EXPECT_FALSE(Parse("version = 1\n# \xc0\xaf\n").messages.empty());
  EXPECT_FALSE(Parse("version = 1\n# \xed\xa0\x80\n").messages.empty());
  EXPECT_TRUE(Parse("version = 1\n# \xe2\x9c\x93 \xf0\x9f\x94\x92\n").messages.empty());
}

TEST(ParseProfile, ControlCharactersInValuesAreRefused) {
  auto p = Parse("version = 1\ndescription = \"a\\u001b[31mred\"\n[filesystem]\nwritable = [\"/etc\\u0000/x\"]\n");
  EXPECT_EQ(p.messages, (std::vector<std::string>{
                            "2:15: 'description' contains the control character 0x1b; use plain text",
                            "4:13: 'filesystem.writable' contains the control character 0x00; use plain text",
                        }));
}

TEST(ParseProfile, ListsHaveABoundedLength) {
  std::string many = "version = 1\n[network]\nmode = \"allowlist\"\nallow = [";
  for (int i = 0; i < 1025; ++i) many += "\"10.0.0.1\",";
  many += "]\n";
  auto p = Parse(many);
  EXPECT_EQ(p.messages, (std::vector<std::string>{"4:9: 'network.allow' has 1025 entries; at most 1024 are allowed"}));
}

TEST(ParseProfile, DuplicateListEntriesCollapse) {
  auto p = Parse("version = 1\n[filesystem]\nwritable = [\"/srv/a\", \"/srv/a\"]\n");
  EXPECT_EQ(p.profile.settings.writable.size(), 1u);
}

TEST(ParseDuration, AcceptsUnitsLargestFirst) {
  EXPECT_EQ(ParseDuration("90s"), 90u);
  EXPECT_EQ(ParseDuration("30m"), 1800u);
  EXPECT_EQ(ParseDuration("1h30m"), 5400u);
  EXPECT_EQ(ParseDuration("2d"), 172800u);
  EXPECT_EQ(ParseDuration("30m1h"), std::nullopt);
  EXPECT_EQ(ParseDuration("1h1h"), std::nullopt);
  EXPECT_EQ(ParseDuration("30"), std::nullopt);
  EXPECT_EQ(ParseDuration("30 minutes"), std::nullopt);
  EXPECT_EQ(ParseDuration(""), std::nullopt);
}

TEST(ParseSize, AcceptsBinaryAndDecimalUnits) {
  EXPECT_EQ(ParseSize("8GiB"), 8ULL << 30);
  EXPECT_EQ(ParseSize("512MiB"), 512ULL << 20);
  EXPECT_EQ(ParseSize("1GB"), 1000000000ULL);
  EXPECT_EQ(ParseSize("4096B"), 4096u);
  EXPECT_EQ(ParseSize("8G"), std::nullopt);
  EXPECT_EQ(ParseSize("GiB"), std::nullopt);
  EXPECT_EQ(ParseSize("99999999999TiB"), std::nullopt);  // overflows 64 bits
}

TEST(UserNames, FollowUseraddRulesAndRefuseSystemAccounts) {
  EXPECT_TRUE(IsValidUserName("sbx-offline"));
  EXPECT_TRUE(IsValidUserName("_build"));
  EXPECT_FALSE(IsValidUserName("Sbx"));
  EXPECT_FALSE(IsValidUserName("1sbx"));
  EXPECT_FALSE(IsValidUserName("a b"));
  EXPECT_FALSE(IsValidUserName(std::string(33, 'a')));
  EXPECT_TRUE(IsReservedUserName("root"));
  EXPECT_TRUE(IsReservedUserName("nobody"));
  EXPECT_TRUE(IsReservedUserName("systemd-oom"));
  EXPECT_FALSE(IsReservedUserName("sbx-root"));
}

TEST(EnvPatterns, AllowGlobCharactersOnly) {
  EXPECT_TRUE(IsValidEnvPattern("CARGO_*"));
  EXPECT_TRUE(IsValidEnvPattern("LC_?"));
  EXPECT_FALSE(IsValidEnvPattern("A-B"));
  EXPECT_FALSE(IsValidEnvPattern(""));
  EXPECT_TRUE(IsValidEnvName("_X1"));
  EXPECT_FALSE(IsValidEnvName("1X"));
}

}  // namespace
}  // namespace sbx

namespace sbx {
namespace {

TEST(DecodeUtf8, ReadsEachLengthAndRefusesWhatIsNotUtf8) {
  uint32_t cp = 0;
  EXPECT_EQ(DecodeUtf8("a", 0, &cp), 1u);
  EXPECT_EQ(cp, 0x61u);
  EXPECT_EQ(DecodeUtf8("\xc3\xa9", 0, &cp), 2u);
  EXPECT_EQ(cp, 0xE9u);
  EXPECT_EQ(DecodeUtf8("\xe2\x80\x99", 0, &cp), 3u);
  EXPECT_EQ(cp, 0x2019u);
  EXPECT_EQ(DecodeUtf8("\xf0\x9f\x98\x80", 0, &cp), 4u);
  EXPECT_EQ(cp, 0x1F600u);
  for (const char* bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x80", "\x80", "\xff"}) {
    EXPECT_EQ(DecodeUtf8(bad, 0, &cp), 0u) << bad;  // overlong, surrogate, past U+10FFFF, cut, stray
  }
}

}  // namespace
}  // namespace sbx

namespace sbx {
namespace {

TEST(ParseProfile, IsolationIsAnyOrUser) {
  auto user = Parse("version = 1\nisolation = \"user\"\n");
  ASSERT_TRUE(user.profile.ok) << Join(user.messages, "\n");
  ASSERT_TRUE(user.profile.settings.isolation);
  EXPECT_EQ(user.profile.settings.isolation->value, IsolationRequirement::kUser);
  auto bad = Parse("version = 1\nisolation = \"usr\"\n");
  EXPECT_FALSE(bad.profile.ok);
  EXPECT_EQ(bad.messages, (std::vector<std::string>{
                              "2:13: invalid isolation 'usr'; expected one of \"any\", \"user\"; did you mean 'user'?"}));
}

TEST(MergeProfile, AUserIsolationRequirementIsAFloorNoChildLifts) {
  ProfileSettings user, any;
  user.isolation = Located<IsolationRequirement>{IsolationRequirement::kUser, {}};
  any.isolation = Located<IsolationRequirement>{IsolationRequirement::kAny, {}};
  EXPECT_EQ(MergeSettings(user, any).isolation->value, IsolationRequirement::kUser);
  EXPECT_EQ(MergeSettings(any, user).isolation->value, IsolationRequirement::kUser);
  EXPECT_EQ(MergeSettings(any, ProfileSettings{}).isolation->value, IsolationRequirement::kAny);
}

}  // namespace
}  // namespace sbx
