// Windows Firewall of the Windows host, through COM (INetFwPolicy2, INetFwRule3): rules
// found by their stable name, made fully configured before they are added, an existing
// rule that differs replaced make-before-break, and each rule read back and compared
// after it is written. Windows only; Wine's firewall is a stub, so the tests that change rules need
// an administrator on real Windows (label windows-real). A failed call is code
// "host_error" ("permission_denied" for E_ACCESSDENIED: not elevated), naming the COM
// method and the rule, with the HRESULT's text.
#pragma once

#include <optional>
#include <string>

#include "engine/core/result.h"
#include "engine/os_windows/firewall_rule.h"
#include "engine/reconcile/host.h"

namespace sbx {

// Fails (code "unsupported"), naming the profile, when rules sandboxctl adds would not
// take effect: the firewall is off for a profile (domain, private, public), an interface
// is excluded from a profile (its traffic passes every rule), or Group
// Policy overrides the local rules (INetFwPolicy2::LocalPolicyModifyState is
// NET_FW_MODIFY_STATE_GP_OVERRIDE, or a value this version does not know).
// NET_FW_MODIFY_STATE_INBOUND_BLOCKED passes: it ignores inbound rules only, and
// sandboxctl's rules are all outbound.
Result<Ok> CheckFirewallEnforcesLocalRules();

// The form in which ReadFirewallRule reports a rule and EnsureFirewallRule compares what
// it reads back, since Windows writes some fields back otherwise than they were given:
//   remote_addresses: "*", or each item as a range of one family ("10.0.0.0/8" and
//     "10.0.0.0/255.0.0.0" are "10.0.0.0-10.255.255.255", "192.0.2.7/32" is "192.0.2.7"),
//     merged and sorted, IPv4 first, written as IpRange writes them ("a" or "a-b", IPv6 in
//     RFC 5952 text); items that are no address (keywords) last, as they are. The lists
//     a plan holds are in this form already.
//   remote_ports (TCP and UDP): "*", or ports and ranges merged and sorted ("a", "a-b").
//   profiles: the three profiles (domain, private, public) are netfw::kProfileAll.
//   local_user_authorized_list: the SDDL as Windows writes it again after parsing it.
// Every other field is compared exactly.
FirewallRuleSpec CanonicalFirewallRule(const FirewallRuleSpec& spec);

// The rule called `name` (exactly), canonical, nullopt when there is none; an error with
// code "ambiguous" when several rules carry the name (apply never makes two). All rules
// are walked to count them: INetFwRules::Item gives one rule only. Remote ports of a rule
// that is neither TCP nor UDP read as "*" (Windows takes none there).
Result<std::optional<FirewallRuleSpec>> ReadFirewallRule(const std::string& name);

// Makes the rule `spec` describes. A new rule gets every field before it is added. An
// existing one (same name) that differs from the spec, or carries a condition
// FirewallRuleSpec does not model (application, service, local addresses and ports, ICMP
// types, interfaces, app container, remote user and machine lists, secure flags), each of
// which would narrow it, is replaced: the complete new rule is added under the name
// "<name> (replacing)", the old one removed, and the new one renamed, so a complete rule
// is in force throughout; a run stopped in between is finished by the next call. Then the
// rule is read back and every field that differs from
// CanonicalFirewallRule(spec) (description included), and any such condition still set,
// is an error naming them. "ambiguous" when several rules carry the name; "invalid_plan"
// for a spec Windows cannot hold (remote ports on a rule that is neither TCP nor UDP...)
// or one without a local user authorized list, which would block every user.
Result<Ok> EnsureFirewallRule(const FirewallRuleSpec& spec);

// Removes every rule called `name`, and a replacement a stopped call left; succeeds when
// there is none.
Result<Ok> RemoveFirewallRule(const std::string& name);

}  // namespace sbx
