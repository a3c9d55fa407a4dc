// Windows only: the Windows host as apply and destroy drive it. The capability SIDs'
// registry store runs under Wine (its registry is real); a whole apply and destroy of a
// profile needs an administrator on real Windows (WindowsHostReal, label windows-real):
// Wine has no account database, keeps no DACL and has no firewall.
#include <windows.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>

#include "engine/os_windows/accounts.h"
#include "engine/os_windows/firewall.h"
#include "engine/os_windows/ntfs_acl.h"
#include "engine/os_windows/state_store.h"
#include "engine/os_windows/text.h"
#include "engine/os_windows/windows_host.h"
#include "engine/reconcile/apply.h"
#include "engine/reconcile/diff.h"
#include "test_util.h"

namespace sbx {
namespace {

namespace fs = std::filesystem;

std::string RandomSuffix() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", rd());
  return buf;
}

// A registry key of the test's own under HKCU, removed afterwards.
class TestKey {
 public:
  TestKey() : name_("Software\\sandboxctl-test-" + RandomSuffix()) {}
  ~TestKey() { RegDeleteTreeW(HKEY_CURRENT_USER, Wide(name_).c_str()); }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

Resource CapabilityResource(const std::string& profile) {
  Resource r;
  r.id = "capability:" + profile;
  r.kind = ResourceKind::kPrincipal;
  r.type = "capability_sid";
  r.attributes = {{"name", "sandboxctl-cap-" + profile}, {"profile", profile}, {"user", "sbx-" + profile}};
  return r;
}

std::string RegistryValue(const TestKey& key, const std::string& profile) {
  wchar_t text[256] = {};
  DWORD size = sizeof text - sizeof(wchar_t);
  if (RegGetValueW(HKEY_CURRENT_USER, Wide(key.name()).c_str(), Wide(profile).c_str(), RRF_RT_REG_SZ, nullptr, text,
                   &size) != ERROR_SUCCESS) {
    return "";
  }
  return Utf8(text);
}

TEST(WindowsCapabilities, MadeOnceKeptAndRemoved) {
  TestKey key;
  WindowsHostConfig config;
  config.machine_hive = false;
  config.capability_key = key.name();
  WindowsHost host(config);
  const Resource cap = CapabilityResource("offline");

  auto before = host.Observe(cap);
  ASSERT_TRUE(before.ok()) << before.error().Render();
  EXPECT_FALSE(before->present);

  ASSERT_TRUE(host.Ensure(cap, nullptr).ok());
  const std::string sid = RegistryValue(key, "offline");
  auto parsed = ParseSid(sid);
  ASSERT_TRUE(parsed.ok()) << sid;
  EXPECT_EQ(parsed->authority, 5u);
  ASSERT_EQ(parsed->subauthorities.size(), 5u);
  EXPECT_EQ(parsed->subauthorities[0], 21u);
  auto after = host.Observe(cap);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->present && after->in_sync);

  // A second apply keeps the SID: the ACEs that carry it stay valid.
  ASSERT_TRUE(host.Ensure(cap, nullptr).ok());
  EXPECT_EQ(RegistryValue(key, "offline"), sid);
  // Another profile gets one of its own.
  ASSERT_TRUE(host.Ensure(CapabilityResource("online"), nullptr).ok());
  EXPECT_NE(RegistryValue(key, "online"), sid);

  OwnedRecord record;
  record.resource = cap;
  ASSERT_TRUE(host.Remove(record).ok());
  EXPECT_EQ(RegistryValue(key, "offline"), "");
  EXPECT_NE(RegistryValue(key, "online"), "");
  ASSERT_TRUE(host.Remove(record).ok()) << "removing twice is not an error";
}

TEST(WindowsCapabilities, AValueNotShapedLikeACapabilitySidIsRefused) {
  TestKey key;
  HKEY k = nullptr;
  ASSERT_EQ(RegCreateKeyExW(HKEY_CURRENT_USER, Wide(key.name()).c_str(), 0, nullptr, 0, KEY_SET_VALUE, nullptr, &k,
                            nullptr),
            ERROR_SUCCESS);
  const std::wstring admins = L"S-1-5-32-544";
  RegSetValueExW(k, L"offline", 0, REG_SZ, reinterpret_cast<const BYTE*>(admins.c_str()),
                 static_cast<DWORD>((admins.size() + 1) * sizeof(wchar_t)));
  RegCloseKey(k);
  WindowsHostConfig config;
  config.machine_hive = false;
  config.capability_key = key.name();
  WindowsHost host(config);
  // Administrators as a trustee of the sandbox's write ACEs would be a grant to every
  // administrator: never taken from the registry.
  auto observed = host.Observe(CapabilityResource("offline"));
  ASSERT_FALSE(observed.ok());
  EXPECT_NE(observed.error().Render().find("not a capability SID"), std::string::npos) << observed.error().Render();
}

TEST(WindowsHostPlans, UnknownTypesAndBadNamesAreRefusedBeforeAnyCall) {
  WindowsHostConfig config;
  WindowsHost host(config);
  Resource r = CapabilityResource("offline");
  r.type = "nft_table";
  EXPECT_EQ(host.Observe(r).error().code, "invalid_plan");
  Resource bad = CapabilityResource("..\\x");
  EXPECT_EQ(host.Ensure(bad, nullptr).error().code, "invalid_plan");
  Resource dir;
  dir.id = "dir:x";
  dir.type = "directory";
  dir.attributes = {{"path", "C:\\ProgramData\\..\\Windows"}, {"dacl", "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"}};
  EXPECT_EQ(host.Ensure(dir, nullptr).error().code, "invalid_plan");
}

// --- real Windows, as an administrator -------------------------------------------------

// Applies `plan` for `workspace` until nothing is left to do; returns the changes of the
// last pass (empty when converged).
ChangeSet Converge(const Plan& plan, const std::string& workspace, Host& host, State& state, const StateStore& store) {
  auto observed = ObserveAll(plan, workspace, state, host);
  EXPECT_TRUE(observed.ok()) << observed.error().Render();
  if (!observed.ok()) return {};
  ChangeSet changes = ComputeChanges(plan, workspace, state, *observed);
  auto applied = ApplyChanges(changes, workspace, *observed, plan, host, state, [&](const State& s) { return store.Save(s); });
  EXPECT_TRUE(applied.ok()) << applied.error().Render();
  return changes;
}

TEST(WindowsHostReal, ApplyIsIdempotentAndDestroyLeavesNothing) {
  testing::TempTree tree;
  const fs::path ws = tree.root() / "ws";
  fs::create_directories(ws / ".git");
  const fs::path tmp_root = tree.root() / "tmp";
  auto store = StateStore::Open(tree.root() / "state", true, std::chrono::seconds(5), nullptr);
  ASSERT_TRUE(store.ok()) << store.error().Render();
  const std::string user = "sbxt" + RandomSuffix();
  Profile p = testing::MakeProfile("offline", std::string(testing::kOfflineProfile) + "[identity]\nuser = \"" + user + "\"\n");
  Context context{Target::kWindows, ws.string(), "dev", (tree.root() / "home").string(), tmp_root.string()};
  CompileResult compiled = CompilePlan({&p}, context);
  ASSERT_TRUE(compiled.ok());
  auto before = ReadDacl(ws.string());
  ASSERT_TRUE(before.ok()) << before.error().Render();

  TestKey key;
  WindowsHostConfig config;
  config.store = &*store;
  config.machine_hive = false;
  config.capability_key = key.name();
  WindowsHost host(config);
  State state;
  const std::string workspace = ws.string();
  ChangeSet first = Converge(compiled.plan, workspace, host, state, *store);
  EXPECT_FALSE(first.changes.empty());
  ChangeSet second = Converge(compiled.plan, workspace, host, state, *store);
  EXPECT_TRUE(second.changes.empty()) << RenderChangesText(second);

  auto account = LookupLocalUser(user);
  ASSERT_TRUE(account.ok() && *account);
  auto rule = ReadFirewallRule("sandboxctl " + user + " block-all");
  ASSERT_TRUE(rule.ok()) << rule.error().Render();
  EXPECT_TRUE(rule->has_value());

  // destroy: an empty plan removes what the workspace had.
  Converge(Plan{}, workspace, host, state, *store);
  EXPECT_TRUE(state.records.empty());
  auto gone = LookupLocalUser(user);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  auto no_rule = ReadFirewallRule("sandboxctl " + user + " block-all");
  ASSERT_TRUE(no_rule.ok());
  EXPECT_FALSE(no_rule->has_value());
  auto after = ReadDacl(ws.string());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->sddl, before->sddl);
  EXPECT_FALSE(fs::exists(tmp_root)) << "the ${tmp} directories go with the profile";
}

}  // namespace
}  // namespace sbx
