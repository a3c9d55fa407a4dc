// Windows only. WindowsFirewall: rules made, changed and removed for real, through the
// Windows Firewall (label windows-real: an administrator on real Windows; Wine's firewall
// is a stub). Each test makes rules of its own unique name, for documentation addresses
// only, and removes them however it ends. WindowsFirewallFields: the canonical form and
// the checks made before any COM call, which run under Wine too.
#include <windows.h>
#include <netfw.h>
#include <oleauto.h>
#include <sddl.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "engine/core/net.h"
#include "engine/core/strings.h"
#include "engine/os_windows/firewall.h"
#include "engine/os_windows/firewall_rule.h"
#include "engine/os_windows/text.h"

namespace sbx {
namespace {

// --- WindowsFirewallFields -------------------------------------------------------------

FirewallRuleSpec Spec(const std::string& addresses, int protocol = netfw::kProtocolAny, const std::string& ports = "*") {
  FirewallRuleSpec s;
  s.name = "sandboxctl fields";
  s.description = "sandboxctl fields";
  s.grouping = "sandboxctl";
  s.protocol = protocol;
  s.remote_addresses = addresses;
  s.remote_ports = ports;
  s.local_user_authorized_list = "D:(A;;CC;;;S-1-5-21-1000000001-1000000002-1000000003-1001)";
  return s;
}

TEST(WindowsFirewallFields, AddressesBecomeSortedMergedRanges) {
  EXPECT_EQ(CanonicalFirewallRule(Spec("10.0.0.0/255.0.0.0,192.0.2.7/32,::1,10.0.0.0/8,2001:db8::/32,"
                                       "1.2.3.4-1.2.3.9,1.2.3.10,192.0.2.7/255.255.255.255"))
                .remote_addresses,
            "1.2.3.4-1.2.3.10,10.0.0.0-10.255.255.255,192.0.2.7,::1,2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
}

TEST(WindowsFirewallFields, AnyAddressStaysAStarAndKeywordsGoLastUnchanged) {
  EXPECT_EQ(CanonicalFirewallRule(Spec("*")).remote_addresses, "*");
  EXPECT_EQ(CanonicalFirewallRule(Spec("")).remote_addresses, "*");
  EXPECT_EQ(CanonicalFirewallRule(Spec("LocalSubnet,10.0.0.1,10.0.0.0/255.0.255.0")).remote_addresses,
            "10.0.0.1,10.0.0.0/255.0.255.0,LocalSubnet");
}

TEST(WindowsFirewallFields, PortsOfTcpAndUdpBecomeSortedMergedRanges) {
  EXPECT_EQ(CanonicalFirewallRule(Spec("*", netfw::kProtocolTcp, "443,80,81-90,1-79")).remote_ports, "1-90,443");
  EXPECT_EQ(CanonicalFirewallRule(Spec("*", netfw::kProtocolUdp, "")).remote_ports, "*");
  EXPECT_EQ(CanonicalFirewallRule(Spec("*", netfw::kProtocolTcp, "RPC,53")).remote_ports, "53,RPC");
}

TEST(WindowsFirewallFields, EveryProfileIsProfileAll) {
  FirewallRuleSpec s = Spec("*");
  s.profiles = NET_FW_PROFILE2_DOMAIN | NET_FW_PROFILE2_PRIVATE | NET_FW_PROFILE2_PUBLIC;
  EXPECT_EQ(CanonicalFirewallRule(s).profiles, netfw::kProfileAll);
  s.profiles = NET_FW_PROFILE2_PRIVATE;
  EXPECT_EQ(CanonicalFirewallRule(s).profiles, NET_FW_PROFILE2_PRIVATE);
}

TEST(WindowsFirewallFields, TheUserListIsTheSddlWindowsWritesAgain) {
  FirewallRuleSpec s = Spec("*");
  s.local_user_authorized_list = "D:(A;;CC;;;S-1-5-32-544)";
  EXPECT_EQ(CanonicalFirewallRule(s).local_user_authorized_list, "D:(A;;CC;;;BA)");
  s.local_user_authorized_list = "not SDDL";
  EXPECT_EQ(CanonicalFirewallRule(s).local_user_authorized_list, "not SDDL");
}

// A rule as the plan makes it (block everything but loopback, and TCP to one network
// except port 443) is canonical already, so it reads back equal to itself.
TEST(WindowsFirewallFields, RulesOfAPlanAreCanonicalAlready) {
  auto attributes = [](const std::string& protocol, const std::vector<std::string>& addresses,
                       const nlohmann::json& ports) {
    return nlohmann::json{{"name", "sandboxctl agent block"},
                          {"grouping", "sandboxctl"},
                          {"principal", "agent"},
                          {"direction", "out"},
                          {"action", "block"},
                          {"protocol", protocol},
                          {"remote_addresses", addresses},
                          {"remote_ports", ports},
                          {"enabled", true}};
  };
  std::vector<std::string> elsewhere;
  for (bool v6 : {false, true}) {
    for (const auto& r : ComplementRanges(v6, {LoopbackCidr(false), LoopbackCidr(true)})) elsewhere.push_back(r.ToString());
  }
  auto sid = ParseSid("S-1-5-21-1000000001-1000000002-1000000003-1001");
  ASSERT_TRUE(sid.ok());
  auto all = FirewallRuleOfResource(attributes("any", elsewhere, "*"), *sid);
  ASSERT_TRUE(all.ok()) << all.error().Render();
  EXPECT_EQ(CanonicalFirewallRule(*all), *all);
  const std::vector<std::string> ports = ComplementPorts({443});
  auto tcp = FirewallRuleOfResource(attributes("tcp", {"192.0.2.0-192.0.2.255"}, ports), *sid);
  ASSERT_TRUE(tcp.ok()) << tcp.error().Render();
  EXPECT_EQ(CanonicalFirewallRule(*tcp), *tcp);
}

TEST(WindowsFirewallFields, EnsureRefusesPortsOnARuleThatIsNeitherTcpNorUdp) {
  auto r = EnsureFirewallRule(Spec("192.0.2.1", netfw::kProtocolIcmpV4, "80"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "invalid_plan");
  EXPECT_EQ(r.error().object, "sandboxctl fields");
}

TEST(WindowsFirewallFields, EnsureRefusesARuleForEveryUser) {
  FirewallRuleSpec s = Spec("192.0.2.1");
  s.local_user_authorized_list.clear();
  auto r = EnsureFirewallRule(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "invalid_plan");
}

// --- WindowsFirewall (real Windows, as an administrator) -------------------------------

template <typename T>
struct Ref {
  T* p = nullptr;
  Ref() = default;
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  ~Ref() {
    if (p) p->Release();
  }
  void** Out() { return reinterpret_cast<void**>(&p); }
};

struct Bstr {
  BSTR b;
  explicit Bstr(const std::string& s) : b(SysAllocString(Wide(s).c_str())) {}
  Bstr(const Bstr&) = delete;
  Bstr& operator=(const Bstr&) = delete;
  ~Bstr() { SysFreeString(b); }
};

struct ComForTest {
  HRESULT hr = CoInitializeEx(nullptr, COINIT_MULTITHREADED);
  ComForTest() = default;
  ComForTest(const ComForTest&) = delete;
  ComForTest& operator=(const ComForTest&) = delete;
  ~ComForTest() {
    if (SUCCEEDED(hr)) CoUninitialize();
  }
};

void WithRules(const std::function<void(INetFwPolicy2*, INetFwRules*)>& body) {
  ComForTest com;
  ASSERT_TRUE(SUCCEEDED(com.hr) || com.hr == RPC_E_CHANGED_MODE);
  Ref<INetFwPolicy2> policy;
  ASSERT_EQ(CoCreateInstance(__uuidof(NetFwPolicy2), nullptr, CLSCTX_INPROC_SERVER, __uuidof(INetFwPolicy2), policy.Out()),
            S_OK);
  Ref<INetFwRules> rules;
  ASSERT_EQ(policy.p->get_Rules(&rules.p), S_OK);
  body(policy.p, rules.p);
}

// Changes the rule called `name` the way someone might by hand.
void WithRule(const std::string& name, const std::function<void(INetFwRule3*)>& change) {
  WithRules([&](INetFwPolicy2*, INetFwRules* rules) {
    Bstr b(name);
    Ref<INetFwRule> rule;
    ASSERT_EQ(rules->Item(b.b, &rule.p), S_OK) << name;
    Ref<INetFwRule3> rule3;
    ASSERT_EQ(rule.p->QueryInterface(__uuidof(INetFwRule3), rule3.Out()), S_OK);
    change(rule3.p);
  });
}

std::string CurrentUserSid() {
  HANDLE token = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return "";
  std::vector<BYTE> buffer(512);
  DWORD size = 0;
  std::string out;
  if (GetTokenInformation(token, TokenUser, buffer.data(), static_cast<DWORD>(buffer.size()), &size)) {
    wchar_t* text = nullptr;
    if (ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER*>(buffer.data())->User.Sid, &text)) {
      out = Utf8(text);
      LocalFree(text);
    }
  }
  CloseHandle(token);
  return out;
}

// A rule no one else has, that blocks TCP from this user to documentation networks only
// (RFC 5737, RFC 3849), written in the canonical form.
FirewallRuleSpec TestRule() {
  std::random_device random;
  const uint64_t id = (static_cast<uint64_t>(random()) << 32) ^ random() ^ GetCurrentProcessId();
  FirewallRuleSpec s;
  s.name = "sandboxctl test " + Hex(id, 16);
  s.description = "sandboxctl unit test rule";
  s.grouping = "sandboxctl";
  s.direction = netfw::kDirectionOut;
  s.action = netfw::kActionBlock;
  s.protocol = netfw::kProtocolTcp;
  s.remote_addresses = "192.0.2.0-192.0.2.255,198.51.100.7,2001:db8::-2001:db8::ffff";
  s.remote_ports = "1-79,81-442,444-65535";
  s.profiles = netfw::kProfileAll;
  s.interface_types = "All";
  s.edge_traversal = false;
  s.enabled = true;
  s.local_user_authorized_list = "D:(A;;CC;;;" + CurrentUserSid() + ")";
  return s;
}

// Removes every rule of the name when the test ends, however it ends.
struct RemovedAtEnd {
  std::string name;
  ~RemovedAtEnd() {
    auto r = RemoveFirewallRule(name);
    EXPECT_TRUE(r.ok()) << "cleanup: " << r.error().Render();
  }
};

std::optional<FirewallRuleSpec> ReadOrFail(const std::string& name) {
  auto read = ReadFirewallRule(name);
  EXPECT_TRUE(read.ok()) << read.error().Render();
  return read.ok() ? *read : std::nullopt;
}

TEST(WindowsFirewall, EnsureMakesARuleThatReadsBackAsSpecified) {
  const FirewallRuleSpec spec = TestRule();
  ASSERT_EQ(CanonicalFirewallRule(spec), spec);
  RemovedAtEnd cleanup{spec.name};
  ASSERT_EQ(ReadOrFail(spec.name), std::nullopt);
  auto r = EnsureFirewallRule(spec);
  ASSERT_TRUE(r.ok()) << r.error().Render();
  EXPECT_EQ(ReadOrFail(spec.name), spec);
}

TEST(WindowsFirewall, EnsuringAgainLeavesOneRuleAsSpecified) {
  const FirewallRuleSpec spec = TestRule();
  RemovedAtEnd cleanup{spec.name};
  for (int i = 0; i < 2; ++i) {
    auto r = EnsureFirewallRule(spec);
    ASSERT_TRUE(r.ok()) << "round " << i << ": " << r.error().Render();
  }
  EXPECT_EQ(ReadOrFail(spec.name), spec);  // one rule: two would be "ambiguous"
}

TEST(WindowsFirewall, ReadBackOfCidrsAndMasksIsCanonical) {
  FirewallRuleSpec spec = TestRule();
  spec.remote_addresses = "198.51.100.7/32,192.0.2.0/24,2001:db8::/48";
  spec.remote_ports = "443,80";
  RemovedAtEnd cleanup{spec.name};
  auto r = EnsureFirewallRule(spec);
  ASSERT_TRUE(r.ok()) << r.error().Render();
  auto read = ReadOrFail(spec.name);
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, CanonicalFirewallRule(spec));
  EXPECT_EQ(read->remote_addresses, "192.0.2.0-192.0.2.255,198.51.100.7,2001:db8::-2001:db8:0:ffff:ffff:ffff:ffff:ffff");
  EXPECT_EQ(read->remote_ports, "80,443");
}

TEST(WindowsFirewall, EnsureReplacesARuleChangedByHand) {
  const FirewallRuleSpec spec = TestRule();
  RemovedAtEnd cleanup{spec.name};
  auto r = EnsureFirewallRule(spec);
  ASSERT_TRUE(r.ok()) << r.error().Render();
  WithRule(spec.name, [](INetFwRule3* rule) {
    Bstr other("203.0.113.9"), program("C:\\Windows\\System32\\notepad.exe");
    EXPECT_EQ(rule->put_Enabled(VARIANT_FALSE), S_OK);
    EXPECT_EQ(rule->put_RemoteAddresses(other.b), S_OK);
    EXPECT_EQ(rule->put_ApplicationName(program.b), S_OK);
  });
  ASSERT_FALSE(HasFatalFailure());
  auto changed = ReadOrFail(spec.name);
  ASSERT_TRUE(changed);
  EXPECT_EQ(FirewallRuleDifferences(spec, *changed), (std::vector<std::string>{"remote_addresses", "enabled"}));
  r = EnsureFirewallRule(spec);
  ASSERT_TRUE(r.ok()) << r.error().Render();
  EXPECT_EQ(ReadOrFail(spec.name), spec);
  EXPECT_EQ(ReadOrFail(spec.name + " (replacing)"), std::nullopt);
  WithRule(spec.name, [](INetFwRule3* rule) {
    BSTR program = nullptr;
    ASSERT_EQ(rule->get_ApplicationName(&program), S_OK);
    EXPECT_EQ(SysStringLen(program), 0u) << Utf8(program ? program : L"");
    SysFreeString(program);
  });
}

TEST(WindowsFirewall, EnsureWithAnotherSpecReplacesTheRule) {
  const FirewallRuleSpec spec = TestRule();
  FirewallRuleSpec other = spec;
  other.description = "sandboxctl unit test rule, changed";
  other.protocol = netfw::kProtocolAny;  // from TCP with ports
  other.remote_ports = "*";
  other.remote_addresses = "2001:db8:1::-2001:db8:1::ff";
  other.profiles = NET_FW_PROFILE2_PRIVATE | NET_FW_PROFILE2_PUBLIC;
  other.interface_types = "Lan";
  ASSERT_EQ(CanonicalFirewallRule(other), other);
  RemovedAtEnd cleanup{spec.name};
  auto r = EnsureFirewallRule(spec);
  ASSERT_TRUE(r.ok()) << r.error().Render();
  r = EnsureFirewallRule(other);
  ASSERT_TRUE(r.ok()) << r.error().Render();
  EXPECT_EQ(ReadOrFail(spec.name), other);
  EXPECT_EQ(ReadOrFail(spec.name + " (replacing)"), std::nullopt);
  r = EnsureFirewallRule(spec);  // and back
  ASSERT_TRUE(r.ok()) << r.error().Render();
  EXPECT_EQ(ReadOrFail(spec.name), spec);
  EXPECT_EQ(ReadOrFail(spec.name + " (replacing)"), std::nullopt);
}

// A run stopped while replacing a rule leaves "<name> (replacing)"; the next one finishes.
TEST(WindowsFirewall, AReplacementAStoppedRunLeftIsFinishedOrRemoved) {
  const FirewallRuleSpec spec = TestRule();
  const std::string replacement = spec.name + " (replacing)";
  RemovedAtEnd cleanup{spec.name};  // the replacement too
  auto leave_replacement = [&](const FirewallRuleSpec& of) {
    FirewallRuleSpec made = of;
    made.name = spec.name + " made";
    RemovedAtEnd made_cleanup{made.name};
    auto r = EnsureFirewallRule(made);
    ASSERT_TRUE(r.ok()) << r.error().Render();
    WithRule(made.name, [&](INetFwRule3* rule) {
      Bstr name(replacement);
      EXPECT_EQ(rule->put_Name(name.b), S_OK);
    });
    ASSERT_TRUE(ReadOrFail(replacement).has_value());
  };
  FirewallRuleSpec other = spec;
  other.remote_addresses = "203.0.113.0-203.0.113.255";
  // Stopped after the old rule went: the replacement takes the name, then is made as
  // the spec says.
  leave_replacement(other);
  ASSERT_FALSE(HasFatalFailure());
  auto r = EnsureFirewallRule(spec);
  ASSERT_TRUE(r.ok()) << r.error().Render();
  EXPECT_EQ(ReadOrFail(spec.name), spec);
  EXPECT_EQ(ReadOrFail(replacement), std::nullopt);
  // Stopped before: the old rule stays, the replacement goes.
  leave_replacement(other);
  ASSERT_FALSE(HasFatalFailure());
  r = EnsureFirewallRule(spec);
  ASSERT_TRUE(r.ok()) << r.error().Render();
  EXPECT_EQ(ReadOrFail(spec.name), spec);
  EXPECT_EQ(ReadOrFail(replacement), std::nullopt);
  // And destroy takes a leftover replacement with the rule.
  leave_replacement(other);
  ASSERT_FALSE(HasFatalFailure());
  r = RemoveFirewallRule(spec.name);
  ASSERT_TRUE(r.ok()) << r.error().Render();
  EXPECT_EQ(ReadOrFail(spec.name), std::nullopt);
  EXPECT_EQ(ReadOrFail(replacement), std::nullopt);
}

TEST(WindowsFirewall, RemoveDeletesTheRuleAndSucceedsWhenItIsGone) {
  const FirewallRuleSpec spec = TestRule();
  RemovedAtEnd cleanup{spec.name};
  auto r = EnsureFirewallRule(spec);
  ASSERT_TRUE(r.ok()) << r.error().Render();
  r = RemoveFirewallRule(spec.name);
  ASSERT_TRUE(r.ok()) << r.error().Render();
  EXPECT_EQ(ReadOrFail(spec.name), std::nullopt);
  r = RemoveFirewallRule(spec.name);
  EXPECT_TRUE(r.ok()) << r.error().Render();
}

TEST(WindowsFirewall, TwoRulesOfOneNameAreAmbiguousAndRemovedTogether) {
  const FirewallRuleSpec spec = TestRule();
  RemovedAtEnd cleanup{spec.name};
  auto r = EnsureFirewallRule(spec);
  ASSERT_TRUE(r.ok()) << r.error().Render();
  // A second rule of the same name, disabled (it blocks nothing), added by hand.
  WithRules([&](INetFwPolicy2*, INetFwRules* rules) {
    Ref<INetFwRule> rule;
    ASSERT_EQ(CoCreateInstance(__uuidof(NetFwRule), nullptr, CLSCTX_INPROC_SERVER, __uuidof(INetFwRule), rule.Out()), S_OK);
    Bstr name(spec.name), group("sandboxctl"), address("192.0.2.1");
    ASSERT_EQ(rule.p->put_Name(name.b), S_OK);
    ASSERT_EQ(rule.p->put_Grouping(group.b), S_OK);
    ASSERT_EQ(rule.p->put_Direction(NET_FW_RULE_DIR_OUT), S_OK);
    ASSERT_EQ(rule.p->put_Action(NET_FW_ACTION_BLOCK), S_OK);
    ASSERT_EQ(rule.p->put_RemoteAddresses(address.b), S_OK);
    ASSERT_EQ(rule.p->put_Enabled(VARIANT_FALSE), S_OK);
    ASSERT_EQ(rules->Add(rule.p), S_OK);
  });
  ASSERT_FALSE(HasFatalFailure());
  auto read = ReadFirewallRule(spec.name);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, "ambiguous");
  EXPECT_EQ(read.error().object, spec.name);
  r = EnsureFirewallRule(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "ambiguous");
  r = RemoveFirewallRule(spec.name);
  ASSERT_TRUE(r.ok()) << r.error().Render();
  EXPECT_EQ(ReadOrFail(spec.name), std::nullopt);
}

TEST(WindowsFirewall, CheckAgreesWithThePolicy) {
  bool expect_ok = true;
  WithRules([&](INetFwPolicy2* policy, INetFwRules*) {
    for (auto type : {NET_FW_PROFILE2_DOMAIN, NET_FW_PROFILE2_PRIVATE, NET_FW_PROFILE2_PUBLIC}) {
      VARIANT_BOOL on = VARIANT_FALSE;
      ASSERT_EQ(policy->get_FirewallEnabled(type, &on), S_OK);
      if (on != VARIANT_TRUE) expect_ok = false;
      VARIANT excluded;
      VariantInit(&excluded);
      ASSERT_EQ(policy->get_ExcludedInterfaces(type, &excluded), S_OK);
      if (excluded.vt != VT_EMPTY && excluded.vt != VT_NULL) {
        LONG low = 0, high = -1;
        if (!(excluded.vt & VT_ARRAY) || FAILED(SafeArrayGetLBound(excluded.parray, 1, &low)) ||
            FAILED(SafeArrayGetUBound(excluded.parray, 1, &high)) || high >= low) {
          expect_ok = false;
        }
      }
      VariantClear(&excluded);
    }
    NET_FW_MODIFY_STATE state = NET_FW_MODIFY_STATE_OK;
    ASSERT_EQ(policy->get_LocalPolicyModifyState(&state), S_OK);
    if (state != NET_FW_MODIFY_STATE_OK && state != NET_FW_MODIFY_STATE_INBOUND_BLOCKED) expect_ok = false;
  });
  ASSERT_FALSE(HasFatalFailure());
  auto r = CheckFirewallEnforcesLocalRules();
  EXPECT_EQ(r.ok(), expect_ok) << (r.ok() ? "" : r.error().Render());
  if (!r.ok()) {
    EXPECT_EQ(r.error().code, "unsupported");
  }
}

}  // namespace
}  // namespace sbx
