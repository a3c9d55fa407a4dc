// Fuzz target: path templates and the path rules, in both path syntaxes. The input is
// up to five NUL-separated fields: the template, then ${workspace}, ${home}, ${tmp} and
// ${user}; a variable that is not a normalised absolute path (what the machine gives) is
// replaced by a fixed one.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/strings.h"
#include "engine/profile/paths.h"
#include "fuzz/fuzz_check.h"

namespace {

using sbx::PathStyle;

// The rules every normalised path follows.
void CheckNormal(const std::string& n, PathStyle style) {
  SBX_FUZZ_CHECK(sbx::IsAbsolutePath(n, style));
  const auto again = sbx::NormalizePath(n, style);
  SBX_FUZZ_CHECK(again && *again == n);  // normalising is idempotent
  SBX_FUZZ_CHECK(sbx::IsWithin(n, n, style));
  for (const auto& ancestor : sbx::Ancestors(n, style)) {
    SBX_FUZZ_CHECK(ancestor.size() < n.size());
    SBX_FUZZ_CHECK(sbx::IsWithin(n, ancestor, style));
    SBX_FUZZ_CHECK(!sbx::IsWithin(ancestor, n, style));
  }
  sbx::SystemDirectoryHit(n, style);
  if (style == PathStyle::kWindows) sbx::WindowsPathProblem(n);
}

std::string Variable(const std::vector<std::string>& fields, size_t i, const std::string& fallback,
                     PathStyle style) {
  if (i >= fields.size()) return fallback;
  const auto n = sbx::NormalizePath(fields[i], style);
  return n && *n == fields[i] ? fields[i] : fallback;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return -1;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t i = 0; i <= input.size() && fields.size() < 5; ++i) {
    if (i == input.size() || input[i] == '\0') {
      fields.emplace_back(input.substr(start, i - start));
      start = i + 1;
    }
  }
  for (const PathStyle style : {PathStyle::kPosix, PathStyle::kWindows}) {
    const bool win = style == PathStyle::kWindows;
    sbx::PathVariables vars;
    vars.workspace = Variable(fields, 1, win ? R"(C:\src\app)" : "/src/app", style);
    vars.home = Variable(fields, 2, win ? R"(C:\Users\dev)" : "/home/dev", style);
    vars.tmp = Variable(fields, 3, win ? R"(C:\ProgramData\sandboxctl\tmp\p)" : "/var/tmp/sandboxctl/p", style);
    vars.user = fields.size() > 4 ? fields[4] : "dev";
    if (const auto n = sbx::NormalizePath(fields[0], style)) CheckNormal(*n, style);
    const sbx::ExpandedPath expanded = sbx::ExpandPathTemplate(fields[0], vars, style);
    if (expanded.path) {
      CheckNormal(*expanded.path, style);
    } else {
      SBX_FUZZ_CHECK(!expanded.message.empty());  // a refusal always says why
    }
    // Any two paths: containment is never both ways unless they are the same path.
    if (fields.size() > 1) {
      const auto a = sbx::NormalizePath(fields[0], style), b = sbx::NormalizePath(fields[1], style);
      if (a && b && sbx::IsWithin(*a, *b, style) && sbx::IsWithin(*b, *a, style)) {
        SBX_FUZZ_CHECK(win ? sbx::ToLower(*a) == sbx::ToLower(*b) : *a == *b);
      }
    }
  }
  return 0;
}
