#include "engine/os_windows/firewall_rule.h"

#include "engine/core/strings.h"

namespace sbx {
namespace {

Error Bad(const std::string& why) { return Error{"invalid_plan", "", "firewall_rule", why}; }

// "*", or a comma-separated list of what the plan holds (CIDRs and ranges, or ports and
// port ranges), with nothing a firewall string could be confused by.
Result<std::string> ListField(const nlohmann::json& value, const std::string& field, const std::string& allowed) {
  if (value.is_string() && value == "*") return std::string("*");
  if (!value.is_array() || value.empty()) return Bad(field + " is neither \"*\" nor a list");
  std::vector<std::string> items;
  for (const auto& v : value) {
    if (!v.is_string() || v.get<std::string>().empty() ||
        v.get<std::string>().find_first_not_of(allowed) != std::string::npos) {
      return Bad(field + " holds " + v.dump());
    }
    items.push_back(v);
  }
  return Join(items, ",");
}

}  // namespace

Result<FirewallRuleSpec> FirewallRuleOfResource(const nlohmann::json& a, const Sid& user_sid) {
  if (!a.is_object()) return Bad("attributes are not an object");
  for (const char* key : {"name", "grouping", "direction", "action", "protocol", "principal"}) {
    if (!a.contains(key) || !a[key].is_string()) return Bad(std::string("no ") + key);
  }
  FirewallRuleSpec r;
  r.name = a["name"];
  if (r.name.rfind("sandboxctl ", 0) != 0 || r.name.size() > 200 ||
      r.name.find_first_of("|\r\n\t") != std::string::npos) {
    return Bad("rule name '" + r.name + "' is not one of sandboxctl's");
  }
  r.grouping = a["grouping"];
  if (r.grouping != "sandboxctl") return Bad("grouping '" + r.grouping + "'");
  if (a["direction"] != "out") return Bad("direction " + a["direction"].dump());
  if (a["action"] != "block") return Bad("action " + a["action"].dump());
  const std::string protocol = a["protocol"];
  if (protocol == "any") r.protocol = netfw::kProtocolAny;
  else if (protocol == "tcp") r.protocol = netfw::kProtocolTcp;
  else if (protocol == "udp") r.protocol = netfw::kProtocolUdp;
  else if (protocol == "icmpv4") r.protocol = netfw::kProtocolIcmpV4;
  else if (protocol == "icmpv6") r.protocol = netfw::kProtocolIcmpV6;
  else return Bad("protocol '" + protocol + "'");
  auto addresses = ListField(a.value("remote_addresses", nlohmann::json()), "remote_addresses",
                             "0123456789abcdefABCDEF.:/-");
  if (!addresses.ok()) return addresses.error();
  r.remote_addresses = *addresses;
  auto ports = ListField(a.value("remote_ports", nlohmann::json()), "remote_ports", "0123456789-");
  if (!ports.ok()) return ports.error();
  r.remote_ports = *ports;
  if (r.remote_ports != "*" && r.protocol != netfw::kProtocolTcp && r.protocol != netfw::kProtocolUdp) {
    return Bad("remote ports on a rule that is neither TCP nor UDP");
  }
  if (a.contains("description") && !a["description"].is_string()) return Bad("description is not a string");
  r.description = a.contains("description") ? a["description"].get<std::string>() : r.name;
  // A block rule that is not enabled blocks nothing: never one of sandboxctl's.
  if (!a.contains("enabled") || a["enabled"] != true) return Bad("the rule is not enabled");
  r.local_user_authorized_list = "D:(A;;CC;;;" + FormatSid(user_sid) + ")";
  return r;
}

std::vector<std::string> FirewallRuleDifferences(const FirewallRuleSpec& w, const FirewallRuleSpec& f) {
  std::vector<std::string> out;
  auto check = [&](bool same, const char* field) {
    if (!same) out.emplace_back(field);
  };
  check(w.name == f.name, "name");
  check(w.grouping == f.grouping, "grouping");
  check(w.direction == f.direction, "direction");
  check(w.action == f.action, "action");
  check(w.protocol == f.protocol, "protocol");
  check(w.remote_addresses == f.remote_addresses, "remote_addresses");
  check(w.remote_ports == f.remote_ports, "remote_ports");
  check(w.profiles == f.profiles, "profiles");
  check(w.interface_types == f.interface_types, "interface_types");
  check(w.edge_traversal == f.edge_traversal, "edge_traversal");
  check(w.enabled == f.enabled, "enabled");
  check(w.local_user_authorized_list == f.local_user_authorized_list, "local_user_authorized_list");
  return out;
}

}  // namespace sbx
