#include "engine/reconcile/apply.h"

#include <mutex>

namespace sbx {

Result<Ok> ApplyChanges(const ChangeSet& changes, const std::string& workspace,
                        const std::map<std::string, Observation>& observed, const Plan& plan, Host& host, State& state,
                        const SaveState& save, const StepDone& done) {
  for (const auto& c : changes.changes) {
    if (c.action == Action::kDelete) {
      OwnedRecord& record = state.records.at(c.resource.id);
      record.intent = Intent::kRemove;
      if (auto r = save(state); !r.ok()) return r.error();
      if (auto r = host.Remove(record); !r.ok()) return r.error();
      state.records.erase(c.resource.id);
    } else {
      auto [it, created] = state.records.try_emplace(c.resource.id);
      OwnedRecord& record = it->second;
      if (created) {
        // The value to restore on destroy is taken once, before sandboxctl first touches
        // the object; a later drift never replaces it.
        const Observation& o = observed.at(c.resource.id);
        // A resource not there yet may still have a prior value (the ACLs of a tree).
        record.prior = o.current;
      }
      record.resource = c.resource;
      record.workspaces.insert(workspace);
      record.intent = Intent::kEnsure;
      if (auto r = save(state); !r.ok()) return r.error();
      std::mutex noting;
      auto note = [&](const nlohmann::json& part) -> Result<Ok> {
        std::lock_guard<std::mutex> lock(noting);
        MergePrior(record.prior, part);
        return save(state);
      };
      if (auto r = host.Ensure(c.resource, note); !r.ok()) return r.error();
      record.intent = Intent::kNone;
    }
    if (auto r = save(state); !r.ok()) return r.error();
    if (done) done(c);
  }
  bool touched = false;
  for (const auto& id : changes.released) {
    state.records.at(id).workspaces.erase(workspace);
    touched = true;
  }
  for (const auto& id : changes.record_only) {
    OwnedRecord& record = state.records.at(id);
    if (const Resource* r = plan.Find(id)) {
      record.resource = *r;
      record.workspaces.insert(workspace);
      record.intent = Intent::kNone;
    } else {
      state.records.erase(id);  // gone from the machine with nothing to restore
    }
    touched = true;
  }
  if (touched) {
    if (auto r = save(state); !r.ok()) return r.error();
  }
  return Ok{};
}

}  // namespace sbx
