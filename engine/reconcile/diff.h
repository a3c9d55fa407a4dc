// Diff: what must change so that the machine matches a workspace's plan, in a safe order,
// rendered like Terraform's plan (`+ create`, `~ update`, `- destroy`, a summary line).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/plan/plan.h"
#include "engine/reconcile/host.h"
#include "engine/reconcile/state.h"

namespace sbx {

enum class Action { kCreate, kUpdate, kDelete };
std::string_view ActionName(Action action);

struct Change {
  Action action;
  Resource resource;   // desired (create, update) or as recorded (delete)
  std::string reason;  // why, for people
};

struct ChangeSet {
  // In execution order: deletes with dependents first, then creates and updates with
  // dependencies first.
  std::vector<Change> changes;
  // Already right on the machine; only the state changes (this workspace now needs it
  // too, or a step interrupted earlier turned out complete).
  std::vector<std::string> record_only;
  // No longer needed by this workspace; other workspaces still need them.
  std::vector<std::string> released;
  // Objects in the plan that exist but were not made by sandboxctl: never taken over.
  std::vector<std::string> conflicts;
  // Objects that could not be observed (a read-only run without root): "id: why".
  std::vector<std::string> unobserved;

  int Count(Action action) const;
  bool HasMachineChanges() const { return !changes.empty(); }
};

// Pure. `observed` holds an observation for every id of the plan and of the records the
// workspace owns (ObserveAll). An empty plan with all_workspaces gives `destroy --all`.
ChangeSet ComputeChanges(const Plan& plan, const std::string& workspace, const State& state,
                         const std::map<std::string, Observation>& observed, bool all_workspaces = false);

// Observes every resource ComputeChanges needs, read-only. With `partial`, objects the
// host may not look at (permission_denied) are recorded as unobservable instead of
// failing the whole observation.
Result<std::map<std::string, Observation>> ObserveAll(const Plan& plan, const std::string& workspace,
                                                      const State& state, Host& host, bool all_workspaces = false,
                                                      bool partial = false);

std::string RenderChangesText(const ChangeSet& changes);
nlohmann::json ChangesToJson(const ChangeSet& changes);

}  // namespace sbx
