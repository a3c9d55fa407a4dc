// Host: the narrow interface between the reconciler and an operating system. One real
// implementation per OS (engine/os_*), one in-memory fake for tests and dry runs.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/core/result.h"
#include "engine/plan/plan.h"
#include "engine/reconcile/state.h"

namespace sbx {

struct Ok {};

struct Observation {
  bool present = false;  // the object exists on the machine
  bool in_sync = false;  // ... and already is what the resource asks for
  bool foreign = false;  // ... but belongs to someone else and must not be taken over
  bool unobservable = false;  // could not be looked at (no permission); says nothing either way
  nlohmann::json current;  // the machine's value now, kept as the prior value to restore
  std::string detail;      // what differs, for people
};

// Adds to the prior value of the resource being ensured and saves it durably. A host that
// meets something to restore only while it works (the ACLs deep in a tree) calls it before
// changing that object. Safe to call from several threads.
using NotePrior = std::function<Result<Ok>(const nlohmann::json& part)>;

class Host {
 public:
  virtual ~Host() = default;
  // Read-only.
  virtual Result<Observation> Observe(const Resource& resource) = 0;
  // Makes the machine match `resource`; idempotent. Without `note_prior`, nothing found
  // along the way is recorded (for resources whose prior value Observe gives in full).
  virtual Result<Ok> Ensure(const Resource& resource, const NotePrior& note_prior) = 0;
  // Undoes what Ensure did: restores `record.prior`, or removes what sandboxctl created.
  // Succeeds when there is nothing left to undo.
  virtual Result<Ok> Remove(const OwnedRecord& record) = 0;
};

}  // namespace sbx
