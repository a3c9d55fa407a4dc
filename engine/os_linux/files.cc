#include "engine/os_linux/files.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/capability.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "engine/os_linux/sys_error.h"

namespace sbx {

std::optional<std::string> ReadFileNoFollow(const std::filesystem::path& path) {
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buf[65536];
  ssize_t n = 0;
  while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  close(fd);
  if (n < 0) return std::nullopt;
  return text;
}

Result<Ok> WriteFileReplacing(const std::filesystem::path& path, const std::string& text, gid_t gid, mode_t mode,
                              const char* caps) {
  const std::filesystem::path tmp = path.string() + ".sandboxctl-new";
  unlink(tmp.c_str());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return SysError("open", tmp.string(), errno);
  auto fail = [&](const char* call) {
    const int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return SysError(call, path.string(), err);
  };
  for (size_t done = 0; done < text.size();) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return fail("write");
    done += static_cast<size_t>(n);
  }
  // The owner first: chown clears file capabilities.
  if (fchown(fd, 0, gid) != 0) return fail("fchown");
  if (fchmod(fd, mode) != 0) return fail("fchmod");
  if (caps) {
    cap_t c = cap_from_text(caps);
    const int rc = c ? cap_set_fd(fd, c) : -1;
    if (c) cap_free(c);
    if (rc != 0) return fail("cap_set_fd");
  }
  if (fsync(fd) != 0) return fail("fsync");
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return SysError("rename", path.string(), err);
  }
  return Ok{};
}

Result<Ok> WriteOwnFileReplacing(const std::string& path, const std::string& text, mode_t mode) {
  const size_t slash = path.rfind('/');
  if (path.empty() || path[0] != '/' || slash == path.size() - 1) {
    return Error{"invalid_path", "", path, "not an absolute path to a file"};
  }
  const std::string dir = slash == 0 ? "/" : path.substr(0, slash), name = path.substr(slash + 1);
  open_how how{};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS;
  const int dfd = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, dir.c_str(), &how, sizeof how));
  if (dfd < 0) return SysError("openat2", dir, errno);
  std::string tmp;
  int fd = -1;
  for (int i = 0; i < 16 && fd < 0; ++i) {
    tmp = "." + name + ".sandboxctl-" + std::to_string(getpid()) + "-" + std::to_string(i);
    fd = openat(dfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    const int err = errno;
    close(dfd);
    return SysError("openat", dir + "/" + tmp, err);
  }
  auto fail = [&](const char* call, const std::string& object) {
    const int err = errno;
    if (fd >= 0) close(fd);
    unlinkat(dfd, tmp.c_str(), 0);
    close(dfd);
    return SysError(call, object, err);
  };
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return fail("write", dir + "/" + tmp);
    done += static_cast<size_t>(n);
  }
  if (fchmod(fd, mode) != 0) return fail("fchmod", dir + "/" + tmp);
  close(fd);
  fd = -1;
  if (renameat(dfd, tmp.c_str(), dfd, name.c_str()) != 0) return fail("renameat", path);
  close(dfd);
  return Ok{};
}

}  // namespace sbx
