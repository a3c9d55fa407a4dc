// Linux lowering: system users and groups, POSIX ACL entries (access and default), the
// per-profile temporary directories, and nftables rules matched on the socket owner.
#include <algorithm>
#include <map>

#include "engine/core/strings.h"
#include "engine/plan/intent.h"

namespace sbx {
namespace {

constexpr const char* kNftFamily = "inet";
constexpr const char* kNftChain = "output";

std::string GrantId(const GrantIntent& g) {
  return "grant:" + std::string(AccessName(g.access)) + ":" + g.user + ":" + g.path;
}

void LowerPrincipal(const PrincipalIntent& p, Plan& plan) {
  Resource group = MakeResource("group:" + p.user, ResourceKind::kPrincipal, "group", "system group " + p.user,
                                p.provenance);
  group.attributes = {{"name", p.user}, {"system", true}, {"command", {"groupadd", "--system", p.user}}};
  plan.resources.push_back(std::move(group));

  Resource user = MakeResource("user:" + p.user, ResourceKind::kPrincipal, "user",
                               "system user " + p.user + " (no login shell, no password)", p.provenance);
  user.depends_on = {"group:" + p.user};
  user.attributes = {{"name", p.user},
                     {"group", p.user},
                     {"system", true},
                     {"shell", "/usr/sbin/nologin"},
                     {"home", "/nonexistent"},
                     {"command",
                      {"useradd", "--system", "--gid", p.user, "--no-create-home", "--home-dir", "/nonexistent",
                       "--shell", "/usr/sbin/nologin", "--comment", "sandboxctl sandbox user", p.user}}};
  plan.resources.push_back(std::move(user));
}

void LowerGrant(const GrantIntent& g, const Intent& intent, Plan& plan) {
  std::vector<std::string> acl, default_acl;
  const std::string u = "user:" + g.user + ":";
  std::string summary;
  switch (g.access) {
    case Access::kWrite:
      acl = {u + "rwX"};
      default_acl = {u + "rwx"};
      summary = "write " + g.path + " for " + g.user;
      break;
    case Access::kOwnerDefault:
      default_acl = {u + "rwx"};
      summary = "keep files the sandbox creates in " + g.path + " usable by " + g.user;
      break;
    case Access::kDenyWrite:
      acl = {u + "r-X"};
      default_acl = {u + "r-x"};
      summary = "read-only carve-out " + g.path + " for " + g.user;
      break;
    case Access::kRead:
      acl = {u + "r-X"};
      default_acl = {u + "r-x"};
      summary = "read " + g.path + " for " + g.user + " (background)";
      break;
    case Access::kDenyRead:
      acl = {u + "---"};
      summary = "deny read " + g.path + " for " + g.user;
      break;
    case Access::kTraverse:
      acl = {u + "--x"};
      summary = "traverse " + g.path + " for " + g.user + " (if not already possible)";
      break;
  }
  Resource r = MakeResource(GrantId(g), ResourceKind::kFileGrant, "posix_acl", summary, g.provenance);
  r.attributes = GrantAttributes(g);
  r.attributes["acl"] = acl;
  r.attributes["default_acl"] = default_acl;
  r.depends_on = DirectoryDependencies(g.path, intent, true);
  if (g.access != Access::kOwnerDefault) {
    r.depends_on.push_back("user:" + g.user);
  } else {
    // After the sandbox users' entries, so that a default ACL found on a directory is one
    // sandboxctl made (and removes) rather than one that was there before.
    for (const auto& other : intent.grants) {
      if (other.access == Access::kWrite && other.path == g.path) r.depends_on.push_back(GrantId(other));
    }
  }
  std::sort(r.depends_on.begin(), r.depends_on.end());
  plan.resources.push_back(std::move(r));
}

void LowerDirectory(const DirectoryIntent& d, const Intent& intent, Plan& plan) {
  Resource r = MakeResource("dir:" + d.path, ResourceKind::kDirectory, "directory",
                            "directory " + d.path + " (root, " + d.mode + ")", d.provenance);
  r.attributes = {{"path", d.path}, {"owner", "root"}, {"group", "root"}, {"mode", d.mode}};
  r.depends_on = DirectoryDependencies(d.path, intent, false);
  plan.resources.push_back(std::move(r));
}

struct NftRule {
  std::string slug;
  std::string match;  // after "meta skuid"
  std::string verdict;
};

std::vector<NftRule> RulesFor(const PrincipalIntent& p) {
  std::vector<NftRule> rules;
  if (p.mode == NetworkMode::kOnline) return rules;
  if (p.loopback) {
    rules.push_back({"loopback-ipv4", "ip daddr 127.0.0.0/8", "accept"});
    rules.push_back({"loopback-ipv6", "ip6 daddr ::1", "accept"});
  }
  if (p.mode == NetworkMode::kAllowlist) {
    for (const auto& a : p.allow) {
      std::string match = std::string(a.cidr.address.v6 ? "ip6" : "ip") + " daddr " + a.cidr.ToString();
      if (a.port) match += " meta l4proto { tcp, udp } th dport " + std::to_string(*a.port);
      rules.push_back({"allow-" + a.ToString(), match, "accept"});
    }
  }
  // TCP gets a reset so connect() fails at once with ECONNREFUSED; everything else
  // (UDP, ICMP, IPv4 and IPv6) an administratively-prohibited error.
  rules.push_back({"reject-tcp", "meta l4proto tcp", "reject with tcp reset"});
  rules.push_back({"reject-all", "", "reject with icmpx type admin-prohibited"});
  return rules;
}

void LowerNetwork(const Intent& intent, Plan& plan) {
  const std::string& table_name = intent.context.nft_table;
  Provenance all;
  bool any = false;
  for (const auto& [user, p] : intent.principals) {
    auto rules = RulesFor(p);
    if (rules.empty()) continue;
    any = true;
    for (const auto& profile : p.net_provenance.profiles) all.profiles.insert(profile);
    for (const auto& origin : p.net_provenance.origins) all.origins.insert(origin);
    for (size_t i = 0; i < rules.size(); ++i) {
      const auto& rule = rules[i];
      std::string text = "meta skuid \"" + user + "\"" + (rule.match.empty() ? "" : " " + rule.match) + " " + rule.verdict;
      // Fixed width, so the ids sort in rule order (lists hold at most kMaxListEntries).
      std::string order = std::to_string(i + 1);
      order.insert(0, 4 - std::min<size_t>(4, order.size()), '0');
      Resource r = MakeResource("nft:" + user + ":" + order + "-" + rule.slug, ResourceKind::kNetRule, "nft_rule",
                                rule.verdict.substr(0, rule.verdict.find(' ')) + " " +
                                    (rule.match.empty() ? "all other traffic" : rule.match) + " from " + user,
                                p.net_provenance);
      r.attributes = {{"family", kNftFamily}, {"table", table_name},     {"chain", kNftChain},
                      {"principal", user},    {"order", i + 1},         {"rule", text},
                      {"mode", NetworkModeName(p.mode)}};
      r.depends_on = {"nft:chain", "user:" + user};
      plan.resources.push_back(std::move(r));
    }
  }
  if (!any) return;
  Resource table = MakeResource("nft:table", ResourceKind::kNetRule, "nft_table",
                                std::string("nftables table ") + kNftFamily + " " + table_name, all);
  table.attributes = {{"family", kNftFamily}, {"name", table_name}};
  plan.resources.push_back(std::move(table));
  Resource chain = MakeResource("nft:chain", ResourceKind::kNetRule, "nft_chain",
                                "output hook chain in " + table_name, all);
  chain.attributes = {{"family", kNftFamily},
                      {"table", table_name},
                      {"name", kNftChain},
                      {"hook", "output"},
                      {"type", "filter"},
                      {"priority", 0},
                      {"policy", "accept"}};
  chain.depends_on = {"nft:table"};
  plan.resources.push_back(std::move(chain));
  // nftables rules do not survive a reboot: a boot unit puts sandboxctl's table back from
  // the state file (the host fills in its own executable and state directory).
  Resource boot = MakeResource("boot:firewall", ResourceKind::kNetRule, "boot_unit",
                               "restore the firewall rules at boot (systemd unit sandboxctl-firewall.service)", all);
  boot.attributes = {{"name", "sandboxctl-firewall.service"}, {"wanted_by", "sysinit.target"}, {"runs", "sandboxctl restore"}};
  boot.depends_on = {"nft:table"};
  plan.resources.push_back(std::move(boot));
}

// The runner lets members of the runner group run commands as the sandbox users without
// root: one group, the invoking user in it, the runner program (file capabilities
// cap_setuid and cap_setgid only), and per profile a launch record, the root-owned copy of
// the launch spec that the runner trusts instead of its caller.
void LowerRunner(const Intent& intent, Plan& plan, std::vector<Diagnostic>& diagnostics) {
  const Context& c = intent.context;
  if (c.runner_group.empty() || plan.launches.empty()) return;
  if (intent.principals.contains(c.runner_group)) {
    diagnostics.push_back(
        MakeError(DiagCode::kConflict, SourceRegion{}, "sandbox user '" + c.runner_group + "' has the name of the runner group"));
    return;
  }
  Provenance all;
  for (const auto& [user, p] : intent.principals) {
    for (const auto& profile : p.provenance.profiles) all.profiles.insert(profile);
    for (const auto& origin : p.provenance.origins) all.origins.insert(origin);
  }
  const std::string group_id = "group:" + c.runner_group;
  Resource group = MakeResource(group_id, ResourceKind::kPrincipal, "group",
                                "system group " + c.runner_group + " (may run commands through the runner)", all);
  group.attributes = {{"name", c.runner_group}, {"system", true}, {"command", {"groupadd", "--system", c.runner_group}}};
  plan.resources.push_back(std::move(group));

  // Who may use the runner: the invoking user for every profile, and the accounts each
  // profile names in identity.exec_users for that profile. Each is in the group.
  std::map<std::string, Provenance> members;
  const bool invoker = !c.user.empty() && c.user != "root";
  if (invoker) members[c.user] = all;
  for (const auto& l : plan.launches) {
    for (const auto& u : l.exec_users) {
      Provenance& p = members[u];
      p.profiles.insert(l.profile);
      if (auto principal = intent.principals.find(l.user); principal != intent.principals.end()) {
        for (const auto& origin : principal->second.provenance.origins) {
          if (origin.file == l.origin) p.origins.insert(origin);
        }
      }
      if (p.origins.empty()) p.origins.insert(Origin{l.origin, 1});
    }
  }
  auto member_id = [&](const std::string& user) { return "member:" + c.runner_group + ":" + user; };
  for (const auto& [user, provenance] : members) {
    Resource member = MakeResource(member_id(user), ResourceKind::kPrincipal, "group_member",
                                   user + " in group " + c.runner_group, provenance);
    member.attributes = {{"group", c.runner_group}, {"user", user}, {"command", {"gpasswd", "--add", user, c.runner_group}}};
    member.depends_on = {group_id};
    plan.resources.push_back(std::move(member));
  }

  Resource runner = MakeResource("runner", ResourceKind::kLaunch, "runner",
                                 "sandboxctl-runner for members of " + c.runner_group, all);
  runner.attributes = {{"name", "sandboxctl-runner"},
                       {"group", c.runner_group},
                       {"mode", "0750"},
                       {"capabilities", "cap_setgid,cap_setuid=ep"}};
  runner.depends_on = {group_id};
  plan.resources.push_back(std::move(runner));

  for (const auto& l : plan.launches) {
    Provenance own;
    own.profiles.insert(l.profile);
    if (auto p = intent.principals.find(l.user); p != intent.principals.end()) {
      for (const auto& origin : p->second.provenance.origins) {
        if (origin.file == l.origin) own.origins.insert(origin);
      }
    }
    if (own.origins.empty()) own.origins.insert(Origin{l.origin, 1});
    Resource r = MakeResource("launch:" + c.workspace + ":" + l.profile, ResourceKind::kLaunch, "launch_record",
                              "launch record of " + l.profile + " for the runner (runs as " + l.user + ")", own);
    std::vector<std::string> users = l.exec_users;
    if (invoker && std::find(users.begin(), users.end(), c.user) == users.end()) users.push_back(c.user);
    std::sort(users.begin(), users.end());
    r.attributes = {{"workspace", c.workspace},
                    {"profile", l.profile},
                    {"group", c.runner_group},
                    {"users", users},
                    {"applied_by", invoker ? c.user : ""},
                    {"launch", LaunchSpecToJson(l)}};
    // Written last: the runner relies on what it describes (the user, its firewall rules).
    r.depends_on = {"runner", "user:" + l.user};
    for (const auto& u : users) r.depends_on.push_back(member_id(u));
    for (const auto& other : plan.resources) {
      if (other.type == "nft_rule" && other.attributes.value("principal", "") == l.user) r.depends_on.push_back(other.id);
      const std::string access = other.attributes.value("access", "");
      if (other.type == "posix_acl" && other.attributes.value("principal", "") == l.user && access != "read" &&
          access != "traverse") {
        r.depends_on.push_back(other.id);
      }
    }
    std::sort(r.depends_on.begin(), r.depends_on.end());
    plan.resources.push_back(std::move(r));
  }
}

}  // namespace

void LowerLinux(const Intent& intent, Plan& plan, std::vector<Diagnostic>& diagnostics) {
  for (const auto& [name, p] : intent.principals) LowerPrincipal(p, plan);
  for (const auto& d : intent.directories) LowerDirectory(d, intent, plan);
  for (const auto& g : intent.grants) LowerGrant(g, intent, plan);
  LowerNetwork(intent, plan);
  LowerRunner(intent, plan, diagnostics);
}

}  // namespace sbx
