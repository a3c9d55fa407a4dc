#include "engine/os_linux/landlock.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "engine/os_linux/sys_error.h"

// The Debian 12 kernel headers know Landlock up to ABI 2; the rest is stable kernel ABI
// from include/uapi/linux/landlock.h.
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

namespace sbx {
namespace {

struct RulesetAttr {  // struct landlock_ruleset_attr as of ABI 6
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};
constexpr uint64_t kScopeAbstractUnixSocket = 1ULL << 0;
constexpr uint64_t kScopeSignal = 1ULL << 1;

constexpr uint64_t kFileWrite = LANDLOCK_ACCESS_FS_WRITE_FILE;
constexpr uint64_t kDirWrite = LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
                               LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
                               LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
                               LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
                               LANDLOCK_ACCESS_FS_MAKE_SYM;

// Character devices every build writes to; they hold no one's data.
constexpr const char* kWritableDevices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                            "/dev/urandom", "/dev/tty", "/dev/ptmx", "/dev/pts"};

}  // namespace

int LandlockAbi() {
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

namespace {

// The write rights the ruleset handles on a kernel of `abi`.
uint64_t FileRights(int abi) { return kFileWrite | (abi >= 3 ? LANDLOCK_ACCESS_FS_TRUNCATE : 0); }
uint64_t DirRights(int abi) { return kDirWrite | (abi >= 2 ? LANDLOCK_ACCESS_FS_REFER : 0); }

}  // namespace

int LandlockAllowWrites(int ruleset_fd, int dir_fd, bool files_only, int abi) {
  landlock_path_beneath_attr rule{};
  rule.parent_fd = dir_fd;
  rule.allowed_access = FileRights(abi) | (files_only ? 0 : DirRights(abi));
  return static_cast<int>(syscall(SYS_landlock_add_rule, ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, &rule, 0));
}

Result<int> PrepareLandlock(const LandlockPolicy& policy, int abi) {
  if (abi < 1) return Error{"unsupported", "landlock_create_ruleset", "Landlock", "not available in this kernel"};
  const uint64_t file_rights = FileRights(abi), dir_rights = DirRights(abi);
  RulesetAttr attr{file_rights | dir_rights, 0, 0};
  if (policy.scope && abi >= 6) attr.scoped = kScopeAbstractUnixSocket | kScopeSignal;
  // Older kernels know a shorter struct; give them only what they know.
  const size_t size = abi >= 6 ? sizeof attr : sizeof attr.handled_access_fs + (abi >= 4 ? sizeof(uint64_t) : 0);
  int fd = static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, size, 0));
  if (fd < 0) return SysError("landlock_create_ruleset", "Landlock", errno);
  auto add = [&](const std::string& path, bool device) -> Result<Ok> {
    // A writable root never passes through a symbolic link (one committed to a repository
    // could point anywhere); the device paths are the system's own.
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = device ? 0 : RESOLVE_NO_SYMLINKS;
    int target = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof how));
    if (target < 0) {
      if (errno == ENOENT) return Ok{};  // nothing there to write to
      if (errno == ELOOP) {
        return Error{"unsupported", "openat2", path, "passes through a symbolic link; name the real directory"};
      }
      return SysError("openat2", path, errno);
    }
    struct stat st {};
    if (fstat(target, &st) != 0) {
      close(target);
      return SysError("fstat", path, errno);
    }
    if (device && !S_ISCHR(st.st_mode) && !S_ISDIR(st.st_mode)) {  // only real devices (and /dev/pts)
      close(target);
      return Ok{};
    }
    landlock_path_beneath_attr rule{};
    rule.parent_fd = target;
    rule.allowed_access = S_ISDIR(st.st_mode) ? (file_rights | dir_rights) : file_rights;
    if (device && S_ISDIR(st.st_mode)) rule.allowed_access = file_rights;  // the ptys in /dev/pts, nothing new
    int rc = static_cast<int>(syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, &rule, 0));
    const int err = errno;
    close(target);
    if (rc != 0) return SysError("landlock_add_rule", path, err);
    return Ok{};
  };
  for (const auto& w : policy.writable) {
    if (auto r = add(w, false); !r.ok()) {
      close(fd);
      return r.error();
    }
  }
  for (const char* d : kWritableDevices) {
    if (auto r = add(d, true); !r.ok()) {
      close(fd);
      return r.error();
    }
  }
  return fd;
}

int LandlockRestrictSelf(int ruleset_fd) {
  return static_cast<int>(syscall(SYS_landlock_restrict_self, ruleset_fd, 0));
}

}  // namespace sbx
