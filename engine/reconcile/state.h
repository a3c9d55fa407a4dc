// The state file: every resource sandboxctl created or changed, the value it had before,
// and the workspaces that need it. Intent is recorded before each mutating step, so a run
// killed at any point leaves a state from which `apply` converges and `destroy` restores.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "engine/core/result.h"
#include "engine/plan/plan.h"

namespace sbx {

inline constexpr int kStateFormat = 1;

enum class Intent { kNone, kEnsure, kRemove };

struct OwnedRecord {
  Resource resource;                 // as last ensured
  nlohmann::json prior;              // the machine's value before sandboxctl touched it; null: created
  std::set<std::string> workspaces;  // whose plans include it
  Intent intent = Intent::kNone;     // a step that was started and not yet confirmed
};

struct State {
  std::map<std::string, OwnedRecord> records;  // by resource id
};

// Adds `part` to a prior value: objects key by key, lists as sorted sets; a value already
// recorded is kept (the first one seen is the one to restore).
void MergePrior(nlohmann::json& prior, const nlohmann::json& part);

// Sorted, pretty JSON: the same state gives the same bytes.
std::string StateToJson(const State& state);
// Reads a state file, checking every field; a damaged file is an error, never a guess.
Result<State> StateFromJson(std::string_view text);

}  // namespace sbx
