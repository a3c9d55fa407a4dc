#include <filesystem>

#include "test_util.h"

namespace sbx::testing {

void MakeSymlink(const std::filesystem::path& target, const std::filesystem::path& link) {
  std::filesystem::create_symlink(target, link);
}

void MakeWritableByEveryone(const std::filesystem::path& dir) {
  std::filesystem::permissions(dir, std::filesystem::perms::all);
}

}  // namespace sbx::testing
