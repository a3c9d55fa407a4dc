#include "engine/plan/plan.h"

namespace sbx {

namespace {

nlohmann::json LaunchToJson(const LaunchSpec& l) {
  nlohmann::json env = {{"inherit", EnvInheritName(l.env_inherit)},
                        {"core", l.env_core},
                        {"allow", l.env_allow},
                        {"deny", l.env_deny},
                        {"set", l.env_set}};
  nlohmann::json limits = nlohmann::json::object();
  if (l.timeout_seconds) limits["timeout_seconds"] = *l.timeout_seconds;
  if (l.memory_bytes) limits["memory_bytes"] = *l.memory_bytes;
  if (l.processes) limits["processes"] = *l.processes;
  return {{"profile", l.profile},
          {"origin", l.origin},
          {"user", l.user},
          {"filesystem",
           {{"writable", l.writable}, {"read_only", l.read_only}, {"readable", l.readable}, {"deny_read", l.deny_read}}},
          {"tmp", l.tmp},
          {"network", {{"mode", NetworkModeName(l.network)}, {"loopback", l.loopback}, {"allow", l.allow}}},
          {"env", env},
          {"limits", limits}};
}

}  // namespace

nlohmann::json PlanToJson(const Plan& plan) {
  nlohmann::json j;
  j["format"] = plan.format;
  j["target"] = TargetName(plan.context.target);
  j["context"] = {{"workspace", plan.context.workspace},
                  {"user", plan.context.user},
                  {"home", plan.context.home},
                  {"tmp_root", plan.context.tmp_root}};
  j["profiles"] = nlohmann::json::array();
  for (const auto& p : plan.profiles) {
    j["profiles"].push_back({{"name", p.name},
                             {"origin", p.origin},
                             {"layer", p.layer},
                             {"extends", p.extends},
                             {"description", p.description},
                             {"user", p.user},
                             {"network", p.network}});
  }
  j["resources"] = nlohmann::json::array();
  std::map<std::string, int> counts;
  for (const auto& r : plan.resources) {
    std::vector<std::string> origins;
    for (const auto& o : r.origins) origins.push_back(o.ToString());
    j["resources"].push_back({{"id", r.id},
                              {"kind", ResourceKindName(r.kind)},
                              {"type", r.type},
                              {"summary", r.summary},
                              {"profiles", r.profiles},
                              {"origins", origins},
                              {"depends_on", r.depends_on},
                              {"attributes", r.attributes}});
    counts[std::string(ResourceKindName(r.kind))]++;
  }
  j["launches"] = nlohmann::json::array();
  for (const auto& l : plan.launches) j["launches"].push_back(LaunchToJson(l));
  j["counts"] = {{"principal", counts["principal"]},
                 {"directory", counts["directory"]},
                 {"file_grant", counts["file_grant"]},
                 {"net_rule", counts["net_rule"]},
                 {"total", plan.resources.size()}};
  return j;
}

}  // namespace sbx
