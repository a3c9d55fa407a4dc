// Windows Firewall rules as data: what the Windows host sets on an INetFwRule3 (every
// field, found by its stable name), built from a plan's firewall_rule resource with the
// sandbox user's SID resolved, and the comparison that verifies a rule read back. Pure:
// built and tested on every platform.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/result.h"
#include "engine/os_windows/sid.h"

namespace sbx {

// NET_FW_* values of netfw.h.
namespace netfw {
inline constexpr int kDirectionOut = 2;
inline constexpr int kActionBlock = 0;
inline constexpr int kProtocolTcp = 6, kProtocolUdp = 17, kProtocolIcmpV4 = 1, kProtocolIcmpV6 = 58, kProtocolAny = 256;
inline constexpr int32_t kProfileAll = 0x7FFFFFFF;
}  // namespace netfw

struct FirewallRuleSpec {
  std::string name;       // stable: how apply finds the rule again
  std::string description;
  std::string grouping;   // "sandboxctl"
  int direction = netfw::kDirectionOut;
  int action = netfw::kActionBlock;
  int protocol = netfw::kProtocolAny;
  std::string remote_addresses = "*";  // as INetFwRule::RemoteAddresses takes them
  std::string remote_ports = "*";      // only for TCP and UDP
  int32_t profiles = netfw::kProfileAll;
  std::string interface_types = "All";
  bool edge_traversal = false;
  bool enabled = true;
  // SDDL naming the only user the rule applies to: D:(A;;CC;;;<SID>).
  std::string local_user_authorized_list;

  bool operator==(const FirewallRuleSpec&) const = default;
};

// From a firewall_rule resource of a Windows plan, checking every field; `user_sid` is the
// SID of the resource's principal.
Result<FirewallRuleSpec> FirewallRuleOfResource(const nlohmann::json& attributes, const Sid& user_sid);

// The fields in which a rule read back differs from the one wanted ("remote_addresses",
// ...): empty when it is as wanted.
std::vector<std::string> FirewallRuleDifferences(const FirewallRuleSpec& wanted, const FirewallRuleSpec& found);

}  // namespace sbx
