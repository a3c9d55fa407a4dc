#include "engine/plan/plan.h"

#include <optional>
#include <tuple>

#include "engine/profile/paths.h"

namespace sbx {

nlohmann::json LaunchSpecToJson(const LaunchSpec& l) {
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
          {"isolation", l.require_user_isolation ? "user" : "any"},
          {"exec_users", l.exec_users},
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
  for (auto k : {ResourceKind::kPrincipal, ResourceKind::kDirectory, ResourceKind::kFileGrant, ResourceKind::kNetRule,
                 ResourceKind::kLaunch}) {
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
  if (plan.context.target == Target::kWindows) j["context"]["system_drive"] = plan.context.system_drive;
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
  for (const auto& l : plan.launches) j["launches"].push_back(LaunchSpecToJson(l));
  j["counts"] = {{"principal", counts["principal"]},
                 {"directory", counts["directory"]},
                 {"file_grant", counts["file_grant"]},
                 {"net_rule", counts["net_rule"]},
                 {"launch", counts["launch"]},
                 {"total", plan.resources.size()}};
  return j;
}

namespace {

Error BadLaunch(const std::string& what) { return Error{"invalid_state", "", "launch spec", what}; }

}  // namespace

// Reads what LaunchSpecToJson wrote, trusting nothing: every field must be there with its
// type, and every path must be absolute and normalised in the target's syntax.
Result<LaunchSpec> LaunchSpecFromJson(const nlohmann::json& j, Target target) {
  if (!j.is_object()) return BadLaunch("not an object");
  auto object = [&](const nlohmann::json& parent, const char* key) -> const nlohmann::json* {
    return parent.contains(key) && parent[key].is_object() ? &parent[key] : nullptr;
  };
  const nlohmann::json *fs = object(j, "filesystem"), *net = object(j, "network"), *env = object(j, "env"),
                       *limits = object(j, "limits");
  if (!fs || !net || !env || !limits) return BadLaunch("'filesystem', 'network', 'env' or 'limits' is missing");
  LaunchSpec l;
  for (auto [parent, key, field] : {std::tuple{&j, "profile", &l.profile}, std::tuple{&j, "origin", &l.origin},
                                    std::tuple{&j, "user", &l.user}, std::tuple{&j, "tmp", &l.tmp}}) {
    if (!parent->contains(key) || !(*parent)[key].is_string()) return BadLaunch(std::string("'") + key + "' is not a string");
    *field = (*parent)[key].get<std::string>();
  }
  for (auto [parent, key, field] :
       {std::tuple{fs, "writable", &l.writable}, std::tuple{fs, "read_only", &l.read_only},
        std::tuple{fs, "readable", &l.readable}, std::tuple{fs, "deny_read", &l.deny_read},
        std::tuple{&j, "exec_users", &l.exec_users}, std::tuple{net, "allow", &l.allow},
        std::tuple{env, "core", &l.env_core}, std::tuple{env, "allow", &l.env_allow},
        std::tuple{env, "deny", &l.env_deny}}) {
    auto list = parent->contains(key) ? Strings((*parent)[key]) : std::nullopt;
    if (!list) return BadLaunch(std::string("'") + key + "' is not a list of strings");
    *field = *list;
  }
  const PathStyle style = target == Target::kWindows ? PathStyle::kWindows : PathStyle::kPosix;
  auto normal = [&](const std::string& p) {
    const auto n = NormalizePath(p, style);
    return n && *n == p;
  };
  for (const auto* list : {&l.writable, &l.read_only, &l.readable, &l.deny_read}) {
    for (const auto& p : *list) {
      if (!IsAbsolutePath(p, style)) return BadLaunch("path '" + p + "' is not absolute");
      if (!normal(p)) return BadLaunch("path '" + p + "' is not normalised");
    }
  }
  if (!l.tmp.empty() && !normal(l.tmp)) return BadLaunch("tmp '" + l.tmp + "' is not an absolute, normalised path");
  // A field of another type is refused like a missing one (json::value would throw).
  auto text = [](const nlohmann::json& parent, const char* key) {
    return parent.contains(key) && parent[key].is_string() ? parent[key].get<std::string>() : std::string();
  };
  const std::string mode = text(*net, "mode");
  bool known = false;
  for (auto m : {NetworkMode::kOffline, NetworkMode::kOnline, NetworkMode::kAllowlist}) {
    if (NetworkModeName(m) == mode) l.network = m, known = true;
  }
  if (!known) return BadLaunch("unknown network mode '" + mode + "'");
  for (auto [key, field] : {std::pair{"loopback", &l.loopback}, std::pair{"require_namespace", &l.require_namespace}}) {
    if (!net->contains(key) || !(*net)[key].is_boolean()) return BadLaunch(std::string("'") + key + "' is not a boolean");
    *field = (*net)[key].get<bool>();
  }
  // Launch records written before the key existed have none: any isolation.
  if (j.contains("isolation")) {
    const std::string isolation = text(j, "isolation");
    if (isolation != "user" && isolation != "any") return BadLaunch("unknown isolation '" + isolation + "'");
    l.require_user_isolation = isolation == "user";
  }
  const std::string inherit = text(*env, "inherit");
  known = false;
  for (auto e : {EnvInherit::kNone, EnvInherit::kCore, EnvInherit::kAll}) {
    if (EnvInheritName(e) == inherit) l.env_inherit = e, known = true;
  }
  if (!known) return BadLaunch("unknown env inherit '" + inherit + "'");
  if (!env->contains("set") || !(*env)["set"].is_object()) return BadLaunch("'set' is not a table");
  for (const auto& [k, v] : (*env)["set"].items()) {
    if (!v.is_string()) return BadLaunch("env.set." + k + " is not a string");
    l.env_set[k] = v.get<std::string>();
  }
  for (auto [key, field] : {std::pair{"timeout_seconds", &l.timeout_seconds}, std::pair{"memory_bytes", &l.memory_bytes},
                            std::pair{"processes", &l.processes}}) {
    if (!limits->contains(key)) continue;
    if (!(*limits)[key].is_number_unsigned()) return BadLaunch(std::string("'") + key + "' is not a count");
    *field = (*limits)[key].get<uint64_t>();
  }
  return l;
}

}  // namespace sbx
