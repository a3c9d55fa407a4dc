#include "engine/plan/plan.h"

#include <optional>

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
          {"network",
           {{"mode", NetworkModeName(l.network)},
            {"loopback", l.loopback},
            {"require_namespace", l.require_namespace},
            {"allow", l.allow}}},
          {"env", env},
          {"limits", limits}};
}

}  // namespace

nlohmann::json ResourceToJson(const Resource& r) {
  std::vector<std::string> origins;
  for (const auto& o : r.origins) origins.push_back(o.ToString());
  return {{"id", r.id},
          {"kind", ResourceKindName(r.kind)},
          {"type", r.type},
          {"summary", r.summary},
          {"profiles", r.profiles},
          {"origins", origins},
          {"depends_on", r.depends_on},
          {"attributes", r.attributes}};
}

namespace {

Error BadResource(const std::string& what) { return Error{"invalid_plan", "", "resource", what}; }

std::optional<std::vector<std::string>> Strings(const nlohmann::json& j) {
  if (!j.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& item : j) {
    if (!item.is_string()) return std::nullopt;
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace

// Reads what ResourceToJson wrote, trusting nothing: every field is checked for type.
Result<Resource> ResourceFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return BadResource("not an object");
  for (const char* key : {"id", "kind", "type", "summary"}) {
    if (!j.contains(key) || !j[key].is_string()) return BadResource(std::string("'") + key + "' is missing or not a string");
  }
  Resource r;
  r.id = j["id"].get<std::string>();
  if (r.id.empty()) return BadResource("empty id");
  const std::string kind = j["kind"].get<std::string>();
  bool known = false;
  for (auto k : {ResourceKind::kPrincipal, ResourceKind::kDirectory, ResourceKind::kFileGrant, ResourceKind::kNetRule}) {
    if (ResourceKindName(k) == kind) {
      r.kind = k;
      known = true;
    }
  }
  if (!known) return BadResource("unknown kind '" + kind + "'");
  r.type = j["type"].get<std::string>();
  r.summary = j["summary"].get<std::string>();
  for (auto [key, field] : {std::pair{"profiles", &r.profiles}, std::pair{"depends_on", &r.depends_on}}) {
    auto list = j.contains(key) ? Strings(j[key]) : std::nullopt;
    if (!list) return BadResource(std::string("'") + key + "' is not a list of strings");
    *field = *list;
  }
  auto origins = j.contains("origins") ? Strings(j["origins"]) : std::nullopt;
  if (!origins) return BadResource("'origins' is not a list of strings");
  for (const auto& o : *origins) {
    size_t colon = o.rfind(':');
    int line = 0;
    if (colon == std::string::npos) return BadResource("origin '" + o + "' has no line");
    try {
      line = std::stoi(o.substr(colon + 1));
    } catch (const std::exception&) {
      return BadResource("origin '" + o + "' has no line");
    }
    r.origins.push_back(Origin{o.substr(0, colon), line});
  }
  if (!j.contains("attributes") || !j["attributes"].is_object()) return BadResource("'attributes' is not an object");
  r.attributes = j["attributes"];
  return r;
}

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
    j["resources"].push_back(ResourceToJson(r));
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
