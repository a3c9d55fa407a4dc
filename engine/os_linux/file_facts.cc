#include "engine/core/file_facts.h"

#include <sys/stat.h>

namespace sbx {

bool OthersMayWrite(const std::filesystem::path& dir) {
  struct stat st {};
  return stat(dir.c_str(), &st) != 0 || (st.st_mode & S_IWOTH) != 0;
}

bool IsLink(const std::filesystem::path& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

}  // namespace sbx
