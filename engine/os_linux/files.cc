#include "engine/os_linux/files.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/capability.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <cerrno>
#include <vector>

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
  if (fd < 0) {  // named as asked for: the new file's name is sandboxctl's business
    const int err = errno;
    close(dfd);
    return SysError("openat", path, err);
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
    if (n <= 0) return fail("write", path);
    done += static_cast<size_t>(n);
  }
  if (fchmod(fd, mode) != 0) return fail("fchmod", path);
  close(fd);
  fd = -1;
  if (renameat(dfd, tmp.c_str(), dfd, name.c_str()) != 0) return fail("renameat", path);
  close(dfd);
  return Ok{};
}

namespace {

// The names in the directory `fd` ("." and ".." left out), read through a duplicate.
Result<std::vector<std::string>> ListNames(int fd, const std::string& path) {
  const int dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0) return SysError("openat", path, errno);
  DIR* dir = fdopendir(dup_fd);
  if (!dir) {
    const int err = errno;
    close(dup_fd);
    return SysError("fdopendir", path, err);
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = readdir(dir)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
    errno = 0;
  }
  const int err = errno;
  closedir(dir);
  if (err != 0) return SysError("readdir", path, err);
  return names;
}

}  // namespace

Result<Ok> WalkTree(int fd, const std::string& path, const TreeVisit& visit, const TreeLeave& leave) {
  struct Level {
    dev_t dev;
    ino_t ino;
    std::string path;
    std::vector<std::string> names;  // still to visit, last first
    std::string entered;             // the child directory gone into, for leave
  };
  struct stat st {};
  if (fstat(fd, &st) != 0) return SysError("fstat", path, errno);
  auto names = ListNames(fd, path);
  if (!names.ok()) return names.error();
  std::vector<Level> stack;
  stack.push_back({st.st_dev, st.st_ino, path, {names->rbegin(), names->rend()}, ""});
  int cur = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0) return SysError("openat", path, errno);
  auto fail = [&](Error e) {
    close(cur);
    return e;
  };
  while (!stack.empty()) {
    Level& top = stack.back();
    if (top.names.empty()) {
      if (stack.size() == 1) break;
      // Back up to the parent, which must be the directory this one was entered from.
      const int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (up < 0) return fail(SysError("openat", top.path + "/..", errno));
      const std::string left = top.path;
      stack.pop_back();
      Level& parent = stack.back();
      struct stat ust {};
      if (fstat(up, &ust) != 0 || ust.st_dev != parent.dev || ust.st_ino != parent.ino) {
        close(up);
        return fail(Error{"changed", "", left, "was moved while sandboxctl walked it; run the command again"});
      }
      close(cur);
      cur = up;
      if (auto r = leave(cur, parent.entered, left); !r.ok()) return fail(r.error());
      continue;
    }
    const std::string name = std::move(top.names.back());
    top.names.pop_back();
    const std::string child = top.path + "/" + name;
    struct stat est {};
    if (fstatat(cur, name.c_str(), &est, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // gone meanwhile
      return fail(SysError("fstatat", child, errno));
    }
    auto descend = visit(cur, name, est, child);
    if (!descend.ok()) return fail(descend.error());
    if (!*descend || !S_ISDIR(est.st_mode)) continue;
    const int down = openat(cur, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (down < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)) continue;  // gone or swapped meanwhile
    if (down < 0) return fail(SysError("openat", child, errno));
    struct stat dst {};
    auto listed = fstat(down, &dst) == 0 ? ListNames(down, child) : Result<std::vector<std::string>>(SysError("fstat", child, errno));
    if (!listed.ok()) {
      close(down);
      return fail(listed.error());
    }
    top.entered = name;
    close(cur);
    cur = down;
    stack.push_back({dst.st_dev, dst.st_ino, child, {listed->rbegin(), listed->rend()}, ""});
  }
  close(cur);
  return Ok{};
}

}  // namespace sbx
