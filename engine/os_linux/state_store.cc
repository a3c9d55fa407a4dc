#include "engine/os_linux/sys_error.h"
#include "engine/os_linux/state_store.h"

#include <fcntl.h>
#include <signal.h>  // NOLINT(modernize-deprecated-headers): kill is POSIX
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace sbx {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStateFile = "state.json";
constexpr const char* kLockFile = "lock";

}  // namespace

Result<StateStore> StateStore::Open(const fs::path& dir, bool lock, std::chrono::seconds timeout,
                                    const std::function<void()>& waiting) {
  if (!lock) return StateStore(dir, -1);
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return SysError("mkdir", dir.string(), errno);
  // Only root-owned state may steer a privileged run.
  struct stat st {};
  if (lstat(dir.c_str(), &st) != 0) return SysError("lstat", dir.string(), errno);
  if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022)) {
    return Error{"host_error", "", dir.string(), "must be a directory owned by root and writable only by root"};
  }
  const fs::path lock_path = dir / kLockFile;
  int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return SysError("open", lock_path.string(), errno);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool told = false;
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      int err = errno;
      close(fd);
      return SysError("flock", lock_path.string(), err);
    }
    if (!told && waiting) waiting();
    told = true;
    if (std::chrono::steady_clock::now() >= deadline) {
      close(fd);
      return Error{"locked", "flock", lock_path.string(),
                   "another sandboxctl run still holds the lock after " + std::to_string(timeout.count()) + "s"};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // What a killed run was saving; only the holder of the lock writes these.
  for (const char* name : {"state.json.new", "background.json.new"}) unlink((dir / name).c_str());
  return StateStore(dir, fd);
}

StateStore::StateStore(StateStore&& other) noexcept : dir_(std::move(other.dir_)), lock_fd_(other.lock_fd_) {
  other.lock_fd_ = -1;
}

StateStore::~StateStore() {
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the lock
}

Result<State> StateStore::Load() const {
  const fs::path path = dir_ / kStateFile;
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return State{};
    return SysError("open", path.string(), errno);
  }
  struct stat st {};
  fstat(fd, &st);
  if (st.st_uid != 0 || (st.st_mode & 022)) {
    close(fd);
    return Error{"host_error", "", path.string(), "must be owned by root and writable only by root"};
  }
  std::string text;
  char buf[65536];
  ssize_t n = 0;
  while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  const int err = errno;
  close(fd);
  if (n < 0) return SysError("read", path.string(), err);  // not a state cut short
  auto state = StateFromJson(text);
  if (!state.ok()) {
    Error e = state.error();
    e.object = path.string();
    return e;
  }
  return state;
}

Result<Ok> StateStore::Save(const State& state) const {
  if (lock_fd_ < 0) return Error{"host_error", "", dir_.string(), "state opened read-only"};
  const std::string text = StateToJson(state);
  const fs::path path = dir_ / kStateFile;
  const fs::path tmp = dir_ / (std::string(kStateFile) + ".new");
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return SysError("open", tmp.string(), errno);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      int err = errno;
      close(fd);
      unlink(tmp.c_str());
      return SysError("write", tmp.string(), err);
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return SysError("fsync", tmp.string(), err);
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return SysError("rename", path.string(), err);
  }
  int dfd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return Ok{};
}

nlohmann::json StateStore::LoadProgress() const {
  std::ifstream in(dir_ / "background.json");
  if (!in) return nullptr;
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  return j.is_object() ? j : nlohmann::json(nullptr);
}

Result<Ok> StateStore::SaveProgress(const nlohmann::json& progress) const {
  const fs::path path = dir_ / "background.json", tmp = dir_ / "background.json.new";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << progress.dump() << "\n";
    if (!out) return Error{"host_error", "write", tmp.string(), "cannot write the progress record"};
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) return SysError("rename", path.string(), errno);
  return Ok{};
}

void StateStore::ClearProgress() const { unlink((dir_ / "background.json").c_str()); }

Result<int> TryLockBackground(const fs::path& dir) {
  const fs::path path = dir / "background.lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return SysError("open", path.string(), errno);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool ProcessAlive(int pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

}  // namespace sbx
