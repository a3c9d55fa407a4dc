// Windows lowering: hidden local users, a synthetic capability SID per profile, NTFS ACEs
// with inheritance flags, and Windows Firewall rules scoped to the sandbox user's SID.
//
// Windows Firewall evaluates block rules before allow rules, so an allowlist cannot be
// "allow these, block the rest": it is lowered to block rules on the complement of what
// the profile allows.
#include <algorithm>

#include "engine/core/strings.h"
#include "engine/plan/intent.h"

namespace sbx {
namespace {

constexpr size_t kMaxWindowsUserName = 20;

struct Rights {
  std::vector<std::string> names;
  uint32_t mask;
  std::string icacls;
};

// Masks from winnt.h: FILE_GENERIC_READ 0x120089, FILE_GENERIC_EXECUTE 0x1200A0,
// FILE_GENERIC_WRITE 0x120116, DELETE 0x10000.
const Rights kReadExecute{{"FILE_GENERIC_READ", "FILE_GENERIC_EXECUTE"}, 0x001200A9, "RX"};
const Rights kModify{{"FILE_GENERIC_READ", "FILE_GENERIC_WRITE", "FILE_GENERIC_EXECUTE", "DELETE"}, 0x001301BF, "M"};
// Deny only the bits that change content or names; leave SYNCHRONIZE and READ_CONTROL.
const Rights kDenyWrite{{"FILE_WRITE_DATA", "FILE_APPEND_DATA", "FILE_WRITE_EA", "FILE_WRITE_ATTRIBUTES",
                         "FILE_DELETE_CHILD", "DELETE"},
                        0x00010156,
                        "WD,AD,WEA,WA,DC,DE"};  // icacls' D is DELETE and SYNCHRONIZE: DE is DELETE alone
const Rights kDenyRead{{"FILE_READ_DATA", "FILE_READ_EA", "FILE_EXECUTE"}, 0x00000029, "RD,REA,X"};

std::string HexMask(uint32_t mask) { return "0x" + Hex(mask, 8); }

nlohmann::json Ace(const std::string& trustee, const std::string& trustee_kind, bool allow, const Rights& rights,
                   bool inherit) {
  nlohmann::json inheritance = nlohmann::json::array();
  std::string flags;
  if (inherit) {
    inheritance = {"OBJECT_INHERIT_ACE", "CONTAINER_INHERIT_ACE"};
    flags = "(OI)(CI)";
  }
  std::string perms = rights.icacls.find(',') != std::string::npos ? "(" + rights.icacls + ")" : rights.icacls;
  return {{"trustee", trustee},
          {"trustee_kind", trustee_kind},
          {"type", allow ? "allow" : "deny"},
          {"rights", rights.names},
          {"mask", HexMask(rights.mask)},
          {"inheritance", inheritance},
          {"icacls", std::string(allow ? "/grant " : "/deny ") + trustee + ":" + flags + perms}};
}

std::string CapabilityName(const std::string& profile) { return "sandboxctl-cap-" + profile; }

void LowerPrincipals(const Intent& intent, Plan& plan, std::vector<Diagnostic>& diags,
                     const std::map<std::string, SourceRegion>& user_regions) {
  for (const auto& [name, p] : intent.principals) {
    if (name.size() > kMaxWindowsUserName) {
      auto it = user_regions.find(name);
      diags.push_back(MakeError(DiagCode::kUnsupportedOnTarget, it != user_regions.end() ? it->second : SourceRegion{},
                                "user name '" + name + "' is " + std::to_string(name.size()) +
                                    " characters; Windows local accounts allow at most 20 (set a shorter [identity].user)"));
    }
    Resource user = MakeResource("user:" + name, ResourceKind::kPrincipal, "local_user",
                                 "hidden local user " + name + " (random password, DPAPI-protected)", p.provenance);
    user.attributes = {{"name", name},
                       {"api", "NetUserAdd"},
                       {"flags", {"UF_SCRIPT", "UF_DONT_EXPIRE_PASSWD", "UF_PASSWD_CANT_CHANGE"}},
                       {"hidden_from_sign_in", true},
                       {"password", "random from BCryptGenRandom, stored DPAPI-protected"},
                       {"sid", "allocated by Windows at apply"}};
    plan.resources.push_back(std::move(user));
  }
  for (const auto& [user, profiles] : intent.profiles_of_user) {
    const auto& principal = intent.principals.at(user);
    for (const auto& profile : profiles) {
      Provenance prov;
      prov.profiles.insert(profile);
      for (const auto& o : principal.provenance.origins) prov.origins.insert(o);
      Resource cap = MakeResource("capability:" + profile, ResourceKind::kPrincipal, "capability_sid",
                                  "capability SID for profile " + profile + " (write-restricted token)", prov);
      cap.attributes = {{"name", CapabilityName(profile)},
                        {"profile", profile},
                        {"user", user},
                        {"sid", "S-1-5-21-<random>, generated once at apply and recorded in state"}};
      plan.resources.push_back(std::move(cap));
    }
  }
}

void LowerGrant(const GrantIntent& g, const Intent& intent, Plan& plan) {
  // SeChangeNotifyPrivilege bypasses traverse checks; files the sandbox creates inherit
  // the root's ACEs, the owner's included, so neither needs an ACE of its own.
  if (g.access == Access::kTraverse || g.access == Access::kOwnerDefault) return;
  std::vector<std::string> caps;
  for (const auto& profile : g.provenance.profiles) caps.push_back(profile);
  nlohmann::json aces = nlohmann::json::array();
  std::string summary;
  const bool inherit = g.subtree;
  switch (g.access) {
    case Access::kRead:
      aces.push_back(Ace(g.user, "user", true, kReadExecute, inherit));
      summary = "read " + g.path + " for " + g.user + " (background)";
      break;
    case Access::kWrite:
      // A write-restricted token needs the write granted to both its user and its
      // restricting (capability) SID.
      aces.push_back(Ace(g.user, "user", true, kModify, inherit));
      for (const auto& c : caps) aces.push_back(Ace(CapabilityName(c), "capability", true, kModify, inherit));
      summary = "modify " + g.path + " for " + g.user + " and its capability SID";
      break;
    case Access::kDenyWrite:
      aces.push_back(Ace(g.user, "user", false, kDenyWrite, inherit));
      for (const auto& c : caps) aces.push_back(Ace(CapabilityName(c), "capability", false, kDenyWrite, inherit));
      summary = "deny write " + g.path + " for " + g.user;
      break;
    case Access::kDenyRead:
      aces.push_back(Ace(g.user, "user", false, kDenyRead, true));
      summary = "deny read " + g.path + " for " + g.user;
      break;
    case Access::kTraverse:
    case Access::kOwnerDefault:
      return;
  }
  Resource r = MakeResource("grant:" + std::string(AccessName(g.access)) + ":" + g.user + ":" + g.path,
                            ResourceKind::kFileGrant, "ntfs_ace", summary, g.provenance);
  r.attributes = GrantAttributes(g);
  r.attributes["aces"] = aces;
  r.depends_on = DirectoryDependencies(g.path, intent, true);
  r.depends_on.push_back("user:" + g.user);
  if (g.access == Access::kWrite || g.access == Access::kDenyWrite) {
    for (const auto& c : caps) r.depends_on.push_back("capability:" + c);
  }
  std::sort(r.depends_on.begin(), r.depends_on.end());
  plan.resources.push_back(std::move(r));
}

void LowerDirectory(const DirectoryIntent& d, const Intent& intent, Plan& plan) {
  Resource r = MakeResource("dir:" + d.path, ResourceKind::kDirectory, "directory",
                            "directory " + d.path + " (SYSTEM and Administrators only)", d.provenance);
  // Protected DACL: SYSTEM and Administrators only; the sandbox user's access to its
  // own ${tmp} comes from the write grant on it.
  r.attributes = {{"path", d.path}, {"owner", "BUILTIN\\Administrators"}, {"dacl", "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"}};
  r.depends_on = DirectoryDependencies(d.path, intent, false);
  plan.resources.push_back(std::move(r));
}

struct FirewallRule {
  std::string slug;
  std::string description;
  std::string protocol;  // any, tcp, udp, icmpv4, icmpv6
  std::vector<std::string> remote_addresses;  // empty: any
  std::vector<std::string> remote_ports;      // empty: any
};

std::vector<std::string> RangeStrings(const std::vector<IpRange>& ranges) {
  std::vector<std::string> out;
  out.reserve(ranges.size());
  for (const auto& r : ranges) out.push_back(r.ToString());
  return out;
}

struct Unsupported {
  std::string message;
  std::string entry;  // the allow entry it concerns, for the diagnostic's position
};

// A non-administrator cannot open raw sockets on Windows, so TCP, UDP and ICMP are all the
// traffic a sandbox user can send; blocking those three covers a port-restricted network.
std::vector<FirewallRule> RulesFor(const PrincipalIntent& p, std::vector<Unsupported>& unsupported) {
  std::vector<FirewallRule> rules;
  if (p.mode == NetworkMode::kOnline) return rules;
  std::vector<Cidr> open;       // destinations some traffic may reach
  std::vector<Cidr> all_ports;  // destinations every port of which may be reached
  if (p.loopback) {
    for (bool v6 : {false, true}) {
      open.push_back(LoopbackCidr(v6));
      all_ports.push_back(LoopbackCidr(v6));
    }
  }
  if (p.mode == NetworkMode::kAllowlist) {
    for (const auto& a : p.allow) {
      open.push_back(a.cidr);
      if (!a.port) all_ports.push_back(a.cidr);
    }
  }
  if (open.empty()) {
    rules.push_back({"block-all", "block all outbound traffic", "any", {}, {}});
    return rules;
  }
  std::vector<std::string> elsewhere = RangeStrings(ComplementRanges(false, open));
  for (const auto& r : RangeStrings(ComplementRanges(true, open))) elsewhere.push_back(r);
  if (!elsewhere.empty()) {
    rules.push_back({"block-other-addresses", "block outbound traffic to addresses the profile does not allow", "any",
                     elsewhere, {}});
  }
  if (p.mode != NetworkMode::kAllowlist) return rules;
  // Networks allowed on some ports only: block the other ports (TCP, UDP) and ICMP there,
  // leaving out the parts reachable on every port.
  std::vector<std::pair<NetAllowEntry, std::vector<uint16_t>>> ported;
  for (const auto& a : p.allow) {
    if (!a.port) continue;
    auto it = std::find_if(ported.begin(), ported.end(), [&](const auto& e) { return e.first.cidr == a.cidr; });
    if (it == ported.end()) ported.push_back({a, {*a.port}});
    else it->second.push_back(*a.port);
  }
  for (size_t i = 0; i < ported.size(); ++i) {
    for (size_t j = i + 1; j < ported.size(); ++j) {
      if (ported[i].first.cidr.Overlaps(ported[j].first.cidr)) {
        unsupported.push_back({"allow entries for " + ported[i].first.cidr.ToString() + " and " +
                                   ported[j].first.cidr.ToString() +
                                   " overlap with different ports; Windows Firewall block rules cannot express that, so "
                                   "give overlapping networks the same ports",
                               ported[j].first.ToString()});
      }
    }
  }
  for (const auto& [entry, ports] : ported) {
    std::vector<std::string> targets = RangeStrings(SubtractRanges(entry.cidr, all_ports));
    if (targets.empty()) continue;
    const std::string net = entry.cidr.ToString();
    std::vector<std::string> other_ports = ComplementPorts(ports);
    rules.push_back({"block-tcp-" + net, "block TCP to " + net + " except the allowed ports", "tcp", targets, other_ports});
    rules.push_back({"block-udp-" + net, "block UDP to " + net + " except the allowed ports", "udp", targets, other_ports});
    rules.push_back({"block-icmp-" + net, "block ICMP to " + net, entry.cidr.address.v6 ? "icmpv6" : "icmpv4", targets, {}});
  }
  return rules;
}

void LowerNetwork(const Intent& intent, Plan& plan, std::vector<Diagnostic>& diags,
                  const std::map<std::string, SourceRegion>& user_regions) {
  for (const auto& [user, p] : intent.principals) {
    std::vector<Unsupported> unsupported;
    auto rules = RulesFor(p, unsupported);
    for (const auto& u : unsupported) {
      auto at = p.allow_regions.find(u.entry);
      auto user_at = user_regions.find(user);
      SourceRegion where = at != p.allow_regions.end()        ? at->second
                           : user_at != user_regions.end() ? user_at->second
                                                           : SourceRegion{};
      diags.push_back(MakeError(DiagCode::kUnsupportedOnTarget, where, u.message));
    }
    for (const auto& rule : rules) {
      std::string name = "sandboxctl " + user + " " + rule.slug;
      Resource r = MakeResource("firewall:" + user + ":" + rule.slug, ResourceKind::kNetRule, "firewall_rule",
                                rule.description + " for " + user, p.net_provenance);
      nlohmann::json addresses = rule.remote_addresses.empty() ? nlohmann::json("*") : nlohmann::json(rule.remote_addresses);
      nlohmann::json ports = rule.remote_ports.empty() ? nlohmann::json("*") : nlohmann::json(rule.remote_ports);
      r.attributes = {{"name", name},
                      {"grouping", "sandboxctl"},
                      {"principal", user},
                      {"direction", "out"},
                      {"action", "block"},
                      {"protocol", rule.protocol},
                      {"remote_addresses", addresses},
                      {"remote_ports", ports},
                      {"profiles", "all"},
                      {"enabled", true},
                      {"local_user_authorized_list", "D:(A;;CC;;;<SID of " + user + ">)"},
                      {"mode", NetworkModeName(p.mode)}};
      r.depends_on = {"user:" + user};
      plan.resources.push_back(std::move(r));
    }
  }
}

}  // namespace

void LowerWindows(const Intent& intent, Plan& plan, std::vector<Diagnostic>& diagnostics,
                  const std::map<std::string, SourceRegion>& user_regions) {
  LowerPrincipals(intent, plan, diagnostics, user_regions);
  for (const auto& d : intent.directories) LowerDirectory(d, intent, plan);
  for (const auto& g : intent.grants) LowerGrant(g, intent, plan);
  LowerNetwork(intent, plan, diagnostics, user_regions);
}

}  // namespace sbx
