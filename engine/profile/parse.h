// TOML text -> ProfileSettings, with every mistake reported at its source region.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/diagnostic.h"
#include "engine/core/names.h"
#include "engine/profile/profile.h"

namespace sbx {

struct ParsedProfile {
  ProfileSettings settings;
  std::optional<Located<std::string>> extends;
  bool ok = false;  // no errors
};

// Pure: parses and validates one profile's text. `display_path` names the file in
// diagnostics. Appends every problem found to `diagnostics`.
// `origin` is the file's stable name, recorded in every value's region.
ParsedProfile ParseProfileText(std::string_view text, const std::string& display_path, const std::string& origin,
                               std::vector<Diagnostic>& diagnostics);

// Parses "30m", "1h30m", "45s", "2d" into seconds.
std::optional<uint64_t> ParseDuration(std::string_view text);
// Parses "8GiB", "512MiB", "1GB", "4096B" into bytes.
std::optional<uint64_t> ParseSize(std::string_view text);

// Accounts of the system that a profile may never name as its sandbox user.
bool IsReservedUserName(std::string_view name);
// Environment patterns: letters, digits, '_' and the glob characters '*' and '?'.
bool IsValidEnvPattern(std::string_view pattern);
bool IsValidEnvName(std::string_view name);

}  // namespace sbx
