#include "engine/plan/plan.h"

#include <gtest/gtest.h>

#include "engine/profile/parse.h"
#include "test_util.h"

namespace sbx {
namespace {

Profile Make(const std::string& name, const std::string& text) { return testing::MakeProfile(name, text); }

Context LinuxContext() {
  return Context{Target::kLinux, "/home/dev/src/app", "dev", "/home/dev", "/var/tmp/sandboxctl"};
}

Context WindowsContext() {
  return Context{Target::kWindows, R"(C:\src\app)", "dev", R"(C:\Users\dev)", R"(C:\ProgramData\sandboxctl\tmp)"};
}

std::vector<std::string> Ids(const Plan& plan) {
  std::vector<std::string> ids;
  for (const auto& r : plan.resources) ids.push_back(r.id);
  return ids;
}

std::vector<std::string> Messages(const CompileResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics) out.push_back(std::string(SeverityName(d.severity)) + ": " + d.message);
  return out;
}

const char* kOffline = testing::kOfflineProfile;

TEST(CompileLinux, OfflineProfileBecomesUserAclsAndRejectRules) {
  Profile p = Make("offline", kOffline);
  CompileResult r = CompilePlan({&p}, LinuxContext());
  ASSERT_TRUE(r.ok()) << Messages(r).front();
  const std::string tmp = ProfileTmpDir(r.plan.context, "offline");
  EXPECT_EQ(Ids(r.plan), (std::vector<std::string>{
                             "group:sandboxctl",
                             "group:sbx-offline",
                             "member:sandboxctl:dev",
                             "user:sbx-offline",
                             "dir:/var/tmp/sandboxctl",
                             "dir:" + tmp,
                             "grant:deny_read:sbx-offline:/home/dev/.ssh",
                             "grant:deny_write:sbx-offline:/home/dev/src/app/.git",
                             "grant:deny_write:sbx-offline:/home/dev/src/app/.sandboxctl",
                             "grant:owner_default:dev:/home/dev/src/app",
                             "grant:owner_default:dev:" + tmp,
                             "grant:traverse:sbx-offline:/home",
                             "grant:traverse:sbx-offline:/home/dev",
                             "grant:traverse:sbx-offline:/home/dev/src",
                             "grant:traverse:sbx-offline:/var",
                             "grant:traverse:sbx-offline:/var/tmp",
                             "grant:traverse:sbx-offline:/var/tmp/sandboxctl",
                             "grant:write:sbx-offline:/home/dev/src/app",
                             "grant:write:sbx-offline:" + tmp,
                             "boot:firewall",
                             "nft:chain",
                             "nft:sbx-offline:0001-reject-tcp",
                             "nft:sbx-offline:0002-reject-all",
                             "nft:table",
                             "launch:/home/dev/src/app:offline",
                             "runner",
                         }));
  const Resource* write = r.plan.Find("grant:write:sbx-offline:/home/dev/src/app");
  ASSERT_NE(write, nullptr);
  EXPECT_EQ(write->attributes["acl"], nlohmann::json({"user:sbx-offline:rwX"}));
  EXPECT_EQ(write->attributes["default_acl"], nlohmann::json({"user:sbx-offline:rwx"}));
  // Files the sandbox creates stay usable by the invoking user: a resource of its own, so
  // profiles sharing a writable root share it and destroy removes it once.
  const Resource* owner = r.plan.Find("grant:owner_default:dev:/home/dev/src/app");
  ASSERT_NE(owner, nullptr);
  EXPECT_EQ(owner->attributes["acl"], nlohmann::json::array());
  EXPECT_EQ(owner->attributes["default_acl"], nlohmann::json({"user:dev:rwx"}));
  // Nested grants are left alone when the tree is walked, sandboxctl's own profiles included.
  EXPECT_EQ(write->attributes["except"], nlohmann::json({"/home/dev/src/app/.git", "/home/dev/src/app/.sandboxctl"}));
  EXPECT_EQ(write->origins, (std::vector<Origin>{{".sandboxctl/offline.toml", 3}}));
  const Resource* traverse = r.plan.Find("grant:traverse:sbx-offline:/home/dev");
  EXPECT_EQ(traverse->attributes["acl"], nlohmann::json({"user:sbx-offline:--x"}));
  EXPECT_EQ(traverse->attributes["only_if_needed"], true);
  EXPECT_EQ(r.plan.Find("nft:sbx-offline:0002-reject-all")->attributes["rule"],
            "meta skuid \"sbx-offline\" reject with icmpx type admin-prohibited");
}

TEST(CompileLinux, LoopbackAndAllowlistAcceptBeforeReject) {
  Profile p = Make("ci", R"(version = 1
[network]
mode = "allowlist"
loopback = true
allow = ["10.20.0.0/16:443", "[fd00::/8]:8443", "192.0.2.1"]
)");
  CompileResult r = CompilePlan({&p}, LinuxContext());
  ASSERT_TRUE(r.ok());
  std::vector<std::string> rules;
  for (const auto& res : r.plan.resources) {
    if (res.type == "nft_rule") rules.push_back(res.attributes["rule"]);
  }
  EXPECT_EQ(rules, (std::vector<std::string>{
                       "meta skuid \"sbx-ci\" ip daddr 127.0.0.0/8 accept",
                       "meta skuid \"sbx-ci\" ip6 daddr ::1 accept",
                       "meta skuid \"sbx-ci\" ip daddr 10.20.0.0/16 meta l4proto { tcp, udp } th dport 443 accept",
                       "meta skuid \"sbx-ci\" ip daddr 192.0.2.1/32 accept",
                       "meta skuid \"sbx-ci\" ip6 daddr fd00::/8 meta l4proto { tcp, udp } th dport 8443 accept",
                       "meta skuid \"sbx-ci\" meta l4proto tcp reject with tcp reset",
                       "meta skuid \"sbx-ci\" reject with icmpx type admin-prohibited",
                   }));
}

TEST(CompileLinux, OnlineProfileHasNoFirewallTable) {
  Profile p = Make("net", "version = 1\n[network]\nmode = \"online\"\n");
  CompileResult r = CompilePlan({&p}, LinuxContext());
  EXPECT_EQ(Ids(r.plan), (std::vector<std::string>{"group:sandboxctl", "group:sbx-net", "member:sandboxctl:dev",
                                                   "user:sbx-net", "launch:/home/dev/src/app:net", "runner"}));
}

TEST(CompileLinux, RunnerRecordsEachLaunchSpecForTheInvokingUser) {
  Profile p = Make("offline", kOffline);
  CompileResult r = CompilePlan({&p}, LinuxContext());
  ASSERT_TRUE(r.ok());
  const Resource* runner = r.plan.Find("runner");
  ASSERT_NE(runner, nullptr);
  EXPECT_EQ(runner->attributes, (nlohmann::json{{"name", "sandboxctl-runner"},
                                                {"group", "sandboxctl"},
                                                {"mode", "0750"},
                                                {"capabilities", "cap_setgid,cap_setuid=ep"}}));
  EXPECT_EQ(r.plan.Find("member:sandboxctl:dev")->attributes["command"],
            nlohmann::json({"gpasswd", "--add", "dev", "sandboxctl"}));
  const Resource* record = r.plan.Find("launch:/home/dev/src/app:offline");
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->attributes["users"], nlohmann::json({"dev"}));
  EXPECT_EQ(record->attributes["launch"], PlanToJson(r.plan)["launches"][0]);
  // Written once what it describes is in place: the user, its firewall rules and the
  // grants that restrict or allow writes (not the background read grants).
  EXPECT_EQ(record->depends_on, (std::vector<std::string>{
                                    "grant:deny_read:sbx-offline:/home/dev/.ssh",
                                    "grant:deny_write:sbx-offline:/home/dev/src/app/.git",
                                    "grant:deny_write:sbx-offline:/home/dev/src/app/.sandboxctl",
                                    "grant:write:sbx-offline:/home/dev/src/app",
                                    "grant:write:sbx-offline:" + ProfileTmpDir(r.plan.context, "offline"),
                                    "member:sandboxctl:dev",
                                    "nft:sbx-offline:0001-reject-tcp",
                                    "nft:sbx-offline:0002-reject-all",
                                    "runner",
                                    "user:sbx-offline",
                                }));
}

TEST(CompileLinux, ExecUsersJoinTheGroupAndTheirProfilesRecords) {
  Profile p = Make("offline", "version = 1\n[identity]\nexec_users = [\"bob\", \"alice\"]\n");
  Profile other = Make("other", "version = 1\n");
  CompileResult r = CompilePlan({&p, &other}, LinuxContext());
  ASSERT_TRUE(r.ok()) << Messages(r).front();
  for (const char* user : {"alice", "bob", "dev"}) {
    EXPECT_NE(r.plan.Find(std::string("member:sandboxctl:") + user), nullptr) << user;
  }
  EXPECT_EQ(r.plan.Find("member:sandboxctl:bob")->profiles, (std::vector<std::string>{"offline"}));
  EXPECT_EQ(r.plan.Find("launch:/home/dev/src/app:offline")->attributes["users"],
            nlohmann::json({"alice", "bob", "dev"}));
  EXPECT_EQ(r.plan.Find("launch:/home/dev/src/app:other")->attributes["users"], nlohmann::json({"dev"}));
  EXPECT_EQ(r.plan.launches.front().exec_users, (std::vector<std::string>{"alice", "bob"}));
}

TEST(CompileLinux, RootAsInvokingUserJoinsNoGroupAndNoGroupMeansNoRunner) {
  Profile p = Make("offline", kOffline);
  Context root = LinuxContext();
  root.user = "root";
  CompileResult r = CompilePlan({&p}, root);
  EXPECT_EQ(r.plan.Find("member:sandboxctl:root"), nullptr);
  EXPECT_EQ(r.plan.Find("launch:/home/dev/src/app:offline")->attributes["users"], nlohmann::json::array());
  Context none = LinuxContext();
  none.runner_group = "";
  for (const auto& res : CompilePlan({&p}, none).plan.resources) EXPECT_NE(res.kind, ResourceKind::kLaunch) << res.id;
}

TEST(CompileLinux, SandboxUserNamedLikeTheRunnerGroupIsAConflict) {
  Profile p = Make("offline", "version = 1\n[identity]\nuser = \"sbx-ci\"\n");
  Context c = LinuxContext();
  c.runner_group = "sbx-ci";
  CompileResult r = CompilePlan({&p}, c);
  EXPECT_EQ(Messages(r), (std::vector<std::string>{"error: sandbox user 'sbx-ci' has the name of the runner group"}));
}

TEST(LaunchSpecJson, ReadsBackWhatItWroteAndRejectsWhatItDidNot) {
  Profile p = Make("offline", kOffline);
  const LaunchSpec spec = CompilePlan({&p}, LinuxContext()).plan.launches.front();
  auto back = LaunchSpecFromJson(LaunchSpecToJson(spec));
  ASSERT_TRUE(back.ok()) << back.error().Render();
  EXPECT_EQ(LaunchSpecToJson(*back), LaunchSpecToJson(spec));
  nlohmann::json relative = LaunchSpecToJson(spec);
  relative["filesystem"]["writable"].push_back("src");
  EXPECT_EQ(LaunchSpecFromJson(relative).error().message, "path 'src' is not absolute");
  nlohmann::json mode = LaunchSpecToJson(spec);
  mode["network"]["mode"] = "open";
  EXPECT_EQ(LaunchSpecFromJson(mode).error().message, "unknown network mode 'open'");
  nlohmann::json limit = LaunchSpecToJson(spec);
  limit["limits"]["processes"] = -1;
  EXPECT_EQ(LaunchSpecFromJson(limit).error().message, "'processes' is not a count");
  nlohmann::json env = LaunchSpecToJson(spec);
  env["env"].erase("deny");
  EXPECT_EQ(LaunchSpecFromJson(env).error().message, "'deny' is not a list of strings");
  nlohmann::json dots = LaunchSpecToJson(spec);
  dots["filesystem"]["writable"].push_back("/srv/app/../../etc");
  EXPECT_EQ(LaunchSpecFromJson(dots).error().message, "path '/srv/app/../../etc' is not normalised");
  nlohmann::json typed = LaunchSpecToJson(spec);  // another type is refused, never thrown
  typed["network"]["mode"] = 3;
  EXPECT_EQ(LaunchSpecFromJson(typed).error().message, "unknown network mode ''");
}

// Found by fuzz/fuzz_catalog.cc: a Windows plan's launch spec did not read back.
TEST(LaunchSpecJson, ReadsBackAWindowsSpecInWindowsSyntax) {
  Profile p = Make("offline", kOffline);
  const LaunchSpec spec = CompilePlan({&p}, WindowsContext()).plan.launches.front();
  ASSERT_FALSE(spec.writable.empty());
  auto back = LaunchSpecFromJson(LaunchSpecToJson(spec), Target::kWindows);
  ASSERT_TRUE(back.ok()) << back.error().Render();
  EXPECT_EQ(LaunchSpecToJson(*back), LaunchSpecToJson(spec));
  EXPECT_FALSE(LaunchSpecFromJson(LaunchSpecToJson(spec), Target::kLinux).ok());
}

TEST(Compile, RequireNamespaceReachesTheLaunchSpecAndIsInherited) {
  Profile parent = Make("strict", "version = 1\n[network]\nrequire_namespace = true\n");
  Profile child = Make("child", "version = 1\n[network]\nloopback = true\n");
  child.settings = MergeSettings(parent.settings, child.settings);
  Profile plain = Make("plain", "version = 1\n");
  CompileResult r = CompilePlan({&child, &plain}, LinuxContext());
  ASSERT_EQ(r.plan.launches.size(), 2u);
  EXPECT_TRUE(r.plan.launches[0].require_namespace);  // sorted by profile: child, plain
  EXPECT_FALSE(r.plan.launches[1].require_namespace);
}

TEST(Compile, IsDeterministicWhateverTheInputOrder) {
  Profile a = Make("alpha", kOffline);
  Profile b = Make("beta", "version = 1\n[filesystem]\nreadable = [\"/opt/sdk\"]\n");
  std::string one = PlanToJson(CompilePlan({&a, &b}, LinuxContext()).plan).dump();
  std::string two = PlanToJson(CompilePlan({&b, &a}, LinuxContext()).plan).dump();
  EXPECT_EQ(one, two);
}

TEST(Compile, ProfilesSharingAUserMergeTheirGrants) {
  Profile a = Make("alpha", "version = 1\n[identity]\nuser = \"sbx-team\"\n[filesystem]\nwritable = [\"/srv/data\"]\n");
  Profile b = Make("beta", "version = 1\n[identity]\nuser = \"sbx-team\"\n[filesystem]\nwritable = [\"/srv/data\"]\n");
  CompileResult r = CompilePlan({&a, &b}, LinuxContext());
  ASSERT_TRUE(r.ok());
  const Resource* g = r.plan.Find("grant:write:sbx-team:/srv/data");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->profiles, (std::vector<std::string>{"alpha", "beta"}));
}

TEST(Compile, ProfilesSharingAUserMustShareTheNetwork) {
  Profile a = Make("alpha", "version = 1\n[identity]\nuser = \"sbx-team\"\n");
  Profile b = Make("beta", "version = 1\n[identity]\nuser = \"sbx-team\"\n[network]\nmode = \"online\"\n");
  EXPECT_EQ(Messages(CompilePlan({&a, &b}, LinuxContext())),
            (std::vector<std::string>{"error: profiles 'alpha' and 'beta' both run as 'sbx-team' but differ in [network]; "
                                      "firewall rules match on the user, so give each profile its own [identity].user"}));
}

TEST(Compile, ReadableInsideWritableNeedsNoReadGrant) {
  Profile p = Make("x", "version = 1\n[filesystem]\nwritable = [\"/srv/w\"]\nreadable = [\"/srv/w/docs\", \"/opt/r\"]\n");
  CompileResult r = CompilePlan({&p}, LinuxContext());
  EXPECT_EQ(r.plan.Find("grant:read:sbx-x:/srv/w/docs"), nullptr);
  ASSERT_NE(r.plan.Find("grant:read:sbx-x:/opt/r"), nullptr);
  EXPECT_EQ(r.plan.Find("grant:read:sbx-x:/opt/r")->attributes["background"], true);
}

TEST(Compile, CarveOutOutsideWritableRootsIsAWarning) {
  Profile p = Make("x", "version = 1\n[filesystem]\nread_only = [\"/srv/r\"]\n");
  EXPECT_EQ(Messages(CompilePlan({&p}, LinuxContext())),
            (std::vector<std::string>{"warning: read_only '/srv/r' is not inside a writable root, so it changes nothing"}));
}

// Windows would take \opt relative to whatever drive is current: the plan names the drive.
TEST(CompileWindows, PathsFromARootWithoutDriveGetTheSystemDrive) {
  Profile p = Make("x", "version = 1\n[filesystem]\nreadable = [\"/opt/sdk\", \"\\\\\\\\srv\\\\share\\\\docs\"]\n");
  Context d = WindowsContext();
  d.system_drive = "D:";
  for (const auto& [context, drive] : {std::pair{WindowsContext(), "C:"}, {d, "D:"}}) {
    CompileResult r = CompilePlan({&p}, context);
    ASSERT_TRUE(r.ok()) << Messages(r).front();
    EXPECT_NE(r.plan.Find(std::string("grant:read:sbx-x:") + drive + "\\opt\\sdk"), nullptr) << drive;
    EXPECT_NE(r.plan.Find("grant:read:sbx-x:\\\\srv\\share\\docs"), nullptr);
  }
}

TEST(CompileWindows, WriteGrantsGoToUserAndCapabilitySid) {
  Profile p = Make("offline", kOffline);
  CompileResult r = CompilePlan({&p}, WindowsContext());
  ASSERT_TRUE(r.ok()) << Messages(r).front();
  const Resource* write = r.plan.Find("grant:write:sbx-offline:C:\\src\\app");
  ASSERT_NE(write, nullptr);
  ASSERT_EQ(write->attributes["aces"].size(), 2u);
  EXPECT_EQ(write->attributes["aces"][0]["icacls"], "/grant sbx-offline:(OI)(CI)M");
  EXPECT_EQ(write->attributes["aces"][1]["icacls"], "/grant sandboxctl-cap-offline:(OI)(CI)M");
  EXPECT_EQ(write->attributes["aces"][1]["mask"], "0x001301bf");
  const Resource* carve = r.plan.Find(R"(grant:deny_write:sbx-offline:C:\src\app\.git)");
  EXPECT_EQ(carve->attributes["aces"][0]["icacls"], "/deny sbx-offline:(OI)(CI)(WD,AD,WEA,WA,DC,DE)");
  // Windows bypasses traverse checks: no traverse grants.
  for (const auto& res : r.plan.resources) EXPECT_EQ(res.id.find("grant:traverse"), std::string::npos) << res.id;
  const Resource* fw = r.plan.Find("firewall:sbx-offline:block-all");
  ASSERT_NE(fw, nullptr);
  EXPECT_EQ(fw->attributes["remote_addresses"], "*");
  EXPECT_EQ(fw->attributes["action"], "block");
}

TEST(CompileWindows, AllowlistBecomesBlocksOnTheComplement) {
  Profile p = Make("ci", "version = 1\n[network]\nmode = \"allowlist\"\nallow = [\"10.0.0.0/8:443\"]\n");
  CompileResult r = CompilePlan({&p}, WindowsContext());
  ASSERT_TRUE(r.ok());
  const Resource* other = r.plan.Find("firewall:sbx-ci:block-other-addresses");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->attributes["remote_addresses"],
            nlohmann::json({"0.0.0.0-9.255.255.255", "11.0.0.0-255.255.255.255",
                            "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}));
  const Resource* tcp = r.plan.Find("firewall:sbx-ci:block-tcp-10.0.0.0/8");
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(tcp->attributes["remote_ports"], nlohmann::json({"1-442", "444-65535"}));
  EXPECT_NE(r.plan.Find("firewall:sbx-ci:block-udp-10.0.0.0/8"), nullptr);
  EXPECT_NE(r.plan.Find("firewall:sbx-ci:block-icmp-10.0.0.0/8"), nullptr);
}

TEST(CompileWindows, OverlappingNetworksWithDifferentPortsAreRefused) {
  Profile p = Make("ci", "version = 1\n[network]\nmode = \"allowlist\"\nallow = [\"10.0.0.0/8:443\", \"10.1.0.0/16:80\"]\n");
  auto messages = Messages(CompilePlan({&p}, WindowsContext()));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].substr(0, 52), "error: allow entries for 10.0.0.0/8 and 10.1.0.0/16 ");
}

TEST(CompileWindows, LongUserNamesDoNotFitWindowsAccounts) {
  Profile p = Make("x", "version = 1\n[identity]\nuser = \"sbx-a-rather-long-name\"\n");
  EXPECT_EQ(Messages(CompilePlan({&p}, WindowsContext())),
            (std::vector<std::string>{"error: user name 'sbx-a-rather-long-name' is 22 characters; Windows local "
                                      "accounts allow at most 20 (set a shorter [identity].user)"}));
}

TEST(Compile, LaunchSpecCarriesEnvPolicyAndLimits) {
  Profile p = Make("x", R"(version = 1
[env]
inherit = "core"
allow = ["CARGO_*"]
deny = ["MY_SECRET_THING", "*TOKEN"]
set = { CI = "true" }
[limits]
timeout = "30m"
memory = "1GiB"
processes = 64
)");
  CompileResult r = CompilePlan({&p}, LinuxContext());
  ASSERT_EQ(r.plan.launches.size(), 1u);
  const LaunchSpec& l = r.plan.launches[0];
  EXPECT_EQ(l.env_core, CoreEnv(Target::kLinux));
  EXPECT_EQ(l.env_allow, (std::vector<std::string>{"CARGO_*"}));
  // Defaults first, then the profile's own; no repeats.
  EXPECT_EQ(l.env_deny.back(), "MY_SECRET_THING");
  EXPECT_EQ(std::count(l.env_deny.begin(), l.env_deny.end(), "*TOKEN"), 1);
  EXPECT_EQ(l.env_set.at("CI"), "true");
  EXPECT_EQ(l.timeout_seconds, 1800u);
  EXPECT_EQ(l.memory_bytes, 1ULL << 30);
  EXPECT_EQ(l.processes, 64u);
}

TEST(CompileWindows, AllPortNetworksAreLeftOutOfPortBlocks) {
  Profile p = Make("ci", "version = 1\n[network]\nmode = \"allowlist\"\nallow = [\"10.0.0.0/8:443\", \"10.1.0.0/16\"]\n");
  CompileResult r = CompilePlan({&p}, WindowsContext());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.plan.Find("firewall:sbx-ci:block-tcp-10.0.0.0/8")->attributes["remote_addresses"],
            nlohmann::json({"10.0.0.0-10.0.255.255", "10.2.0.0-10.255.255.255"}));
}

TEST(CompileWindows, AllowingEverythingBlocksNothing) {
  Profile p = Make("ci", "version = 1\n[network]\nmode = \"allowlist\"\nallow = [\"0.0.0.0/0\", \"::/0\"]\n");
  CompileResult r = CompilePlan({&p}, WindowsContext());
  for (const auto& res : r.plan.resources) EXPECT_NE(res.type, "firewall_rule") << res.id;
}

std::vector<std::string> Errors(const std::string& text, const Context& context = LinuxContext()) {
  Profile p = Make("p", text);
  return Messages(CompilePlan({&p}, context));
}

TEST(CompileChecks, SandboxCannotRunAsTheInvokingUser) {
  EXPECT_EQ(Errors("version = 1\n[identity]\nuser = \"dev\"\n"),
            (std::vector<std::string>{"error: [identity].user 'dev' is the invoking user; a sandbox needs an account of its own"}));
}

TEST(CompileChecks, WritableRootsStayOutOfHomeStartupFilesAndOtherHomes) {
  EXPECT_EQ(Errors("version = 1\n[filesystem]\nwritable = [\"${home}\", \"${home}/.config/autostart\", "
                   "\"/home/alice/src\", \"${home}/.cache/pip\"]\n"),
            (std::vector<std::string>{
                "error: writable root '/home/dev' contains the whole home directory '/home/dev' (login scripts, keys); "
                "make the directories the command needs writable instead",
                "error: writable root '/home/dev/.config/autostart' would let the sandbox change '/home/dev/.config', "
                "which runs or configures things as you; narrow it",
                "error: writable root '/home/alice/src' lies in another user's home directory"}));
}

// env.set values may name the path variables: a profile can point GIT_CONFIG_GLOBAL at
// the developer's own file. An unknown variable is an error, never passed on literally.
TEST(Compile, EnvSetValuesExpandThePathVariables) {
  Profile p = Make("x", "version = 1\n[env]\nset = { GIT_CONFIG_GLOBAL = \"${home}/.gitconfig\", "
                        "WHO = \"${user} in ${workspace}\", PRICE = \"$5\" }\n");
  CompileResult r = CompilePlan({&p}, LinuxContext());
  ASSERT_TRUE(r.ok());
  const LaunchSpec& l = r.plan.launches.at(0);
  EXPECT_EQ(l.env_set.at("GIT_CONFIG_GLOBAL"), LinuxContext().home + "/.gitconfig");
  EXPECT_EQ(l.env_set.at("WHO"), LinuxContext().user + " in " + LinuxContext().workspace);
  EXPECT_EQ(l.env_set.at("PRICE"), "$5");
  const auto errors = Errors("version = 1\n[env]\nset = { A = \"${HOME}/x\", B = \"${home\" }\n");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "error: env.set.A: unknown variable '${HOME}'; known: ${workspace}, ${home}, ${tmp}, ${user}");
  EXPECT_EQ(errors[1], "error: env.set.B: unterminated '${' in '${home'");
}

TEST(CompileChecks, SystemTreesAndOtherProfilesTmpAreNeverWritable) {
  EXPECT_EQ(Errors("version = 1\n[filesystem]\nwritable = [\"/var/lib/dpkg\", \"/root/x\", \"/var/tmp/sandboxctl/other\", "
                   "\"/var/cache/ccache\", \"${tmp}\"]\n"),
            (std::vector<std::string>{
                "error: writable root '/var/lib/dpkg' would open up the system directory '/var'; make a project "
                "directory writable instead",
                "error: writable root '/root/x' would open up the system directory '/root'; make a project directory "
                "writable instead",
                "error: writable root '/var/tmp/sandboxctl/other' lies in sandboxctl's temporary directories "
                "'/var/tmp/sandboxctl'; use ${tmp}, this profile's own"}));
}

TEST(CompileChecks, WhatRootRunsOrReadsBackIsNeverWritable) {
  EXPECT_EQ(Errors("version = 1\n[filesystem]\nwritable = [\"/opt/sdk\", \"/var/cache/apt/archives\", "
                   "\"/var/cache/debconf\", \"/swapfile\", \"${tmp}\"]\n"),
            (std::vector<std::string>{
                "error: writable root '/opt/sdk' lies in /opt, whose programs others and root run; make a project "
                "directory writable instead",
                "error: writable root '/var/cache/apt/archives' would open up the system directory '/var/cache/apt'; "
                "make a project directory writable instead",
                "error: writable root '/var/cache/debconf' would open up the system directory '/var/cache/debconf'; "
                "make a project directory writable instead",
                "error: writable root '/swapfile' would open up the system directory '/swapfile'; make a project "
                "directory writable instead"}));
}

TEST(CompileChecks, ReadGrantsOnSystemDirectoriesAndInsideDenyReadAreRefused) {
  EXPECT_EQ(Errors("version = 1\n[filesystem]\nreadable = [\"/etc\", \"${home}/.ssh\"]\n"
                   "deny_read = [\"${home}/.ssh\", \"/\"]\n"),
            (std::vector<std::string>{
                "error: readable '/etc' would change the ACLs of the system directory '/etc'",
                "error: readable '/home/dev/.ssh' lies inside deny_read path '/' (.sandboxctl/p.toml:4); the deny "
                "always wins",
                "error: readable '/home/dev/.ssh' lies inside deny_read path '/home/dev/.ssh' (.sandboxctl/p.toml:4); "
                "the deny always wins",
                "error: deny_read '/' would hide the whole file system"}));
}

TEST(CompileChecks, CarveOutCannotBeReopenedByAWritableRootInsideIt) {
  EXPECT_EQ(Errors("version = 1\n[filesystem]\nwritable = [\"${workspace}\", \"${workspace}/.git/hooks\"]\n"
                   "read_only = [\"${workspace}/.git\"]\n"),
            (std::vector<std::string>{"error: writable root '/home/dev/src/app/.git/hooks' lies inside read_only path "
                                      "'/home/dev/src/app/.git' (.sandboxctl/p.toml:4); a carve-out cannot be reopened"}));
}

TEST(CompileChecks, CarveOutOutsideWritableRootsGetsNoGrant) {
  Profile p = Make("p", "version = 1\n[filesystem]\nread_only = [\"/srv/data\"]\n");
  CompileResult r = CompilePlan({&p}, LinuxContext());
  EXPECT_EQ(r.plan.Find("grant:deny_write:sbx-p:/srv/data"), nullptr);
}

TEST(CompileChecks, UnknownHomeIsAnErrorNotAnEmptyPrefix) {
  Context c = LinuxContext();
  c.home = "";
  EXPECT_EQ(Errors("version = 1\n[filesystem]\ndeny_read = [\"${home}/.ssh\"]\n", c),
            (std::vector<std::string>{"error: '${home}' has no value here (the invoking user is unknown)"}));
}

}  // namespace
}  // namespace sbx
