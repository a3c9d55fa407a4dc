// Fuzz target: the state file reader, which every privileged command runs on the state
// file before it changes the machine. What it accepts must write back as the same text.
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/reconcile/state.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > size_t{1024} * 1024) return -1;
  const auto state = sbx::StateFromJson(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!state.ok()) {
    SBX_FUZZ_CHECK(!state.error().message.empty());
    return 0;
  }
  const std::string text = sbx::StateToJson(*state);
  const auto again = sbx::StateFromJson(text);
  SBX_FUZZ_CHECK(again.ok());
  SBX_FUZZ_CHECK(sbx::StateToJson(*again) == text);
  return 0;
}
