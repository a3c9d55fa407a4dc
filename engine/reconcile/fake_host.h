// FakeHost: an in-memory machine for tests and dry runs. Objects are resource ids with
// their attributes; every mutating call is recorded, and one can be made to fail.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/reconcile/host.h"

namespace sbx {

class FakeHost : public Host {
 public:
  Result<Observation> Observe(const Resource& resource) override;
  Result<Ok> Ensure(const Resource& resource, const NotePrior& note_prior) override;
  Result<Ok> Remove(const OwnedRecord& record) override;

  // The machine: object id -> value. Tests may edit it to simulate drift.
  std::map<std::string, nlohmann::json> objects;
  // Objects that exist but belong to someone else.
  std::set<std::string> foreign;
  // Objects that cannot be looked at (a link on the way to them): Observe fails.
  std::set<std::string> unlookable;
  // "ensure <id>" / "remove <id>", in order.
  std::vector<std::string> calls;
  // When set, the mutating call with this index (0-based, counted over the host's life)
  // fails without changing anything.
  std::optional<size_t> fail_at;

 private:
  std::optional<Error> MaybeFail(const std::string& call);
};

}  // namespace sbx
