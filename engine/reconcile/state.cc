#include "engine/reconcile/state.h"

#include <set>
#include <vector>

namespace sbx {
namespace {

std::string_view IntentName(Intent i) {
  switch (i) {
    case Intent::kNone: return "none";
    case Intent::kEnsure: return "ensure";
    case Intent::kRemove: return "remove";
  }
  return "none";
}

Error Bad(const std::string& what) { return Error{"invalid_state", "", "state file", what}; }

}  // namespace

void MergePrior(nlohmann::json& prior, const nlohmann::json& part) {
  if (prior.is_null()) {
    prior = part;
    return;
  }
  if (prior.is_object() && part.is_object()) {
    for (const auto& [key, value] : part.items()) {
      if (prior.contains(key)) MergePrior(prior[key], value);
      else prior[key] = value;
    }
  } else if (prior.is_array() && part.is_array()) {
    std::set<nlohmann::json> all(prior.begin(), prior.end());
    all.insert(part.begin(), part.end());
    prior = nlohmann::json(std::vector<nlohmann::json>(all.begin(), all.end()));
  }
}

std::string StateToJson(const State& state) {
  nlohmann::json records = nlohmann::json::object();
  for (const auto& [id, r] : state.records) {
    records[id] = {{"resource", ResourceToJson(r.resource)},
                   {"prior", r.prior},
                   {"workspaces", r.workspaces},
                   {"intent", IntentName(r.intent)}};
  }
  return nlohmann::json{{"format", kStateFormat}, {"records", records}}.dump(2) + "\n";
}

Result<State> StateFromJson(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Bad("not JSON");
  if (!j.contains("format") || !j["format"].is_number_integer() || j["format"].get<int64_t>() != kStateFormat) {
    return Bad("unsupported format (this sandboxctl reads format " + std::to_string(kStateFormat) + ")");
  }
  if (!j.contains("records") || !j["records"].is_object()) return Bad("'records' is not an object");
  State state;
  for (const auto& [id, r] : j["records"].items()) {
    if (!r.is_object() || !r.contains("resource") || !r.contains("workspaces") || !r.contains("intent")) {
      return Bad("record '" + id + "' is incomplete");
    }
    auto resource = ResourceFromJson(r["resource"]);
    if (!resource.ok()) return Bad("record '" + id + "': " + resource.error().message);
    if (resource->id != id) return Bad("record '" + id + "' holds resource '" + resource->id + "'");
    OwnedRecord record;
    record.resource = *resource;
    record.prior = r.contains("prior") ? r["prior"] : nlohmann::json();
    if (!r["workspaces"].is_array()) return Bad("record '" + id + "': 'workspaces' is not a list");
    for (const auto& w : r["workspaces"]) {
      if (!w.is_string()) return Bad("record '" + id + "': a workspace is not a string");
      record.workspaces.insert(w.get<std::string>());
    }
    const auto& intent = r["intent"];
    if (intent == "none") record.intent = Intent::kNone;
    else if (intent == "ensure") record.intent = Intent::kEnsure;
    else if (intent == "remove") record.intent = Intent::kRemove;
    else return Bad("record '" + id + "': unknown intent");
    state.records.emplace(id, std::move(record));
  }
  return state;
}

}  // namespace sbx
