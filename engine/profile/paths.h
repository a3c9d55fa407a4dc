// Path templates of the profile language: ${workspace}, ${home}, ${tmp}, ${user};
// expansion, lexical normalisation and the rules every expanded path must follow.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/diagnostic.h"

namespace sbx {

enum class PathStyle { kPosix, kWindows };

struct PathVariables {
  std::string workspace;
  std::string home;
  std::string tmp;
  std::string user;
};

// The value of ${name} ("workspace", "home", "tmp", "user"), or nullptr for another name.
const std::string* PathVariable(const PathVariables& vars, std::string_view name);

struct ExpandedPath {
  std::optional<std::string> path;  // absolute, normalised
  DiagCode code = DiagCode::kInvalidValue;
  std::string message;  // set when path is empty
};

// Expands and normalises one path template from `key` (e.g. "filesystem.writable").
ExpandedPath ExpandPathTemplate(std::string_view raw, const PathVariables& vars, PathStyle style);

// Lexical normalisation: "." and repeated separators removed, ".." resolved. nullopt when
// the path is not absolute or ".." climbs above the root.
std::optional<std::string> NormalizePath(std::string_view path, PathStyle style);

bool IsAbsolutePath(std::string_view path, PathStyle style);
// True for "/", "C:\", "\\server\share\": a path that is nothing but its root.
bool IsFilesystemRoot(std::string_view path, PathStyle style);
// True if `path` is `root` or lies beneath it (case-insensitive on Windows).
bool IsWithin(std::string_view path, std::string_view root, PathStyle style);
// Parent directories of `path`, nearest first, excluding the root itself ("/", "C:\").
std::vector<std::string> Ancestors(std::string_view path, PathStyle style);
std::string JoinPath(std::string_view base, std::string_view name, PathStyle style);

// Why a Windows path cannot be used as written (device paths, administrative shares,
// names Windows silently rewrites: trailing dots and spaces, 8.3 short names, streams).
std::optional<std::string> WindowsPathProblem(std::string_view path);

// If a grant at `path` would open up a system directory, the directory it hits.
std::optional<std::string> SystemDirectoryHit(std::string_view path, PathStyle style);

}  // namespace sbx
