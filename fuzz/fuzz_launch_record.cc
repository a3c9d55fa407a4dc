// Fuzz target: the launch record reader of sandboxctl-runner, the program that switches
// to a sandbox user for members of the runner group. What it accepts must write back as
// the same JSON.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/os_linux/launch_record.h"
#include "fuzz/fuzz_check.h"

namespace {

std::string Field(const nlohmann::json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
  return "x";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > size_t{256} * 1024) return -1;
  const auto j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;
  // The runner asks for one workspace and profile; the record must name the same.
  const std::string workspace = Field(j, "workspace"), profile = Field(j, "profile");
  const auto record = sbx::LaunchRecordFromJson(j, workspace, profile);
  if (!record.ok()) {
    SBX_FUZZ_CHECK(!record.error().message.empty());
    return 0;
  }
  SBX_FUZZ_CHECK(record->workspace == workspace && record->profile == profile);
  const nlohmann::json out = sbx::LaunchRecordToJson(*record);
  const auto again = sbx::LaunchRecordFromJson(out, workspace, profile);
  SBX_FUZZ_CHECK(again.ok() && sbx::LaunchRecordToJson(*again) == out);
  return 0;
}
