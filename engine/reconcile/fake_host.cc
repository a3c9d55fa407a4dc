#include "engine/reconcile/fake_host.h"

namespace sbx {

std::optional<Error> FakeHost::MaybeFail(const std::string& call) {
  size_t index = calls.size();
  calls.push_back(call);
  if (fail_at && *fail_at == index) return Error{"host_error", "fake", call, "injected failure"};
  return std::nullopt;
}

Result<Observation> FakeHost::Observe(const Resource& resource) {
  if (unlookable.contains(resource.id)) {
    return Error{"io_error", "openat2", resource.id, "passes through a symbolic link"};
  }
  Observation o;
  auto it = objects.find(resource.id);
  o.present = it != objects.end();
  o.foreign = foreign.contains(resource.id);
  if (o.present) {
    o.current = it->second;
    o.in_sync = it->second == resource.attributes;
    if (!o.in_sync) o.detail = "differs from the plan";
    if (o.foreign) o.detail = "exists and was not created by sandboxctl";
  }
  return o;
}

Result<Ok> FakeHost::Ensure(const Resource& resource, const NotePrior& /*note_prior*/) {
  if (auto e = MaybeFail("ensure " + resource.id)) return *e;
  objects[resource.id] = resource.attributes;
  return Ok{};
}

Result<Ok> FakeHost::Remove(const OwnedRecord& record) {
  if (auto e = MaybeFail("remove " + record.resource.id)) return *e;
  if (record.prior.is_null()) objects.erase(record.resource.id);
  else objects[record.resource.id] = record.prior;
  return Ok{};
}

}  // namespace sbx
