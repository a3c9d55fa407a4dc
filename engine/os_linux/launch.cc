#include "engine/os_linux/launch.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>  // NOLINT(modernize-deprecated-headers): sigaction, kill, NSIG are POSIX
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "engine/core/strings.h"
#include "engine/os_linux/landlock.h"
#include "engine/os_linux/sys_error.h"

namespace sbx {

std::string_view IsolationName(Isolation isolation) {
  return isolation == Isolation::kUser ? "user" : "namespace";
}

namespace {

// The child's steps, in order; a failure is reported as the step and errno.
enum Step : int {
  kStepSignals,
  kStepProcessGroup,
  kStepUserNamespace,
  kStepSetgroupsDeny,
  kStepUidMap,
  kStepGidMap,
  kStepMountPrivate,
  kStepBindReadOnly,
  kStepAnchor,
  kStepHide,
  kStepMountNamespace,
  kStepNetworkNamespace,
  kStepLoopbackUp,
  kStepPidNamespace,
  kStepRlimitMemory,
  kStepRlimitProcesses,
  kStepDropBounding,
  kStepSetgroups,
  kStepSetresgid,
  kStepSetresuid,
  kStepDropCapabilities,
  kStepChdir,
  kStepNoNewPrivs,
  kStepLandlock,
  kStepSeccomp,
  kStepExec,
  kStepDumpable,
  kStepDeathSignal,
};

constexpr const char* kStepCall[] = {
    "sigprocmask",          "setpgid",        "unshare(CLONE_NEWUSER|CLONE_NEWNS)", "write /proc/self/setgroups",
    "write /proc/self/uid_map", "write /proc/self/gid_map", "mount(MS_PRIVATE)",
    "read-only copy of a carve-out (openat2, open_tree, mount_setattr, move_mount)",
    "bind mount of a carve-out's parent onto itself (openat2, open_tree, move_mount)",
    "cover of a deny-read path (openat2, open_tree, mount_setattr, move_mount)", "unshare(CLONE_NEWNS)",
    "unshare(CLONE_NEWNET)", "ioctl(SIOCSIFFLAGS, lo)", "unshare(CLONE_NEWPID)/fork", "setrlimit(RLIMIT_AS)", "setrlimit(RLIMIT_NPROC)",
    "prctl(PR_CAPBSET_DROP)", "setgroups", "setresgid", "setresuid", "capset", "chdir",
    "prctl(PR_SET_NO_NEW_PRIVS)", "landlock_restrict_self", "prctl(PR_SET_SECCOMP)", "execve",
    "prctl(PR_SET_DUMPABLE)", "prctl(PR_SET_PDEATHSIG)"};

struct Report {
  int step;
  int err;   // errno of the failed step; 0 for a notice
  int index; // which path of a list (mounts)
};

constexpr int kNoticeNetworkFallback = -1;  // step value of the notice "AF_UNIX only"

[[noreturn]] void Fail(int pipe_fd, Step step, int index = -1) {
  Report r{step, errno, index};
  (void)!write(pipe_fd, &r, sizeof r);
  _exit(125);
}

int WriteFileAt(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  const size_t len = strlen(text);
  const ssize_t n = write(fd, text, len);
  const int err = errno;
  close(fd);
  errno = err;
  return n == static_cast<ssize_t>(len) ? 0 : -1;
}

int LoopbackUp() {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  ifreq ifr{};
  memcpy(ifr.ifr_name, "lo", 3);
  int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    rc = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  const int err = errno;
  close(s);
  errno = err;
  return rc;
}

// Puts a copy of `source`'s mount tree (or of `target`'s own) over `target`, submounts
// included, read-only if asked. Everything goes through descriptors: `target` is opened without
// following any symbolic link on its way, so a link in the workspace cannot move the
// mount elsewhere; `source` is sandboxctl's own hiding object. Flags the kernel locked on
// the original mount stay; read-only is only added.
int MountOver(const char* source, const char* target, bool read_only) {
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS;
  const int dst = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, target, &how, sizeof how));
  if (dst < 0) return -1;
  const int src = source ? open(source, O_PATH | O_NOFOLLOW | O_CLOEXEC) : dst;
  int rc = -1;
  if (src >= 0) {
    const int tree = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
    if (tree >= 0) {
      mount_attr attr{};
      attr.attr_set = MOUNT_ATTR_RDONLY;
      if (!read_only || mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) == 0) {
        rc = move_mount(tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
      }
      const int err = errno;
      close(tree);
      errno = err;
    }
  }
  const int err = errno;
  if (source && src >= 0) close(src);
  close(dst);
  errno = err;
  return rc;
}

struct Prepared {
  std::vector<char*> argv, envp;
  std::string uid_map, gid_map;
  std::vector<const char*> anchors, read_only, hidden_src, hidden;
  std::vector<std::string> anchor_paths;
  pid_t supervisor = 0;
  sock_fprog seccomp{}, seccomp_unix_only{};
};

// The status of a process as an exit code a parent can pass on: the code, or 128+signal.
int AsExitCode(int status) { return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status); }

// Process 1 of the command's PID namespace: passes on the signals sent to the sandbox from
// outside (a terminal's signals reach the command directly), reaps orphans, and ends with
// the command. When it ends, the kernel ends every process left in the namespace.
[[noreturn]] void Init(pid_t command) {
  sigset_t all;
  sigfillset(&all);
  for (;;) {
    siginfo_t si{};
    const int sig = sigwaitinfo(&all, &si);
    if (sig < 0) continue;
    if (sig == SIGCHLD) {
      int status = 0;
      pid_t done = 0;
      while ((done = waitpid(-1, &status, WNOHANG)) > 0) {
        if (done == command) _exit(AsExitCode(status));
      }
      continue;
    }
    if (si.si_code == SI_USER || si.si_code == SI_QUEUE) kill(-1, sig);  // every process of the sandbox
  }
}

[[noreturn]] void Child(const LaunchRequest& q, const Prepared& p, int report) {
  sigset_t none;
  sigemptyset(&none);
  // Every disposition back to the default: an ignored SIGCHLD inherited from the caller
  // would leave process 1 below waiting for ever.
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) (void)signal(sig, SIG_DFL);  // the C library keeps a few for itself
  }
  if (sigprocmask(SIG_SETMASK, &none, nullptr) != 0) Fail(report, kStepSignals);
  // Descriptors this process inherited stay out of the sandbox (Landlock does not look at
  // what is already open); stdin, stdout and stderr are the command's.
  syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
  if (setpgid(0, 0) != 0) Fail(report, kStepProcessGroup);
  // Namespaces as the target user: namespace mode, and user mode started by the runner
  // (which holds no other privilege to make them with).
  const bool ns = q.isolation == Isolation::kNamespace || q.switch_first;
  if (q.switch_first) {  // root for a sudo user, or the runner for a sandbox user: primary group only
    const gid_t groups[] = {q.gid};
    if (setgroups(1, groups) != 0) Fail(report, kStepSetgroups);
    if (setresgid(q.gid, q.gid, q.gid) != 0) Fail(report, kStepSetresgid);
    if (setresuid(q.uid, q.uid, q.uid) != 0) Fail(report, kStepSetresuid);
    // The runner's file capabilities survive a change between two non-root uids: they go
    // now, before anything else happens in this process.
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (syscall(SYS_capset, &header, data) != 0) Fail(report, kStepDropCapabilities);
    // The uid change made the process undumpable, which leaves /proc/self to root: the id
    // maps below could not be written. It holds nothing of root's any more.
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) Fail(report, kStepSetresuid);
  }
  const bool mounts = ns || !p.read_only.empty() || !p.hidden.empty();
  if (ns) {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) Fail(report, kStepUserNamespace);
    if (WriteFileAt("/proc/self/setgroups", "deny") != 0) Fail(report, kStepSetgroupsDeny);
    if (WriteFileAt("/proc/self/uid_map", p.uid_map.c_str()) != 0) Fail(report, kStepUidMap);
    if (WriteFileAt("/proc/self/gid_map", p.gid_map.c_str()) != 0) Fail(report, kStepGidMap);
    // Back to undumpable, which process 1 below inherits: the command (same uid) must not
    // trace it or read its memory. The command's execve makes the command dumpable again.
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) Fail(report, kStepDumpable);
  } else if (mounts && unshare(CLONE_NEWNS) != 0) {
    Fail(report, kStepMountNamespace);
  }
  if (mounts) {
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) Fail(report, kStepMountPrivate);
    // A carve-out's parents up to its writable root become mount points of their own, so
    // that no directory on the way can be renamed or removed (EBUSY) and a writable copy
    // put in the carve-out's place; then the carve-out itself, read-only.
    for (size_t i = 0; i < p.anchors.size(); ++i) {
      if (MountOver(nullptr, p.anchors[i], false) != 0) Fail(report, kStepAnchor, static_cast<int>(i));
    }
    for (size_t i = 0; i < p.read_only.size(); ++i) {
      if (MountOver(nullptr, p.read_only[i], true) != 0) Fail(report, kStepBindReadOnly, static_cast<int>(i));
    }
    for (size_t i = 0; i < p.hidden.size(); ++i) {
      if (MountOver(p.hidden_src[i], p.hidden[i], true) != 0) Fail(report, kStepHide, static_cast<int>(i));
    }
  }
  bool unix_only = false;
  if (q.private_network) {
    if (unshare(CLONE_NEWNET) != 0) {
      if (!q.unix_only_fallback) Fail(report, kStepNetworkNamespace);
      unix_only = true;
      Report notice{kNoticeNetworkFallback, errno, -1};
      (void)!write(report, &notice, sizeof notice);
    } else if (LoopbackUp() != 0) {
      Fail(report, kStepLoopbackUp);
    }
  }
  // Started by the runner, the waiting process is the caller's to signal: if it is killed,
  // this process and with it the whole sandbox go too.
  if (q.unprivileged_supervisor) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) Fail(report, kStepDeathSignal);
    if (getppid() != p.supervisor) _exit(125);
  }
  // A PID namespace of its own. This process stays outside and waits; its child is
  // process 1 inside, dies with it (PR_SET_PDEATHSIG), and starts the command. Nothing the
  // command starts, daemons and setsid() included, outlives it, exec or a timeout.
  {
    sigset_t all;
    sigfillset(&all);
    if (sigprocmask(SIG_BLOCK, &all, nullptr) != 0) Fail(report, kStepSignals);
    if (unshare(CLONE_NEWPID) != 0) Fail(report, kStepPidNamespace);
    int alive[2];  // open on this side for as long as this process lives
    if (pipe2(alive, O_CLOEXEC) != 0) Fail(report, kStepPidNamespace);
    const pid_t init = fork();
    if (init < 0) Fail(report, kStepPidNamespace);
    if (init > 0) {  // outside: wait, and end as process 1 ends
      close(report);
      close(alive[0]);
      int status = 0;
      while (waitpid(init, &status, 0) < 0 && errno == EINTR) {
      }
      _exit(AsExitCode(status));
    }
    close(alive[1]);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) Fail(report, kStepPidNamespace);
    // Its parent is not visible from in here; its end of the pipe tells whether it died
    // before the death signal was set up.
    pollfd gone{alive[0], POLLIN, 0};
    if (poll(&gone, 1, 0) != 0) _exit(125);
    close(alive[0]);
  }
  if (q.memory_bytes) {
    rlimit r{*q.memory_bytes, *q.memory_bytes};
    if (setrlimit(RLIMIT_AS, &r) != 0) Fail(report, kStepRlimitMemory);
  }
  if (q.processes) {
    rlimit r{*q.processes, *q.processes};
    if (setrlimit(RLIMIT_NPROC, &r) != 0) Fail(report, kStepRlimitProcesses);
  }
  // The bounding set goes while CAP_SETPCAP is still held (root, or the namespace's owner).
  for (int cap = 0; cap <= 63; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) Fail(report, kStepDropBounding);
  }
  if (!ns) {
    const gid_t groups[] = {q.gid};
    if (setgroups(1, groups) != 0) Fail(report, kStepSetgroups);
    if (setresgid(q.gid, q.gid, q.gid) != 0) Fail(report, kStepSetresgid);
    if (setresuid(q.uid, q.uid, q.uid) != 0) Fail(report, kStepSetresuid);
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capset, &header, data) != 0) Fail(report, kStepDropCapabilities);
  if (chdir(q.cwd.c_str()) != 0) Fail(report, kStepChdir);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) Fail(report, kStepNoNewPrivs);
  if (LandlockRestrictSelf(q.landlock_fd) != 0) Fail(report, kStepLandlock);
  close(q.landlock_fd);
  if (InstallSeccomp(unix_only ? p.seccomp_unix_only : p.seccomp) != 0) Fail(report, kStepSeccomp);
  const pid_t command = fork();
  if (command < 0) Fail(report, kStepPidNamespace);
  if (command > 0) {
    close(report);  // the command's copy tells the launcher of its execve
    Init(command);
  }
  if (sigprocmask(SIG_SETMASK, &none, nullptr) != 0) Fail(report, kStepSignals);
  execve(q.executable.c_str(), p.argv.data(), p.envp.data());
  Fail(report, kStepExec);
}

// `path` lies strictly beneath `root` (both normal absolute paths).
bool IsBeneath(const std::string& path, const std::string& root) {
  return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
         (root == "/" || path[root.size()] == '/');
}

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<Ok> PrepareConfinement(LaunchRequest& q, const LaunchSpec& spec, const std::vector<std::string>& writable,
                              int abi, std::optional<double> timeout) {
  q.read_only = spec.read_only;
  q.writable_roots = writable;
  auto landlock = PrepareLandlock(LandlockPolicy{writable, true}, abi);
  if (!landlock.ok()) return landlock.error();
  q.landlock_fd = *landlock;
  auto filter = CompileSeccomp(false);
  auto unix_only = q.private_network && q.unix_only_fallback ? CompileSeccomp(true) : Result<SeccompProgram>(SeccompProgram{});
  for (const auto* f : {&filter, &unix_only}) {
    if (!f->ok()) {
      close(q.landlock_fd);
      q.landlock_fd = -1;
      return f->error();
    }
  }
  q.seccomp = std::move(*filter);
  q.seccomp_unix_only = std::move(*unix_only);
  q.memory_bytes = spec.memory_bytes;
  q.processes = spec.processes;
  if (spec.timeout_seconds) q.timeout_seconds = static_cast<double>(*spec.timeout_seconds);
  if (timeout) q.timeout_seconds = q.timeout_seconds ? std::min(*q.timeout_seconds, *timeout) : *timeout;
  return Ok{};
}

int ReportLaunch(const Result<LaunchOutcome>& outcome, nlohmann::json& status, std::ostream& err,
                 const std::string& userns_hint) {
  const std::string sx = "sandboxctl exec: ";
  if (!outcome.ok()) {
    const Error& e = outcome.error();
    const int code = e.code == "not_found" ? 127 : e.code == "not_executable" ? 126 : 125;
    err << sx << (code == 125 ? "sandbox setup failed: " : "") << e.Render() << "\n";
    if (code == 125 && e.call.rfind("unshare", 0) == 0) err << sx << userns_hint << "\n";
    status["error"] = e.Render();
    return code;
  }
  if (outcome->network_fallback) err << sx << "no network namespace could be made; only AF_UNIX sockets are allowed instead\n";
  if (outcome->timed_out) err << sx << "timed out; the command's process group was killed\n";
  status["signal"] = outcome->signal;
  status["timed_out"] = outcome->timed_out;
  status["duration_seconds"] = outcome->seconds;
  status["peak_memory_bytes"] = outcome->peak_memory_bytes;
  status["network_fallback"] = outcome->network_fallback;
  return outcome->exit_code;
}

void DropAllCapabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  syscall(SYS_capset, &header, data);
}

std::optional<std::string> FindExecutable(const std::string& command, const std::string& path,
                                          const std::string& cwd) {
  auto runnable = [](const std::string& p) {
    struct stat st {};
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  };
  if (command.empty()) return std::nullopt;
  if (command.find('/') != std::string::npos) {
    if (!runnable(command[0] == '/' ? command : cwd + "/" + command)) return std::nullopt;
    return command[0] == '/' ? command : cwd + "/" + command;
  }
  for (const auto& dir : Split(path, ':')) {
    if (dir.empty() || dir[0] != '/') continue;  // relative PATH entries are not followed
    std::string candidate = dir + "/" + command;
    if (runnable(candidate) && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

Result<LaunchOutcome> Launch(const LaunchRequest& q) {
  Prepared p;
  std::vector<std::string> argv = q.argv, env = q.env;
  for (auto& a : argv) p.argv.push_back(a.data());
  p.argv.push_back(nullptr);
  for (auto& e : env) p.envp.push_back(e.data());
  p.envp.push_back(nullptr);
  p.uid_map = std::to_string(q.uid) + " " + std::to_string(q.uid) + " 1\n";
  p.gid_map = std::to_string(q.gid) + " " + std::to_string(q.gid) + " 1\n";
  for (size_t i = 0; i < q.read_only.size(); ++i) {
    struct stat st {};
    if (lstat(q.read_only[i].c_str(), &st) != 0) continue;  // not there (yet): nothing to protect
    p.read_only.push_back(q.read_only[i].c_str());
    // Its parents inside the outermost writable root holding it: a writable root nested
    // in another could itself be renamed away otherwise.
    std::string root;
    for (const auto& w : q.writable_roots) {
      if ((root.empty() || w.size() < root.size()) && IsBeneath(q.read_only[i], w)) root = w;
    }
    if (root.empty()) continue;
    std::vector<std::string> parents;
    for (std::string d = q.read_only[i]; ;) {
      d.resize(std::min(d.rfind('/'), d.size()));
      if (d.size() <= root.size()) break;
      parents.push_back(d);
    }
    for (auto d = parents.rbegin(); d != parents.rend(); ++d) {
      if (std::find(p.anchor_paths.begin(), p.anchor_paths.end(), *d) == p.anchor_paths.end()) p.anchor_paths.push_back(*d);
    }
  }
  // Outer directories before inner ones, so that each bind keeps the ones above it.
  std::stable_sort(p.anchor_paths.begin(), p.anchor_paths.end(),
                   [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
  for (const auto& a : p.anchor_paths) p.anchors.push_back(a.c_str());
  for (const auto& h : q.hidden) {
    struct stat st {};
    if (lstat(h.c_str(), &st) != 0) continue;  // nothing there to hide
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
      return Error{"setup_failed", "lstat", h, "deny-read path is neither a file nor a directory"};
    }
    p.hidden.push_back(h.c_str());
    p.hidden_src.push_back(S_ISDIR(st.st_mode) ? q.hide_dir.c_str() : q.hide_file.c_str());
  }
  p.seccomp = q.seccomp.Program();
  p.seccomp_unix_only = q.seccomp_unix_only.Program();

  p.supervisor = getpid();
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return SysError("pipe2", "launch", errno);
  // Signals for the command arrive through a signalfd; the child unblocks them.
  sigset_t forwarded, old;
  sigemptyset(&forwarded);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGUSR1, SIGUSR2, SIGCONT, SIGCHLD}) sigaddset(&forwarded, sig);
  sigprocmask(SIG_BLOCK, &forwarded, &old);
  // An ignored SIGCHLD (inherited from the caller) would reap the child unseen.
  struct sigaction default_chld {}, old_chld {};
  default_chld.sa_handler = SIG_DFL;
  sigaction(SIGCHLD, &default_chld, &old_chld);
  auto restore_mask = [&] {
    sigprocmask(SIG_SETMASK, &old, nullptr);
    sigaction(SIGCHLD, &old_chld, nullptr);
  };
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    restore_mask();
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return SysError("fork", "launch", err);
  }
  if (pid == 0) {
    close(pipe_fds[0]);
    Child(q, p, pipe_fds[1]);
  }
  close(pipe_fds[1]);
  setpgid(pid, pid);  // as the child does itself: whichever runs first
  // The runner's capabilities served the child's identity switch; waiting needs none.
  if (q.unprivileged_supervisor) {
    const uid_t caller = geteuid();
    if (setresuid(q.uid, caller, caller) != 0) {
      const int err = errno;
      kill(pid, SIGKILL);
      DropAllCapabilities();
      waitpid(pid, nullptr, 0);
      restore_mask();
      close(pipe_fds[0]);
      return SysError("setresuid", "the runner's waiting process", err);
    }
    DropAllCapabilities();
  }

  LaunchOutcome outcome;
  Report r{};
  std::optional<Report> failure;
  for (;;) {
    ssize_t n = read(pipe_fds[0], &r, sizeof r);
    if (n < 0 && errno == EINTR) continue;
    if (n != sizeof r) break;  // closed by execve: the command runs
    if (r.step == kNoticeNetworkFallback) {
      outcome.network_fallback = true;
      continue;
    }
    failure = r;
    break;
  }
  close(pipe_fds[0]);
  if (failure) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    restore_mask();
    const int err = failure->err;
    if (failure->step == kStepExec) {
      if (err == ENOENT || err == ENOTDIR) return Error{"not_found", "execve", q.executable, std::strerror(err)};
      if (err == EACCES || err == ENOEXEC || err == EISDIR || err == ETXTBSY || err == EPERM || err == ELOOP) {
        return Error{"not_executable", "execve", q.executable, std::strerror(err)};
      }
      // E2BIG, EAGAIN (a process limit), ENOMEM...: the launch failed, not the command.
    }
    std::string object = "sandbox setup";
    if (failure->step == kStepBindReadOnly) {
      object = p.read_only.at(static_cast<size_t>(failure->index));
    } else if (failure->step == kStepAnchor) {
      object = p.anchors.at(static_cast<size_t>(failure->index));
    } else if (failure->step == kStepHide) {
      object = p.hidden.at(static_cast<size_t>(failure->index));
    } else if (failure->step == kStepChdir) {
      object = q.cwd;
    }
    Error e = SysError(kStepCall[failure->step], object, err);
    if (err == ELOOP && failure->step >= kStepBindReadOnly && failure->step <= kStepHide) {
      e.message = "passes through a symbolic link; name the real path in the profile";
    }
    e.code = "setup_failed";
    return e;
  }

  // The command runs. Hand it the terminal if we have it in the foreground.
  const bool terminal = isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
  if (terminal) {
    (void)signal(SIGTTOU, SIG_IGN);
    tcsetpgrp(STDIN_FILENO, pid);
  }
  // One descriptor tells of both: signals to forward and SIGCHLD when the command ends.
  int sigfd = signalfd(-1, &forwarded, SFD_CLOEXEC);
  int status = 0;
  rusage usage{};
  bool killed_hard = false;
  std::optional<std::chrono::steady_clock::time_point> term_sent;
  for (;;) {
    int timeout_ms = -1;
    if (q.timeout_seconds && !term_sent) {
      const double left = *q.timeout_seconds - Since(start);
      if (left <= 0) {
        outcome.timed_out = true;
        kill(-pid, SIGTERM);
        kill(-pid, SIGCONT);
        term_sent = std::chrono::steady_clock::now();
        continue;
      }
      timeout_ms = static_cast<int>(left * 1000) + 1;
    } else if (term_sent && !killed_hard) {
      const double left = 2.0 - Since(*term_sent);  // grace period, then SIGKILL
      if (left <= 0) {
        kill(-pid, SIGKILL);
        killed_hard = true;
        continue;
      }
      timeout_ms = static_cast<int>(left * 1000) + 1;
    }
    if (wait4(pid, &status, WNOHANG, &usage) == pid) break;
    if (sigfd < 0) {  // no signalfd: poll the command's state
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    pollfd fd{sigfd, POLLIN, 0};
    int ready = poll(&fd, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready > 0) {
      signalfd_siginfo si{};
      if (read(sigfd, &si, sizeof si) == sizeof si && si.ssi_signo != SIGCHLD) kill(-pid, static_cast<int>(si.ssi_signo));
    }
  }
  outcome.seconds = Since(start);
  kill(-pid, SIGKILL);  // what the command left running in its group ends with it
  if (terminal) tcsetpgrp(STDIN_FILENO, getpgrp());
  if (sigfd >= 0) close(sigfd);
  restore_mask();
  rusage children{};
  getrusage(RUSAGE_CHILDREN, &children);
  outcome.peak_memory_bytes = static_cast<uint64_t>(std::max(usage.ru_maxrss, children.ru_maxrss)) * 1024;
  if (WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
    outcome.exit_code = 128 + outcome.signal;
  } else {
    outcome.exit_code = WEXITSTATUS(status);
  }
  if (outcome.timed_out) outcome.exit_code = 124;
  return outcome;
}

}  // namespace sbx
