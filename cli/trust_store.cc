#include "cli/trust_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "engine/core/host_info.h"
#include "engine/os_linux/files.h"

namespace sbx::cli {

namespace fs = std::filesystem;

fs::path TrustStorePath(const std::optional<std::string>& flag) {
  if (flag) return fs::absolute(*flag);
  auto invoking = QueryInvokingUser();
  const char* state = std::getenv("XDG_STATE_HOME");
  if (invoking.ok() && !invoking->via_sudo && state && state[0] == '/') {
    return fs::path(state) / "sandboxctl" / "trust.json";
  }
  const std::string home = invoking.ok() ? invoking->home : "";
  return fs::path(home.empty() ? "/nonexistent" : home) / ".local" / "state" / "sandboxctl" / "trust.json";
}

std::optional<TrustStore> LoadTrustStore(const fs::path& path, std::string& error) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0 && errno == ENOENT) return TrustStore{};
  if (!S_ISREG(st.st_mode) || st.st_size > (16 << 20)) {
    error = path.string() + " is not a regular file of at most 16 MiB";
    return std::nullopt;
  }
  auto text = ReadFileNoFollow(path);  // never through a link: root reads a user's store under sudo
  if (!text) {
    error = "cannot read " + path.string() + ": " + std::strerror(errno);
    return std::nullopt;
  }
  auto store = ParseTrustStore(*text);
  if (!store) error = path.string() + " is not a sandboxctl trust store (version " + std::to_string(kTrustStoreVersion) + ")";
  return store;
}

bool SaveTrustStore(const fs::path& path, const TrustStore& store, std::string& error) {
  std::error_code ec;
  if (fs::create_directories(path.parent_path(), ec)) fs::permissions(path.parent_path(), fs::perms::owner_all, ec);
  const fs::path tmp = path.string() + ".new";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  const std::string text = RenderTrustStore(store);
  const bool written = fd >= 0 && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  const int err = errno;
  if (fd >= 0) close(fd);
  if (!written || rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot write " + path.string() + ": " + std::strerror(written ? errno : err);
    unlink(tmp.c_str());
    return false;
  }
  return true;
}

TrustedFiles ReadPolicyFiles(const Plan& plan, const std::string& profile, const fs::path& workspace,
                             const GlobalOptions& g) {
  const auto machine = MachineProfilesDir(g);
  TrustedFiles files;
  for (const auto& origin : PolicyFiles(plan, profile, machine ? machine->string() : "")) {
    const fs::path path = fs::path(origin).is_absolute() ? fs::path(origin) : workspace / origin;
    files[origin] = ReadFileNoFollow(path).value_or("");
  }
  return files;
}

}  // namespace sbx::cli
