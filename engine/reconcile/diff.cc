#include "engine/reconcile/diff.h"

#include <algorithm>
#include <functional>
#include <set>
#include <sstream>

#include "engine/core/strings.h"

namespace sbx {

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kCreate: return "create";
    case Action::kUpdate: return "update";
    case Action::kDelete: return "delete";
  }
  return "create";
}

int ChangeSet::Count(Action action) const {
  return static_cast<int>(std::count_if(changes.begin(), changes.end(), [&](const Change& c) { return c.action == action; }));
}

namespace {

bool Concerns(const OwnedRecord& r, const std::string& workspace, bool all) {
  return all || r.workspaces.contains(workspace) || (r.workspaces.empty() && r.intent != Intent::kNone);
}

// Orders `items` so that every item comes after the items it depends on (ties keep the
// input order); dependencies outside `items` are already satisfied.
std::vector<Change> DependenciesFirst(std::vector<Change> items) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < items.size(); ++i) index[items[i].resource.id] = i;
  std::vector<int> state(items.size(), 0);  // 0 new, 1 visiting, 2 done
  std::vector<Change> out;
  std::function<void(size_t)> visit = [&](size_t i) {
    if (state[i] != 0) return;  // a cycle cannot come from the compiler; visiting twice is harmless
    state[i] = 1;
    for (const auto& dep : items[i].resource.depends_on) {
      auto it = index.find(dep);
      if (it != index.end()) visit(it->second);
    }
    state[i] = 2;
    out.push_back(items[i]);
  };
  for (size_t i = 0; i < items.size(); ++i) visit(i);
  return out;
}

}  // namespace

Result<std::map<std::string, Observation>> ObserveAll(const Plan& plan, const std::string& workspace, const State& state,
                                                      Host& host, bool all_workspaces, bool partial) {
  std::map<std::string, Observation> observed;
  // What depends on an object sandboxctl may not take over (a directory someone else made
  // where it keeps one) and cannot be looked at through it (a link) is absent until that
  // is removed: the conflict is the one to report, not the failed look.
  std::set<std::string> blocked, visiting;
  std::map<std::string, const Resource*> by_id;
  for (const auto& r : plan.resources) by_id[r.id] = &r;
  std::function<std::optional<Error>(const Resource&)> observe;
  observe = [&](const Resource& r) -> std::optional<Error> {
    if (observed.contains(r.id) || visiting.contains(r.id)) return std::nullopt;
    visiting.insert(r.id);
    for (const auto& dep : r.depends_on) {
      const auto d = by_id.find(dep);
      if (d == by_id.end()) continue;
      if (auto e = observe(*d->second)) return e;
      const Observation& od = observed.at(dep);
      if ((od.foreign && !state.records.contains(dep)) || blocked.contains(dep)) blocked.insert(r.id);
    }
    auto o = host.Observe(r);
    if (!o.ok() && blocked.contains(r.id)) {  // looked at through what may not be taken over
      observed[r.id] = Observation{};
      return std::nullopt;
    }
    if (!o.ok() && partial && o.error().code == "permission_denied") {
      Observation unknown;
      unknown.unobservable = true;
      unknown.detail = o.error().Render();
      observed[r.id] = unknown;
      return std::nullopt;
    }
    if (!o.ok()) return o.error();
    observed[r.id] = *o;
    return std::nullopt;
  };
  for (const auto& r : plan.resources) {
    if (auto e = observe(r)) return *e;
  }
  for (const auto& [id, record] : state.records) {
    if (!Concerns(record, workspace, all_workspaces)) continue;
    if (auto e = observe(record.resource)) return *e;
  }
  return observed;
}

ChangeSet ComputeChanges(const Plan& plan, const std::string& workspace, const State& state,
                         const std::map<std::string, Observation>& observed, bool all_workspaces) {
  ChangeSet out;
  std::set<std::string> planned;
  std::vector<Change> ensure;
  for (const auto& r : plan.resources) {
    planned.insert(r.id);
    const Observation& o = observed.at(r.id);
    if (o.unobservable) {
      out.unobserved.push_back(r.id + ": " + o.detail);
      continue;
    }
    auto rec = state.records.find(r.id);
    const bool owned = rec != state.records.end();
    if (o.foreign && !owned) {
      out.conflicts.push_back(r.id + ": " + (o.detail.empty() ? "exists and was not created by sandboxctl" : o.detail));
      continue;
    }
    if (!o.present) {
      ensure.push_back({Action::kCreate, r, owned ? "missing from the machine (drift)" : ""});
    } else if (!o.in_sync) {
      ensure.push_back({Action::kUpdate, r, o.detail});
    } else if (owned && rec->second.intent == Intent::kEnsure) {
      // A run stopped inside this step: what Observe looks at may be done while the rest
      // (a tree below its root, a password not yet set) is not. Ensure is idempotent.
      ensure.push_back({Action::kUpdate, r, "an earlier run stopped while making it"});
    } else if (owned && (!rec->second.workspaces.contains(workspace) || rec->second.intent != Intent::kNone ||
                         ResourceToJson(rec->second.resource) != ResourceToJson(r))) {
      out.record_only.push_back(r.id);
    }
  }
  std::vector<Change> remove;
  for (const auto& [id, record] : state.records) {
    if (planned.contains(id) || !Concerns(record, workspace, all_workspaces)) continue;
    std::set<std::string> others;
    if (!all_workspaces) {
      others = record.workspaces;
      others.erase(workspace);
    }
    if (!others.empty()) {
      out.released.push_back(id);
      continue;
    }
    const Observation& o = observed.at(id);
    if (o.unobservable) {
      out.unobserved.push_back(id + ": " + o.detail);
      continue;
    }
    // Gone already and nothing to restore: only the record goes, unless a run stopped
    // inside making or removing it, which may have left a part that Observe does not look
    // at (a file being written, the directory made for it, a stored password).
    if (!o.present && record.prior.is_null() && record.intent == Intent::kNone) {
      out.record_only.push_back(id);
      continue;
    }
    remove.push_back({Action::kDelete, record.resource, "no longer in any profile"});
  }
  // Deletes run dependents first: the reverse of dependencies-first.
  remove = DependenciesFirst(remove);
  std::reverse(remove.begin(), remove.end());
  out.changes = remove;
  for (auto& c : DependenciesFirst(ensure)) out.changes.push_back(std::move(c));
  return out;
}

std::string RenderChangesText(const ChangeSet& changes) {
  std::ostringstream out;
  for (const auto& c : changes.changes) {
    const char* sign = c.action == Action::kCreate ? "+" : c.action == Action::kUpdate ? "~" : "-";
    std::vector<std::string> origins;
    for (const auto& o : c.resource.origins) origins.push_back(o.ToString());
    out << "  " << sign << " " << c.resource.id << "\n      " << c.resource.summary;
    if (!origins.empty()) out << "  [" << Join(origins, ", ") << "]";
    out << "\n";
    if (!c.reason.empty()) out << "      (" << c.reason << ")\n";
  }
  for (const auto& c : changes.conflicts) out << "  ! " << c << "\n";
  for (const auto& u : changes.unobserved) out << "  ? " << u << "\n";
  if (!changes.unobserved.empty()) {
    out << "\n" << changes.unobserved.size()
        << " objects could not be observed without root; run as root for a complete answer.\n";
  }
  if (!changes.HasMachineChanges()) {
    out << "No changes.\n";
  } else {
    out << "\nPlan: " << changes.Count(Action::kCreate) << " to add, " << changes.Count(Action::kUpdate) << " to change, "
        << changes.Count(Action::kDelete) << " to destroy.\n";
  }
  return out.str();
}

nlohmann::json ChangesToJson(const ChangeSet& changes) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : changes.changes) {
    std::vector<std::string> origins;
    for (const auto& o : c.resource.origins) origins.push_back(o.ToString());
    list.push_back({{"action", ActionName(c.action)},
                    {"id", c.resource.id},
                    {"type", c.resource.type},
                    {"summary", c.resource.summary},
                    {"origins", origins},
                    {"reason", c.reason}});
  }
  return {{"changed", changes.HasMachineChanges()},
          {"changes", list},
          {"conflicts", changes.conflicts},
          {"unobserved", changes.unobserved},
          {"summary",
           {{"add", changes.Count(Action::kCreate)},
            {"change", changes.Count(Action::kUpdate)},
            {"destroy", changes.Count(Action::kDelete)}}}};
}

}  // namespace sbx
