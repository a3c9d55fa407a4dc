// The plan as text, rendered from PlanToJson's output so the two views cannot disagree.
#include <sstream>

#include "engine/core/strings.h"
#include "engine/plan/plan.h"

namespace sbx {
namespace {

std::string Str(const nlohmann::json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

std::string List(const nlohmann::json& array, std::string_view sep = ", ") {
  std::vector<std::string> parts;
  if (!array.is_array()) return Str(array);
  for (const auto& item : array) parts.push_back(Str(item));
  return Join(parts, sep);
}

std::string FormatDuration(uint64_t s) {
  std::string out;
  for (auto [unit, size] : {std::pair{"d", 86400ULL}, {"h", 3600ULL}, {"m", 60ULL}, {"s", 1ULL}}) {
    if (s >= size) {
      out += std::to_string(s / size) + unit;
      s %= size;
    }
  }
  return out;
}

std::string FormatSize(uint64_t b) {
  for (auto [unit, size] : {std::pair{"TiB", 1ULL << 40}, {"GiB", 1ULL << 30}, {"MiB", 1ULL << 20}, {"KiB", 1ULL << 10}}) {
    if (b >= size && b % size == 0) return std::to_string(b / size) + unit;
  }
  return std::to_string(b) + "B";
}

void Details(const nlohmann::json& r, std::ostream& out) {
  const std::string type = r["type"];
  const auto& a = r["attributes"];
  const std::string pad = "      ";
  if (type == "user" || type == "group" || type == "group_member") {
    out << pad << List(a["command"], " ") << "\n";
  } else if (type == "directory") {
    out << pad << "owner " << Str(a["owner"]) << (a.contains("mode") ? ", mode " + Str(a["mode"]) : ", dacl " + Str(a["dacl"]))
        << "\n";
  } else if (type == "posix_acl") {
    const char* tree = a["scope"] == "subtree" ? " (whole tree)" : "";
    if (!a["acl"].empty()) out << pad << "acl: " << List(a["acl"]) << tree << "\n";
    if (!a["default_acl"].empty()) {
      out << pad << "default acl: " << List(a["default_acl"]) << (a["acl"].empty() ? tree : "") << "\n";
    }
    if (!a["except"].empty()) out << pad << "except: " << List(a["except"]) << "\n";
  } else if (type == "ntfs_ace") {
    out << pad << "icacls " << Str(a["path"]) << " " << List(a["aces"].is_array() ? [&] {
      nlohmann::json forms = nlohmann::json::array();
      for (const auto& ace : a["aces"]) forms.push_back(ace["icacls"]);
      return forms;
    }() : a["aces"], " ") << "\n";
    if (!a["except"].empty()) out << pad << "except: " << List(a["except"]) << "\n";
  } else if (type == "nft_table") {
    out << pad << "table " << Str(a["family"]) << " " << Str(a["name"]) << "\n";
  } else if (type == "nft_chain") {
    out << pad << "chain " << Str(a["name"]) << " { type " << Str(a["type"]) << " hook " << Str(a["hook"])
        << " priority " << Str(a["priority"]) << "; policy " << Str(a["policy"]) << "; }\n";
  } else if (type == "boot_unit") {
    out << pad << Str(a["name"]) << " (wanted by " << Str(a["wanted_by"]) << ") runs '" << Str(a["runs"]) << "'\n";
  } else if (type == "nft_rule") {
    out << pad << Str(a["rule"]) << "\n";
  } else if (type == "runner") {
    out << pad << Str(a["name"]) << ": owner root, group " << Str(a["group"]) << ", mode " << Str(a["mode"])
        << ", file capabilities " << Str(a["capabilities"]) << "\n";
  } else if (type == "launch_record") {
    out << pad << "for " << (a["users"].empty() ? std::string("root") : List(a["users"])) << " (group "
        << Str(a["group"]) << ")\n";
  } else if (type == "local_user") {
    out << pad << Str(a["api"]) << " " << Str(a["name"]) << ", flags " << List(a["flags"], "|") << "\n";
  } else if (type == "capability_sid") {
    out << pad << Str(a["name"]) << ": " << Str(a["sid"]) << "\n";
  } else if (type == "firewall_rule") {
    out << pad << "\"" << Str(a["name"]) << "\": " << Str(a["direction"]) << " " << Str(a["action"]) << " "
        << Str(a["protocol"]) << ", remote " << List(a["remote_addresses"]) << ", ports " << List(a["remote_ports"])
        << ", users " << Str(a["local_user_authorized_list"]) << "\n";
  }
}

}  // namespace

std::string RenderPlanText(const Plan& plan) {
  const nlohmann::json j = PlanToJson(plan);
  std::ostringstream out;
  const auto& c = j["context"];
  out << "Plan for " << Str(c["workspace"]) << " (target " << Str(j["target"]) << ", user " << Str(c["user"])
      << ", home " << Str(c["home"]) << ")\n\n";
  out << "Profiles:\n";
  for (const auto& p : j["profiles"]) {
    out << "  " << Str(p["name"]) << "  " << Str(p["origin"]);
    if (!p["extends"].empty()) out << " (extends " << List(p["extends"], " -> ") << ")";
    out << "\n    user " << Str(p["user"]) << ", network " << Str(p["network"]);
    if (!Str(p["description"]).empty()) out << ": " << Str(p["description"]);
    out << "\n";
  }
  out << "\nResources:\n";
  for (const auto& r : j["resources"]) {
    out << "  + " << Str(r["id"]) << "\n";
    out << "      " << Str(r["summary"]) << "  [" << List(r["origins"]) << "]\n";
    Details(r, out);
  }
  out << "\nLaunch:\n";
  for (const auto& l : j["launches"]) {
    const auto& fs = l["filesystem"];
    const auto& net = l["network"];
    const auto& env = l["env"];
    out << "  " << Str(l["profile"]) << ": as " << Str(l["user"]) << ", network " << Str(net["mode"])
        << (net["loopback"].get<bool>() ? " (loopback allowed)" : "")
        << (net.value("require_namespace", false) ? " (network namespace required)" : "")
        << (l.value("isolation", "any") == "user" ? ", user isolation only" : "") << "\n";
    for (const char* key : {"writable", "read_only", "readable", "deny_read"}) {
      if (!fs[key].empty()) out << "    " << key << ": " << List(fs[key]) << "\n";
    }
    if (!Str(l["tmp"]).empty()) out << "    tmp: " << Str(l["tmp"]) << "\n";
    if (!net["allow"].empty()) out << "    allow: " << List(net["allow"]) << "\n";
    out << "    env: inherit " << Str(env["inherit"]);
    if (!env["allow"].empty()) out << ", allow " << List(env["allow"]);
    if (!env["set"].empty()) {
      std::vector<std::string> sets;
      for (const auto& [k, v] : env["set"].items()) sets.push_back(k + "=" + Str(v));
      out << ", set " << Join(sets, " ");
    }
    out << "; deny " << List(env["deny"]) << "\n";
    const auto& lim = l["limits"];
    if (!lim.empty()) {
      std::vector<std::string> parts;
      if (lim.contains("timeout_seconds")) parts.push_back("timeout " + FormatDuration(lim["timeout_seconds"]));
      if (lim.contains("memory_bytes")) parts.push_back("memory " + FormatSize(lim["memory_bytes"]));
      if (lim.contains("processes")) parts.push_back("processes " + Str(lim["processes"]));
      out << "    limits: " << Join(parts, ", ") << "\n";
    }
  }
  const auto& n = j["counts"];
  out << "\n" << Str(n["total"]) << " resources: " << Str(n["principal"]) << " principals, " << Str(n["directory"])
      << " directories, " << Str(n["file_grant"]) << " file grants, " << Str(n["net_rule"]) << " network rules";
  if (n.value("launch", 0) > 0) out << ", " << Str(n["launch"]) << " for the runner";
  out << ".\n";
  return out.str();
}

}  // namespace sbx
