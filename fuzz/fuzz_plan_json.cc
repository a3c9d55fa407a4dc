// Fuzz target: the plan's JSON as the privileged side reads it back (resources and launch
// specs, from arbitrary bytes). What it accepts must write back as the same JSON.
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/plan/plan.h"
#include "fuzz/fuzz_check.h"

namespace {

void Resource(const nlohmann::json& j) {
  const auto r = sbx::ResourceFromJson(j);
  if (!r.ok()) {
    SBX_FUZZ_CHECK(!r.error().message.empty());
    return;
  }
  const nlohmann::json out = sbx::ResourceToJson(*r);
  const auto again = sbx::ResourceFromJson(out);
  SBX_FUZZ_CHECK(again.ok() && sbx::ResourceToJson(*again) == out);
}

void Launch(const nlohmann::json& j, sbx::Target target) {
  const auto l = sbx::LaunchSpecFromJson(j, target);
  if (!l.ok()) {
    SBX_FUZZ_CHECK(!l.error().message.empty());
    return;
  }
  const nlohmann::json out = sbx::LaunchSpecToJson(*l);
  const auto again = sbx::LaunchSpecFromJson(out, target);
  SBX_FUZZ_CHECK(again.ok() && sbx::LaunchSpecToJson(*again) == out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > size_t{256} * 1024) return -1;
  const auto j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;
  // A whole plan, or one resource or launch spec.
  if (j.is_object() && j.contains("resources") && j["resources"].is_array()) {
    for (const auto& r : j["resources"]) Resource(r);
  }
  if (j.is_object() && j.contains("launches") && j["launches"].is_array()) {
    for (const auto& l : j["launches"]) {
      Launch(l, sbx::Target::kLinux);
      Launch(l, sbx::Target::kWindows);
    }
  }
  Resource(j);
  Launch(j, sbx::Target::kLinux);
  Launch(j, sbx::Target::kWindows);
  return 0;
}
