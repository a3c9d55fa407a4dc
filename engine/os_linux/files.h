// Small file helpers shared by the Linux host's resources.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace sbx {

// The whole content of `path`, never through a symbolic link at its last component;
// nullopt if it cannot be opened or read.
std::optional<std::string> ReadFileNoFollow(const std::filesystem::path& path);

}  // namespace sbx
