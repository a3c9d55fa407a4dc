// Fuzz target: one profile's text, arbitrary bytes, through the TOML parser and the
// validator, as `validate` and every command that reads a profile see it.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "engine/core/diagnostic.h"
#include "engine/profile/parse.h"
#include "engine/profile/profile.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > sbx::kMaxProfileBytes) return -1;  // the reader refuses larger files before parsing
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<sbx::Diagnostic> diagnostics;
  const sbx::ParsedProfile parsed = sbx::ParseProfileText(text, "fuzz.toml", "fuzz.toml", diagnostics);
  // A profile is valid exactly when nothing was reported as an error.
  SBX_FUZZ_CHECK(parsed.ok != sbx::HasErrors(diagnostics));
  const sbx::SourceMap sources{{"fuzz.toml", std::string(text)}};
  for (const auto& d : diagnostics) {
    SBX_FUZZ_CHECK(!d.message.empty());
    SBX_FUZZ_CHECK(!sbx::RenderDiagnostic(d, sources).empty());
  }
  return 0;
}
