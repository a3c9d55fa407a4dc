#include "engine/os_windows/firewall.h"

#include <windows.h>
#include <netfw.h>
#include <oleauto.h>
#include <sddl.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/net.h"
#include "engine/core/strings.h"
#include "engine/os_windows/text.h"

namespace sbx {
namespace {

constexpr const char* kFirewall = "Windows Firewall";

// One reference to a COM interface, released when the holder goes.
template <typename T>
class Com {
 public:
  Com() = default;
  Com(Com&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  Com& operator=(Com&& other) noexcept {
    if (this != &other) {
      Reset();
      p_ = std::exchange(other.p_, nullptr);
    }
    return *this;
  }
  Com(const Com&) = delete;
  Com& operator=(const Com&) = delete;
  ~Com() { Reset(); }

  T* get() const { return p_; }
  T* operator->() const { return p_; }
  T** Out() {
    Reset();
    return &p_;
  }
  void** OutVoid() { return reinterpret_cast<void**>(Out()); }

 private:
  void Reset() {
    if (p_) p_->Release();
    p_ = nullptr;
  }
  T* p_ = nullptr;
};

// One BSTR, freed when the holder goes (SysFreeString takes a null one too).
class Bstr {
 public:
  Bstr() = default;
  Bstr(const Bstr&) = delete;
  Bstr& operator=(const Bstr&) = delete;
  ~Bstr() { SysFreeString(b_); }

  // False when there is no memory for it.
  bool Assign(const std::string& utf8) {
    const std::wstring wide = Wide(utf8);
    SysFreeString(b_);
    b_ = SysAllocStringLen(wide.data(), static_cast<UINT>(wide.size()));
    return b_ != nullptr;
  }
  BSTR get() const { return b_; }
  BSTR* Out() {
    SysFreeString(b_);
    b_ = nullptr;
    return &b_;
  }
  std::wstring_view View() const { return b_ ? std::wstring_view(b_, SysStringLen(b_)) : std::wstring_view(); }
  std::string Text() const { return Utf8(View()); }

 private:
  BSTR b_ = nullptr;
};

// FormatMessageW's text for an HRESULT, with the HRESULT itself in hexadecimal.
std::string HresultMessage(HRESULT hr) {
  wchar_t* text = nullptr;
  const DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                                 nullptr, static_cast<DWORD>(hr), 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::string message = n && text ? Utf8(std::wstring_view(text, n)) : "";
  if (text) LocalFree(text);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r' || message.back() == '.')) {
    message.pop_back();
  }
  char code[32];
  std::snprintf(code, sizeof code, " (HRESULT 0x%08lX)", static_cast<unsigned long>(hr));
  return (message.empty() ? "error" : message) + code;
}

Error ComFailed(const char* call, const std::string& object, HRESULT hr) {
  return Error{hr == E_ACCESSDENIED ? "permission_denied" : "host_error", call, object, HresultMessage(hr)};
}

Error NoMemory(const std::string& object) { return Error{"host_error", "SysAllocStringLen", object, "out of memory"}; }

// COM on this thread for as long as it lives. S_OK and S_FALSE (already initialised, in
// the same mode) both count and are balanced by CoUninitialize; RPC_E_CHANGED_MODE means
// the thread is in a single-threaded apartment already: COM works there, this call did
// not count, so nothing is balanced. The interfaces used must be released before it goes.
class ComSession {
 public:
  ComSession() : hr_(CoInitializeEx(nullptr, COINIT_MULTITHREADED)) {}
  ComSession(const ComSession&) = delete;
  ComSession& operator=(const ComSession&) = delete;
  ~ComSession() {
    if (SUCCEEDED(hr_)) CoUninitialize();
  }
  bool ok() const { return SUCCEEDED(hr_) || hr_ == RPC_E_CHANGED_MODE; }
  Error error() const { return ComFailed("CoInitializeEx", kFirewall, hr_); }

 private:
  HRESULT hr_;
};

Result<Com<INetFwPolicy2>> OpenPolicy() {
  Com<INetFwPolicy2> policy;
  const HRESULT hr = CoCreateInstance(__uuidof(NetFwPolicy2), nullptr, CLSCTX_INPROC_SERVER, __uuidof(INetFwPolicy2),
                                      policy.OutVoid());
  if (FAILED(hr)) return ComFailed("CoCreateInstance(NetFwPolicy2)", kFirewall, hr);
  return policy;
}

// A fresh view of the rules each time: what another writer did in between is in it.
Result<Com<INetFwRules>> OpenRules(const std::string& name) {
  auto policy = OpenPolicy();
  if (!policy.ok()) return policy.error();
  Com<INetFwRules> rules;
  const HRESULT hr = (*policy)->get_Rules(rules.Out());
  if (FAILED(hr)) return ComFailed("INetFwPolicy2::get_Rules", name, hr);
  return rules;
}

// Every rule called `name` (exactly, as sandboxctl writes it), found by walking the whole
// collection: INetFwRules::Item gives one rule even when several carry the name.
Result<std::vector<Com<INetFwRule3>>> RulesNamed(INetFwRules* rules, const std::string& name) {
  Com<IUnknown> unknown;
  HRESULT hr = rules->get__NewEnum(unknown.Out());
  if (FAILED(hr)) return ComFailed("INetFwRules::get__NewEnum", name, hr);
  if (!unknown.get()) return Error{"host_error", "INetFwRules::get__NewEnum", name, "no enumerator"};
  Com<IEnumVARIANT> items;
  hr = unknown->QueryInterface(__uuidof(IEnumVARIANT), items.OutVoid());
  if (FAILED(hr)) return ComFailed("QueryInterface(IEnumVARIANT)", name, hr);
  const std::wstring wanted = Wide(name);
  std::vector<Com<INetFwRule3>> found;
  for (;;) {
    VARIANT item;
    VariantInit(&item);
    ULONG fetched = 0;
    hr = items->Next(1, &item, &fetched);
    if (FAILED(hr)) return ComFailed("IEnumVARIANT::Next", name, hr);
    if (hr != S_OK || fetched == 0) break;
    Com<INetFwRule> rule;
    HRESULT qi = E_NOINTERFACE;
    if (item.vt == VT_DISPATCH && item.pdispVal) {
      qi = item.pdispVal->QueryInterface(__uuidof(INetFwRule), rule.OutVoid());
    } else if (item.vt == VT_UNKNOWN && item.punkVal) {
      qi = item.punkVal->QueryInterface(__uuidof(INetFwRule), rule.OutVoid());
    }
    VariantClear(&item);
    if (FAILED(qi)) return ComFailed("QueryInterface(INetFwRule)", name, qi);
    Bstr rule_name;
    hr = rule->get_Name(rule_name.Out());
    if (FAILED(hr)) return ComFailed("INetFwRule::get_Name", name, hr);
    if (rule_name.View() != wanted) continue;
    // Only sandboxctl's rules need INetFwRule3 (LocalUserAuthorizedList, Windows 8 on).
    Com<INetFwRule3> rule3;
    hr = rule->QueryInterface(__uuidof(INetFwRule3), rule3.OutVoid());
    if (FAILED(hr)) return ComFailed("QueryInterface(INetFwRule3)", name, hr);
    found.push_back(std::move(rule3));
  }
  return found;
}

Error Ambiguous(const std::string& name, size_t count) {
  return Error{"ambiguous", "", name,
               std::to_string(count) + " firewall rules carry this name; sandboxctl makes one, so remove the others"};
}

bool TakesPorts(int protocol) { return protocol == netfw::kProtocolTcp || protocol == netfw::kProtocolUdp; }
bool IsIcmp(int protocol) { return protocol == netfw::kProtocolIcmpV4 || protocol == netfw::kProtocolIcmpV6; }

using TextGetter = HRESULT (STDMETHODCALLTYPE INetFwRule3::*)(BSTR*);
using TextSetter = HRESULT (STDMETHODCALLTYPE INetFwRule3::*)(BSTR);

Result<std::string> GetText(INetFwRule3* rule, TextGetter get, const char* call, const std::string& name) {
  Bstr value;
  const HRESULT hr = (rule->*get)(value.Out());
  if (FAILED(hr)) return ComFailed(call, name, hr);
  return value.Text();
}

// Conditions a rule can carry that FirewallRuleSpec does not model. Each narrows what a
// rule matches (to one program, service, local address, interface, app container...), so
// on a sandboxctl rule each must stay unset: read, the rule replaced when one is set, and
// verified.
struct Unmodelled {
  const char* field;
  TextGetter get;
  const char* get_call;
  bool (*applies)(int protocol);
};

bool Always(int) { return true; }

const Unmodelled kUnmodelled[] = {
    {"application_name", &INetFwRule3::get_ApplicationName, "INetFwRule::get_ApplicationName", Always},
    {"service_name", &INetFwRule3::get_ServiceName, "INetFwRule::get_ServiceName", Always},
    {"local_addresses", &INetFwRule3::get_LocalAddresses, "INetFwRule::get_LocalAddresses", Always},
    {"local_ports", &INetFwRule3::get_LocalPorts, "INetFwRule::get_LocalPorts", TakesPorts},
    {"icmp_types_and_codes", &INetFwRule3::get_IcmpTypesAndCodes, "INetFwRule::get_IcmpTypesAndCodes", IsIcmp},
    {"local_app_package_id", &INetFwRule3::get_LocalAppPackageId, "INetFwRule3::get_LocalAppPackageId", Always},
    {"remote_user_authorized_list", &INetFwRule3::get_RemoteUserAuthorizedList,
     "INetFwRule3::get_RemoteUserAuthorizedList", Always},
    {"remote_machine_authorized_list", &INetFwRule3::get_RemoteMachineAuthorizedList,
     "INetFwRule3::get_RemoteMachineAuthorizedList", Always},
};

bool IsUnset(const std::string& value) { return value.empty() || value == "*"; }

// A rule as read, in the canonical form, and the unmodelled conditions it carries
// ("application_name 'C:\x.exe'").
struct RuleRead {
  FirewallRuleSpec spec;
  std::vector<std::string> narrowed;
};

Result<RuleRead> ReadRule(INetFwRule3* rule, const std::string& name) {
  RuleRead out;
  FirewallRuleSpec& s = out.spec;
  struct TextField {
    std::string* to;
    TextGetter get;
    const char* call;
  };
  for (const TextField& f : {TextField{&s.name, &INetFwRule3::get_Name, "INetFwRule::get_Name"},
                             TextField{&s.description, &INetFwRule3::get_Description, "INetFwRule::get_Description"},
                             TextField{&s.grouping, &INetFwRule3::get_Grouping, "INetFwRule::get_Grouping"},
                             TextField{&s.remote_addresses, &INetFwRule3::get_RemoteAddresses,
                                       "INetFwRule::get_RemoteAddresses"},
                             TextField{&s.interface_types, &INetFwRule3::get_InterfaceTypes,
                                       "INetFwRule::get_InterfaceTypes"},
                             TextField{&s.local_user_authorized_list, &INetFwRule3::get_LocalUserAuthorizedList,
                                       "INetFwRule3::get_LocalUserAuthorizedList"}}) {
    auto text = GetText(rule, f.get, f.call, name);
    if (!text.ok()) return text.error();
    *f.to = *text;
  }
  NET_FW_RULE_DIRECTION direction{};
  NET_FW_ACTION action{};
  LONG protocol = 0, profiles = 0, secure_flags = 0;
  VARIANT_BOOL edge = VARIANT_FALSE, enabled = VARIANT_FALSE;
  HRESULT hr = rule->get_Direction(&direction);
  if (FAILED(hr)) return ComFailed("INetFwRule::get_Direction", name, hr);
  if (FAILED(hr = rule->get_Action(&action))) return ComFailed("INetFwRule::get_Action", name, hr);
  if (FAILED(hr = rule->get_Protocol(&protocol))) return ComFailed("INetFwRule::get_Protocol", name, hr);
  if (FAILED(hr = rule->get_Profiles(&profiles))) return ComFailed("INetFwRule::get_Profiles", name, hr);
  if (FAILED(hr = rule->get_EdgeTraversal(&edge))) return ComFailed("INetFwRule::get_EdgeTraversal", name, hr);
  if (FAILED(hr = rule->get_Enabled(&enabled))) return ComFailed("INetFwRule::get_Enabled", name, hr);
  s.direction = direction;
  s.action = action;
  s.protocol = protocol;
  s.profiles = profiles;
  s.edge_traversal = edge != VARIANT_FALSE;
  s.enabled = enabled != VARIANT_FALSE;
  // Ports belong to TCP and UDP only; Windows refuses them on other protocols.
  s.remote_ports = "*";
  if (TakesPorts(s.protocol)) {
    auto ports = GetText(rule, &INetFwRule3::get_RemotePorts, "INetFwRule::get_RemotePorts", name);
    if (!ports.ok()) return ports.error();
    s.remote_ports = *ports;
  }
  for (const Unmodelled& u : kUnmodelled) {
    if (!u.applies(s.protocol)) continue;
    auto value = GetText(rule, u.get, u.get_call, name);
    if (!value.ok()) return value.error();
    if (!IsUnset(*value)) out.narrowed.push_back(std::string(u.field) + " '" + *value + "'");
  }
  VARIANT interfaces;
  VariantInit(&interfaces);
  if (FAILED(hr = rule->get_Interfaces(&interfaces))) return ComFailed("INetFwRule::get_Interfaces", name, hr);
  if (interfaces.vt != VT_EMPTY && interfaces.vt != VT_NULL) out.narrowed.push_back("interfaces");
  VariantClear(&interfaces);
  if (FAILED(hr = rule->get_SecureFlags(&secure_flags))) return ComFailed("INetFwRule3::get_SecureFlags", name, hr);
  if (secure_flags != 0) out.narrowed.push_back("secure_flags " + std::to_string(secure_flags));
  out.spec = CanonicalFirewallRule(out.spec);
  return out;
}

Result<std::optional<RuleRead>> ReadNamed(const std::string& name) {
  auto rules = OpenRules(name);
  if (!rules.ok()) return rules.error();
  auto found = RulesNamed(rules->get(), name);
  if (!found.ok()) return found.error();
  if (found->empty()) return std::optional<RuleRead>{};
  if (found->size() > 1) return Ambiguous(name, found->size());
  auto read = ReadRule(found->front().get(), name);
  if (!read.ok()) return read.error();
  return std::optional<RuleRead>{std::move(*read)};
}

// Writes the spec's fields one by one into a new rule (every field unset yet), before it is
// added: ports after the protocol, which Windows checks them against; enabled last.
Result<Ok> Apply(INetFwRule3* rule, const FirewallRuleSpec& spec) {
  const std::string& name = spec.name;
  auto text = [&](TextSetter set, const char* call, const char* value) -> Result<Ok> {
    Bstr b;
    if (value && !b.Assign(value)) return NoMemory(name);
    const HRESULT hr = (rule->*set)(b.get());
    if (FAILED(hr)) return ComFailed(call, name, hr);
    return Ok{};
  };
  auto check = [&](const char* call, HRESULT hr) -> Result<Ok> {
    if (FAILED(hr)) return ComFailed(call, name, hr);
    return Ok{};
  };
  std::vector<std::function<Result<Ok>()>> steps = {
      [&] { return text(&INetFwRule3::put_Name, "INetFwRule::put_Name", spec.name.c_str()); },
      [&] { return text(&INetFwRule3::put_Description, "INetFwRule::put_Description", spec.description.c_str()); },
      [&] { return text(&INetFwRule3::put_Grouping, "INetFwRule::put_Grouping", spec.grouping.c_str()); },
      [&] {
        return check("INetFwRule::put_Direction", rule->put_Direction(static_cast<NET_FW_RULE_DIRECTION>(spec.direction)));
      },
      [&] { return check("INetFwRule::put_Action", rule->put_Action(static_cast<NET_FW_ACTION>(spec.action))); },
      [&] { return check("INetFwRule::put_Protocol", rule->put_Protocol(spec.protocol)); },
      [&]() -> Result<Ok> {
        if (!TakesPorts(spec.protocol)) return Ok{};
        return text(&INetFwRule3::put_RemotePorts, "INetFwRule::put_RemotePorts", spec.remote_ports.c_str());
      },
      [&] {
        return text(&INetFwRule3::put_RemoteAddresses, "INetFwRule::put_RemoteAddresses", spec.remote_addresses.c_str());
      },
      [&] { return check("INetFwRule::put_Profiles", rule->put_Profiles(spec.profiles)); },
      [&] {
        return text(&INetFwRule3::put_InterfaceTypes, "INetFwRule::put_InterfaceTypes", spec.interface_types.c_str());
      },
      [&] {
        return check("INetFwRule::put_EdgeTraversal", rule->put_EdgeTraversal(spec.edge_traversal ? VARIANT_TRUE : VARIANT_FALSE));
      },
      [&] {
        return text(&INetFwRule3::put_LocalUserAuthorizedList, "INetFwRule3::put_LocalUserAuthorizedList",
                    spec.local_user_authorized_list.c_str());
      },
      [&] { return check("INetFwRule::put_Enabled", rule->put_Enabled(spec.enabled ? VARIANT_TRUE : VARIANT_FALSE)); },
  };
  for (const auto& step : steps) {
    if (auto r = step(); !r.ok()) return r;
  }
  return Ok{};
}

std::string FieldText(const FirewallRuleSpec& s, const std::string& field) {
  if (field == "name") return s.name;
  if (field == "description") return s.description;
  if (field == "grouping") return s.grouping;
  if (field == "direction") return std::to_string(s.direction);
  if (field == "action") return std::to_string(s.action);
  if (field == "protocol") return std::to_string(s.protocol);
  if (field == "remote_addresses") return s.remote_addresses;
  if (field == "remote_ports") return s.remote_ports;
  if (field == "profiles") return std::to_string(s.profiles);
  if (field == "interface_types") return s.interface_types;
  if (field == "edge_traversal") return s.edge_traversal ? "true" : "false";
  if (field == "enabled") return s.enabled ? "true" : "false";
  if (field == "local_user_authorized_list") return s.local_user_authorized_list;
  return "?";
}

Result<Ok> Validate(const FirewallRuleSpec& spec) {
  auto bad = [&](const std::string& why) { return Error{"invalid_plan", "", spec.name, why}; };
  if (spec.name.empty() || spec.name.find('|') != std::string::npos || ToLower(spec.name) == "all") {
    return bad("is not a name Windows Firewall takes for a rule (empty, 'all', or with '|')");
  }
  if (spec.description.find('|') != std::string::npos) return bad("the description holds '|'");
  // Replacing a rule relies on two rules of a name together blocking at least what each
  // does: block rules only, and never a name a replacement carries.
  if (spec.action != netfw::kActionBlock) return bad("is not a block rule");
  const std::string suffix = " (replacing)";
  if (spec.name.size() >= suffix.size() &&
      spec.name.compare(spec.name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return bad("ends like the name of a replacement rule");
  }
  if (!TakesPorts(spec.protocol) && spec.remote_ports != "*") {
    return bad("remote ports on a rule that is neither TCP nor UDP");
  }
  if (spec.local_user_authorized_list.empty()) {
    return bad("no local user authorized list: the rule would apply to every user");
  }
  return Ok{};
}

// The name a complete replacement carries while it takes an existing rule's place.
std::string ReplacementName(const std::string& name) { return name + " (replacing)"; }

// Makes a new rule of `spec` and adds it: every field is set while it is no one's rule
// yet; adding it is the moment it takes effect.
Result<Ok> AddNew(INetFwRules* rules, const FirewallRuleSpec& spec) {
  const std::string& name = spec.name;
  Com<INetFwRule> rule;
  HRESULT hr = CoCreateInstance(__uuidof(NetFwRule), nullptr, CLSCTX_INPROC_SERVER, __uuidof(INetFwRule), rule.OutVoid());
  if (FAILED(hr)) return ComFailed("CoCreateInstance(NetFwRule)", name, hr);
  Com<INetFwRule3> rule3;
  hr = rule->QueryInterface(__uuidof(INetFwRule3), rule3.OutVoid());
  if (FAILED(hr)) return ComFailed("QueryInterface(INetFwRule3)", name, hr);
  if (auto r = Apply(rule3.get(), spec); !r.ok()) return r;
  hr = rules->Add(rule.get());
  if (FAILED(hr)) return ComFailed("INetFwRules::Add", name, hr);
  return Ok{};
}

Result<Ok> Remove(const std::string& name);

// Gives the one rule called `from` the name `to`.
Result<Ok> Rename(const std::string& from, const std::string& to) {
  auto rules = OpenRules(from);
  if (!rules.ok()) return rules.error();
  auto found = RulesNamed(rules->get(), from);
  if (!found.ok()) return found.error();
  if (found->empty()) return Error{"host_error", "", from, "the replacement rule is not there to rename"};
  if (found->size() > 1) return Ambiguous(from, found->size());
  Bstr b;
  if (!b.Assign(to)) return NoMemory(to);
  const HRESULT hr = found->front()->put_Name(b.get());
  if (FAILED(hr)) return ComFailed("INetFwRule::put_Name", from, hr);
  return Ok{};
}

// An existing rule that differs is never rewritten field by field, live (in between it
// would block less than either version): make before break. The complete replacement is
// added under another name, the old rule goes, and the replacement takes its name; at
// every moment one complete rule or both are in force, and two block rules block at least
// what each does. A run stopped in between is finished by the next.
Result<Ok> Ensure(const FirewallRuleSpec& spec) {
  const std::string& name = spec.name;
  const std::string next = ReplacementName(name);
  auto rules = OpenRules(name);
  if (!rules.ok()) return rules.error();
  auto found = RulesNamed(rules->get(), name);
  if (!found.ok()) return found.error();
  if (found->size() > 1) return Ambiguous(name, found->size());
  auto pending = RulesNamed(rules->get(), next);
  if (!pending.ok()) return pending.error();
  if (!pending->empty()) {
    const bool old_gone = found->empty(), one = pending->size() == 1;
    found->clear();
    pending->clear();  // no reference to a rule being renamed or removed
    if (old_gone && one) {
      // Stopped after the old rule went: the replacement takes the name.
      if (auto r = Rename(next, name); !r.ok()) return r;
    } else {
      // Stopped before (the old rule is in force), or replacements of several runs: they
      // go, after a complete rule of the name is in force.
      if (old_gone) {
        if (auto r = AddNew(rules->get(), spec); !r.ok()) return r;
      }
      if (auto r = Remove(next); !r.ok()) return r;
    }
    rules = OpenRules(name);
    if (!rules.ok()) return rules.error();
    found = RulesNamed(rules->get(), name);
    if (!found.ok()) return found.error();
    if (found->size() > 1) return Ambiguous(name, found->size());
  }
  if (found->empty()) return AddNew(rules->get(), spec);
  auto now = ReadRule(found->front().get(), name);
  if (!now.ok()) return now.error();
  if (now->spec == CanonicalFirewallRule(spec) && now->narrowed.empty()) return Ok{};
  found->clear();
  FirewallRuleSpec replacement = spec;
  replacement.name = next;
  if (auto r = AddNew(rules->get(), replacement); !r.ok()) return r;
  if (auto r = Remove(name); !r.ok()) return r;
  return Rename(next, name);
}

Result<Ok> Verify(const FirewallRuleSpec& spec) {
  auto read = ReadNamed(spec.name);
  if (!read.ok()) return read.error();
  if (!*read) return Error{"host_error", "", spec.name, "the firewall rule just written is not there when read back"};
  const FirewallRuleSpec wanted = CanonicalFirewallRule(spec);
  const FirewallRuleSpec& found = (*read)->spec;
  std::vector<std::string> fields = FirewallRuleDifferences(wanted, found);
  if (wanted.description != found.description) fields.push_back("description");
  std::vector<std::string> what;
  for (const auto& f : fields) {
    what.push_back(f + " (wanted '" + FieldText(wanted, f) + "', found '" + FieldText(found, f) + "')");
  }
  for (const auto& n : (*read)->narrowed) what.push_back(n + " (wanted unset)");
  auto left = ReadNamed(ReplacementName(spec.name));
  if (!left.ok()) return left.error();
  if (*left) what.push_back("a replacement rule '" + ReplacementName(spec.name) + "' is still there");
  if (what.empty()) return Ok{};
  return Error{"host_error", "", spec.name, "the firewall rule read back differs from what was written: " + Join(what, ", ")};
}

Result<Ok> Remove(const std::string& name) {
  size_t before = SIZE_MAX;
  for (;;) {
    auto rules = OpenRules(name);
    if (!rules.ok()) return rules.error();
    auto found = RulesNamed(rules->get(), name);
    if (!found.ok()) return found.error();
    if (found->empty()) return Ok{};
    if (found->size() >= before) {
      return Error{"host_error", "INetFwRules::Remove", name, "the rule is still there after removing it"};
    }
    before = found->size();
    found->clear();  // no reference to a rule being removed
    Bstr b;
    if (!b.Assign(name)) return NoMemory(name);
    const HRESULT hr = (*rules)->Remove(b.get());
    if (FAILED(hr)) return ComFailed("INetFwRules::Remove", name, hr);
  }
}

// The names in an ExcludedInterfaces value: nothing (VT_EMPTY, VT_NULL) or a
// one-dimensional array of VARIANTs holding BSTRs. Anything else is an error: the check
// fails closed.
Result<std::vector<std::string>> ExcludedInterfaceNames(const VARIANT& v) {
  std::vector<std::string> names;
  if (v.vt == VT_EMPTY || v.vt == VT_NULL) return names;
  auto odd = [&](const std::string& why) { return Error{"host_error", "", "", "the excluded interfaces " + why}; };
  if (v.vt != (VT_ARRAY | VT_VARIANT) || !v.parray) return odd("come as a VARIANT of type " + std::to_string(v.vt));
  if (SafeArrayGetDim(v.parray) != 1) return odd("are not a list");
  LONG low = 0, high = -1;
  if (FAILED(SafeArrayGetLBound(v.parray, 1, &low)) || FAILED(SafeArrayGetUBound(v.parray, 1, &high))) {
    return odd("have no bounds");
  }
  for (LONG i = low; i <= high; ++i) {
    VARIANT item;
    VariantInit(&item);
    if (FAILED(SafeArrayGetElement(v.parray, &i, &item))) return odd("cannot be read");
    const bool text = item.vt == VT_BSTR;
    if (text) names.push_back(item.bstrVal ? Utf8(std::wstring_view(item.bstrVal, SysStringLen(item.bstrVal))) : "");
    VariantClear(&item);
    if (!text) return odd("hold something that is not a name");
  }
  return names;
}

Result<Ok> CheckPolicy() {
  auto policy = OpenPolicy();
  if (!policy.ok()) return policy.error();
  std::vector<std::string> off;
  for (const auto& [type, label] : {std::pair{NET_FW_PROFILE2_DOMAIN, "domain"}, std::pair{NET_FW_PROFILE2_PRIVATE, "private"},
                                    std::pair{NET_FW_PROFILE2_PUBLIC, "public"}}) {
    VARIANT_BOOL enabled = VARIANT_FALSE;
    const HRESULT hr = (*policy)->get_FirewallEnabled(type, &enabled);
    if (FAILED(hr)) return ComFailed("INetFwPolicy2::get_FirewallEnabled", std::string(kFirewall) + " (" + label + " profile)", hr);
    if (enabled != VARIANT_TRUE) off.push_back(label);
    // Traffic on an interface excluded from a profile passes every rule.
    VARIANT excluded;
    VariantInit(&excluded);
    const HRESULT ex = (*policy)->get_ExcludedInterfaces(type, &excluded);
    if (FAILED(ex)) {
      return ComFailed("INetFwPolicy2::get_ExcludedInterfaces", std::string(kFirewall) + " (" + label + " profile)", ex);
    }
    auto names = ExcludedInterfaceNames(excluded);
    VariantClear(&excluded);
    if (!names.ok()) {
      return Error{"unsupported", "INetFwPolicy2::get_ExcludedInterfaces", std::string(kFirewall) + " (" + label +
                   " profile)", names.error().message + "; sandboxctl cannot tell whether its rules apply everywhere"};
    }
    if (!names->empty()) {
      return Error{"unsupported", "INetFwPolicy2::get_ExcludedInterfaces", kFirewall,
                   "the interfaces " + Join(*names, ", ") + " are excluded from the firewall's " + label +
                       " profile, so sandboxctl's block rules would not apply to their traffic; include every interface"};
    }
  }
  if (!off.empty()) {
    return Error{"unsupported", "INetFwPolicy2::get_FirewallEnabled", kFirewall,
                 "the firewall is off for the " + Join(off, ", ") + (off.size() > 1 ? " profiles" : " profile") +
                     ", so sandboxctl's block rules would not apply there; turn it on for every profile"};
  }
  NET_FW_MODIFY_STATE state = NET_FW_MODIFY_STATE_OK;
  const HRESULT hr = (*policy)->get_LocalPolicyModifyState(&state);
  if (FAILED(hr)) return ComFailed("INetFwPolicy2::get_LocalPolicyModifyState", kFirewall, hr);
  switch (state) {
    case NET_FW_MODIFY_STATE_OK:
      return Ok{};
    case NET_FW_MODIFY_STATE_INBOUND_BLOCKED:
      // All inbound traffic is blocked whatever the inbound rules say; outbound rules,
      // the only ones sandboxctl makes, still apply.
      return Ok{};
    case NET_FW_MODIFY_STATE_GP_OVERRIDE:
      return Error{"unsupported", "INetFwPolicy2::get_LocalPolicyModifyState", kFirewall,
                   "Group Policy overrides local firewall rules (LocalPolicyModifyState=NET_FW_MODIFY_STATE_GP_OVERRIDE), "
                   "so sandboxctl's block rules would not apply"};
  }
  return Error{"unsupported", "INetFwPolicy2::get_LocalPolicyModifyState", kFirewall,
               "local firewall rules may not take effect (LocalPolicyModifyState=" + std::to_string(state) +
                   "), so sandboxctl's block rules might not apply"};
}

// Canonical address lists: each item as a range of one family, the ranges of each family
// sorted and merged, IPv4 first, each written "a" or "a-b"; items that are no address
// (keywords such as LocalSubnet) kept as they are, sorted, after them.
std::string CanonicalAddresses(const std::string& list) {
  if (list.empty() || list == "*") return "*";
  struct Span {
    bool v6;
    Uint128 first, last;
  };
  std::vector<Span> spans;
  std::vector<std::string> other;
  for (const std::string& raw : Split(list, ',')) {
    const std::string item(raw);
    std::optional<Span> span;
    if (const size_t dash = item.find('-'); dash != std::string::npos) {
      auto a = ParseIpAddress(item.substr(0, dash)), b = ParseIpAddress(item.substr(dash + 1));
      if (a && b && a->v6 == b->v6 && a->value <= b->value) span = Span{a->v6, a->value, b->value};
    } else if (const size_t slash = item.find('/'); slash != std::string::npos) {
      auto a = ParseIpAddress(item.substr(0, slash));
      const std::string suffix = item.substr(slash + 1);
      std::optional<int> prefix;
      if (a && !suffix.empty() && suffix.size() <= 3 && suffix.find_first_not_of("0123456789") == std::string::npos) {
        prefix = std::stoi(suffix);
      } else if (a && !a->v6) {
        // A dotted mask, as Windows writes IPv4 subnets ("10.0.0.0/255.0.0.0"): contiguous only.
        if (auto mask = ParseIpAddress(suffix); mask && !mask->v6) {
          const uint32_t m = static_cast<uint32_t>(mask->value);
          const uint32_t inverted = ~m;
          if ((inverted & (inverted + 1)) == 0) prefix = __builtin_popcount(m);
        }
      }
      if (a && prefix && *prefix >= 0 && *prefix <= a->Bits()) {
        const Uint128 all = a->v6 ? ~Uint128{0} : Uint128{0xFFFFFFFFu};
        const Uint128 host = *prefix >= a->Bits() ? Uint128{0} : (all >> *prefix);
        span = Span{a->v6, a->value & ~host & all, (a->value & ~host & all) | host};
      }
    } else if (auto a = ParseIpAddress(item)) {
      span = Span{a->v6, a->value, a->value};
    }
    if (span) spans.push_back(*span);
    else other.push_back(item);
  }
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.v6 != b.v6 ? !a.v6 : a.first != b.first ? a.first < b.first : a.last < b.last;
  });
  std::vector<Span> merged;
  for (const Span& s : spans) {
    if (!merged.empty() && merged.back().v6 == s.v6 &&
        (s.first <= merged.back().last || s.first - 1 == merged.back().last)) {
      merged.back().last = std::max(merged.back().last, s.last);
    } else {
      merged.push_back(s);
    }
  }
  std::vector<std::string> items;
  for (const Span& s : merged) items.push_back(IpRange{IpAddress{s.v6, s.first}, IpAddress{s.v6, s.last}}.ToString());
  std::sort(other.begin(), other.end());
  items.insert(items.end(), other.begin(), other.end());
  return Join(items, ",");
}

// Canonical port lists: ports and ranges sorted and merged, each "a" or "a-b"; keywords
// (RPC, IPHTTPS...) kept as they are, sorted, after them.
std::string CanonicalPorts(const std::string& list) {
  if (list.empty() || list == "*") return "*";
  std::vector<std::pair<int, int>> spans;
  std::vector<std::string> other;
  auto port = [](const std::string& s) -> std::optional<int> {
    if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    const int n = std::stoi(s);
    if (n > 65535) return std::nullopt;
    return n;
  };
  for (const std::string& item : Split(list, ',')) {
    const size_t dash = item.find('-');
    auto a = port(item.substr(0, dash));
    auto b = dash == std::string::npos ? a : port(item.substr(dash + 1));
    if (a && b && *a <= *b) spans.push_back({*a, *b});
    else other.push_back(item);
  }
  std::sort(spans.begin(), spans.end());
  std::vector<std::pair<int, int>> merged;
  for (const auto& s : spans) {
    if (!merged.empty() && s.first <= merged.back().second + 1) merged.back().second = std::max(merged.back().second, s.second);
    else merged.push_back(s);
  }
  std::vector<std::string> items;
  for (const auto& [a, b] : merged) items.push_back(a == b ? std::to_string(a) : std::to_string(a) + "-" + std::to_string(b));
  std::sort(other.begin(), other.end());
  items.insert(items.end(), other.begin(), other.end());
  return Join(items, ",");
}

// The SDDL as Windows writes it again after parsing it (SIDs it has an alias for become
// the alias, "S-1-5-32-544" becomes "BA"); unchanged when it does not parse.
std::string CanonicalSddl(const std::string& sddl) {
  if (sddl.empty()) return sddl;
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(Wide(sddl).c_str(), SDDL_REVISION_1, &sd, nullptr)) return sddl;
  wchar_t* text = nullptr;
  std::string out = sddl;
  if (ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, nullptr)) {
    out = Utf8(text);
    LocalFree(text);
  }
  LocalFree(sd);
  return out;
}

}  // namespace

FirewallRuleSpec CanonicalFirewallRule(const FirewallRuleSpec& spec) {
  FirewallRuleSpec c = spec;
  c.remote_addresses = CanonicalAddresses(spec.remote_addresses);
  c.remote_ports = TakesPorts(spec.protocol) ? CanonicalPorts(spec.remote_ports) : spec.remote_ports;
  // Every profile there is, however Windows writes it (0x7FFFFFFF, or the three bits).
  constexpr int32_t kEveryProfile = NET_FW_PROFILE2_DOMAIN | NET_FW_PROFILE2_PRIVATE | NET_FW_PROFILE2_PUBLIC;
  if ((spec.profiles & kEveryProfile) == kEveryProfile) c.profiles = netfw::kProfileAll;
  c.local_user_authorized_list = CanonicalSddl(spec.local_user_authorized_list);
  return c;
}

Result<Ok> CheckFirewallEnforcesLocalRules() {
  ComSession com;
  if (!com.ok()) return com.error();
  return CheckPolicy();
}

Result<std::optional<FirewallRuleSpec>> ReadFirewallRule(const std::string& name) {
  ComSession com;
  if (!com.ok()) return com.error();
  auto read = ReadNamed(name);
  if (!read.ok()) return read.error();
  if (!*read) return std::optional<FirewallRuleSpec>{};
  return std::optional<FirewallRuleSpec>{(*read)->spec};
}

Result<Ok> EnsureFirewallRule(const FirewallRuleSpec& spec) {
  if (auto v = Validate(spec); !v.ok()) return v;
  ComSession com;
  if (!com.ok()) return com.error();
  if (auto r = Ensure(spec); !r.ok()) return r;
  return Verify(spec);
}

Result<Ok> RemoveFirewallRule(const std::string& name) {
  ComSession com;
  if (!com.ok()) return com.error();
  // A replacement a stopped apply left goes too.
  if (auto r = Remove(ReplacementName(name)); !r.ok()) return r;
  return Remove(name);
}

}  // namespace sbx
