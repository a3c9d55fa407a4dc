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

#include <algorithm>
#include <cerrno>
#include <climits>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <thread>
#include <utility>

#include "engine/core/strings.h"
#include "engine/os_linux/accounts.h"
#include "engine/os_linux/landlock.h"
#include "engine/plan/launch_env.h"
#include "engine/profile/paths.h"
#include "engine/os_linux/sys_error.h"

namespace sbx {

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
  kStepViewRoot,
  kStepView,
  kStepProc,
  kStepShm,
  kStepCover,
};

constexpr const char* kStepCall[] = {
    "sigprocmask",          "setpgid",        "unshare(CLONE_NEWUSER|CLONE_NEWNS)", "write /proc/self/setgroups",
    "write /proc/self/uid_map", "write /proc/self/gid_map", "mount(MS_PRIVATE)",
    "read-only copy of a carve-out (openat2, open_tree, mount_setattr, move_mount)",
    "bind mount of a carve-out's parent onto itself (openat2, open_tree, move_mount)",
    "unshare(CLONE_NEWNS)",
    "unshare(CLONE_NEWNET)", "ioctl(SIOCSIFFLAGS, lo)", "unshare(CLONE_NEWPID)/fork", "setrlimit(RLIMIT_AS)", "setrlimit(RLIMIT_NPROC)",
    "prctl(PR_CAPBSET_DROP)", "setgroups", "setresgid", "setresuid", "capset", "chdir",
    "prctl(PR_SET_NO_NEW_PRIVS)", "landlock_restrict_self", "prctl(PR_SET_SECCOMP)", "execve",
    "prctl(PR_SET_DUMPABLE)", "prctl(PR_SET_PDEATHSIG)",
    "the view's new root (fsmount tmpfs, pivot_root, open_tree /, move_mount)",
    "the view's mount (openat, open_tree, fsmount, mount_setattr, move_mount)", "mount(proc)",
    "a private /dev/shm (fsmount tmpfs, move_mount, landlock_add_rule)",
    "an empty read-only cover over a deny-read path (fsmount tmpfs, openat2, open_tree, move_mount)"};

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

struct Prepared {
  std::vector<char*> argv, envp;
  std::vector<std::string> view_target, view_source;  // the view's paths without the leading '/'
  bool terminal = false;  // the caller has the terminal in the foreground: hand it over
  std::string uid_map, gid_map;
  std::vector<const char*> anchors, read_only, covers;
  std::vector<bool> cover_is_dir;
  std::vector<std::string> anchor_paths;
  pid_t supervisor = 0;
  sock_fprog seccomp{}, seccomp_unix_only{};
};

// Opens `rel` (relative to `dir`, no leading '/') one component at a time, never following
// a symbolic link (O_PATH, close-on-exec). With `create`, missing components are made: the
// directories, and the last one as an empty file unless `directory`: the mount points of
// binds inside the view's own tmpfs. Async-signal-safe.
int OpenIn(int dir, const char* rel, bool create, bool directory) {
  char buf[PATH_MAX];
  const size_t len = strlen(rel);
  if (len >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(buf, rel, len + 1);
  int fd = fcntl(dir, F_DUPFD_CLOEXEC, 0);
  for (char* name = buf; fd >= 0 && *name;) {
    char* slash = strchr(name, '/');
    const bool last = slash == nullptr;
    if (slash) *slash = '\0';
    const int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC | (last && !directory ? 0 : O_DIRECTORY);
    int next = openat(fd, name, flags);
    if (next < 0 && errno == ENOENT && create) {
      if (last && !directory) {
        const int f = openat(fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
        if (f >= 0) close(f);
      } else {
        (void)mkdirat(fd, name, 0755);
      }
      next = openat(fd, name, flags);
    }
    const int err = errno;
    close(fd);
    fd = next;
    errno = err;
    if (fd >= 0 && last && !directory) {  // a file (or a socket to cover), never a link
      struct stat st {};
      if (fstat(fd, &st) != 0 || S_ISLNK(st.st_mode)) {
        close(fd);
        errno = ELOOP;
        return -1;
      }
    }
    if (last) break;
    name = slash + 1;
  }
  return fd;
}

// A new tmpfs, detached: `mode` of its root, `attrs` (MOUNT_ATTR_*) of the mount.
int NewFs(const char* type, const char* mode, uint64_t attrs) {
  const int fs = fsopen(type, FSOPEN_CLOEXEC);
  if (fs < 0) return -1;
  int mnt = -1;
  if ((!mode || fsconfig(fs, FSCONFIG_SET_STRING, "mode", mode, 0) == 0) &&
      fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) == 0) {
    mnt = fsmount(fs, FSMOUNT_CLOEXEC, static_cast<unsigned>(attrs));
  }
  const int err = errno;
  close(fs);
  errno = err;
  return mnt;
}

// Mounts the detached mount `mnt` on `dst` and closes neither.
int Attach(int mnt, int dst) { return move_mount(mnt, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH); }

// A copy of the mount tree at `src` (recursive unless `single`), with `attrs` added, on `dst`.
int BindAt(int src, int dst, uint64_t attrs, bool single = false) {
  const int tree = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (single ? 0 : AT_RECURSIVE));
  if (tree < 0) return -1;
  mount_attr attr{};
  attr.attr_set = attrs;
  int rc = attrs ? mount_setattr(tree, "", AT_EMPTY_PATH | (single ? 0 : AT_RECURSIVE), &attr, sizeof attr) : 0;
  if (rc == 0) rc = Attach(tree, dst);
  const int err = errno;
  close(tree);
  errno = err;
  return rc;
}

// Puts a copy of `target`'s own mount tree over it, submounts included, read-only if
// asked (user mode's carve-outs and their anchors). `target` is opened without following
// any symbolic link on its way, so a link in the workspace cannot move the mount
// elsewhere. Flags the kernel locked on the original mount stay; read-only is only added.
int MountOver(const char* target, bool read_only) {
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS;
  const int dst = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, target, &how, sizeof how));
  if (dst < 0) return -1;
  const int rc = BindAt(dst, dst, read_only ? MOUNT_ATTR_RDONLY : 0);
  const int err = errno;
  close(dst);
  errno = err;
  return rc;
}

constexpr uint64_t kReadOnly = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;

// The private /dev on `dev` (the root of its new tmpfs): the host's harmless devices bound
// one by one, a new devpts instance (so no other terminal of the host is there), /dev/shm;
// writes allowed to the new ptys and in /dev/shm.
int MakeDev(const LaunchRequest& q, int old_root, int dev) {
  for (const char* host : {"dev/null", "dev/zero", "dev/full", "dev/random", "dev/urandom", "dev/tty"}) {
    const char* name = host + 4;
    const int src = openat(old_root, host, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (src < 0) continue;  // not on this host (a container's /dev may lack tty)
    struct stat st {};
    int rc = fstat(src, &st) == 0 && S_ISCHR(st.st_mode) ? 0 : -1;
    const int dst = rc == 0 ? OpenIn(dev, name, true, false) : -1;
    if (dst >= 0) rc = BindAt(src, dst, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, true);  // no touch
    const int err = errno;
    close(src);
    if (dst >= 0) close(dst);
    errno = err;
    if (rc != 0 || dst < 0) return -1;
  }
  for (const auto& [target, name] : {std::pair{"/proc/self/fd", "fd"}, std::pair{"/proc/self/fd/0", "stdin"},
                                     std::pair{"/proc/self/fd/1", "stdout"}, std::pair{"/proc/self/fd/2", "stderr"},
                                     std::pair{"pts/ptmx", "ptmx"}}) {
    if (symlinkat(target, dev, name) != 0) return -1;
  }
  for (const char* name : {"pts", "shm"}) {
    const bool pts = name[0] == 'p';
    if (mkdirat(dev, name, 0755) != 0) return -1;
    const int dst = OpenIn(dev, name, false, true);
    if (dst < 0) return -1;
    int mnt = -1;
    if (pts) {
      const int fs = fsopen("devpts", FSOPEN_CLOEXEC);
      if (fs >= 0 && fsconfig(fs, FSCONFIG_SET_STRING, "ptmxmode", "0666", 0) == 0 &&
          fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0620", 0) == 0 && fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) == 0) {
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
      }
      if (fs >= 0) close(fs);
    } else {
      mnt = NewFs("tmpfs", "1777", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    }
    int rc = mnt >= 0 ? Attach(mnt, dst) : -1;
    if (rc == 0) rc = LandlockAllowWrites(q.landlock_fd, mnt, pts, q.landlock_abi);
    const int err = errno;
    if (mnt >= 0) close(mnt);
    close(dst);
    errno = err;
    if (rc != 0) return -1;
  }
  return 0;
}

// The view of namespace mode (engine/launch/view.h), as bubblewrap builds its new root: a
// tmpfs of the view's own becomes the root for a moment, the host's tree below it at
// /oldroot; the host's tree, read-only, goes to /newroot, every operation of the view is
// carried out there (its sources taken from /oldroot, no path followed through a symbolic
// link), and /newroot becomes the root with the old one detached.
void BuildView(const LaunchRequest& q, const Prepared& p, int report) {
  int staging = NewFs("tmpfs", "0700", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  if (staging < 0 || move_mount(staging, "", AT_FDCWD, "/tmp", MOVE_MOUNT_F_EMPTY_PATH) != 0 ||
      fchdir(staging) != 0 || mkdir("newroot", 0755) != 0 || mkdir("oldroot", 0755) != 0 ||
      mkdir("empty-dir", 0) != 0) {
    Fail(report, kStepViewRoot);
  }
  const int empty = open("empty-file", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (empty < 0 || syscall(SYS_pivot_root, ".", "oldroot") != 0 || chdir("/") != 0) Fail(report, kStepViewRoot);
  close(empty);
  close(staging);
  const int old_root = open("/oldroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (old_root < 0) Fail(report, kStepViewRoot);
  {
    const int tree = open_tree(old_root, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
    mount_attr attr{};
    attr.attr_set = kReadOnly;
    if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0 ||
        move_mount(tree, "", AT_FDCWD, "/newroot", MOVE_MOUNT_F_EMPTY_PATH) != 0) {
      Fail(report, kStepViewRoot);
    }
    close(tree);
  }
  const int root = open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) Fail(report, kStepViewRoot);
  // Read-only tmpfs are made read-only once what is bound inside them is in place.
  int sealed[8];
  size_t nsealed = 0;
  for (size_t i = 0; i < q.view.size(); ++i) {
    const MountOp& op = q.view[i];
    const int index = static_cast<int>(i);
    const int dst = OpenIn(root, p.view_target[i].c_str(), true, op.directory);
    if (dst < 0) Fail(report, kStepView, index);
    int rc = -1;
    switch (op.kind) {
      case MountKind::kTmpfs:
      case MountKind::kDev: {
        const bool dev = op.kind == MountKind::kDev;
        const int mnt = NewFs("tmpfs", dev ? "0755" : op.read_only ? "0755" : "1777",
                              MOUNT_ATTR_NOSUID | (dev ? MOUNT_ATTR_NOEXEC : MOUNT_ATTR_NODEV));
        rc = mnt >= 0 ? Attach(mnt, dst) : -1;
        if (rc == 0 && dev) rc = MakeDev(q, old_root, mnt);
        if (rc == 0 && !dev && !op.read_only) rc = LandlockAllowWrites(q.landlock_fd, mnt, false, q.landlock_abi);
        if (rc == 0 && op.read_only) {
          if (nsealed == sizeof sealed / sizeof sealed[0]) {
            errno = E2BIG;
            rc = -1;
          } else {
            sealed[nsealed++] = mnt;
            break;
          }
        }
        if (mnt >= 0) close(mnt);
        break;
      }
      case MountKind::kBindReadOnly:
      case MountKind::kBindWritable: {
        const int src = OpenIn(old_root, p.view_source[i].c_str(), false, op.directory);
        rc = src >= 0 ? BindAt(src, dst, op.kind == MountKind::kBindReadOnly ? kReadOnly : MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV) : -1;
        if (src >= 0) close(src);
        break;
      }
      case MountKind::kCover: {
        const int src = open(op.directory ? "/empty-dir" : "/empty-file", O_PATH | O_CLOEXEC);
        rc = src >= 0 ? BindAt(src, dst, kReadOnly, true) : -1;
        if (src >= 0) close(src);
        break;
      }
    }
    if (rc != 0) Fail(report, kStepView, index);
    close(dst);
  }
  mount_attr ro{};
  ro.attr_set = MOUNT_ATTR_RDONLY;
  for (size_t i = 0; i < nsealed; ++i) {
    if (mount_setattr(sealed[i], "", AT_EMPTY_PATH, &ro, sizeof ro) != 0) Fail(report, kStepViewRoot);
    close(sealed[i]);
  }
  close(old_root);
  if (fchdir(root) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 || umount2(".", MNT_DETACH) != 0 || chdir("/") != 0) {
    Fail(report, kStepViewRoot);
  }
  close(root);
}

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
  // The terminal goes to the sandbox's process group now, before the command can read it
  // (a read from the background would stop it with SIGTTIN); the launcher does the same, as
  // a shell and its job do, whichever runs first.
  if (p.terminal) {
    (void)signal(SIGTTOU, SIG_IGN);
    (void)tcsetpgrp(STDIN_FILENO, getpgrp());
    (void)signal(SIGTTOU, SIG_DFL);
  }
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
  // Every mode has a mount namespace of its own: user mode for its carve-outs and a
  // private /dev/shm, namespace mode for its view.
  if (ns) {
    // An IPC namespace too: the developer's SysV segments (X11's MIT-SHM), semaphores and
    // message queues are theirs, and the command runs as them.
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS | (q.view.empty() ? 0 : CLONE_NEWIPC)) != 0) Fail(report, kStepUserNamespace);
    if (WriteFileAt("/proc/self/setgroups", "deny") != 0) Fail(report, kStepSetgroupsDeny);
    if (WriteFileAt("/proc/self/uid_map", p.uid_map.c_str()) != 0) Fail(report, kStepUidMap);
    if (WriteFileAt("/proc/self/gid_map", p.gid_map.c_str()) != 0) Fail(report, kStepGidMap);
    // Back to undumpable, which process 1 below inherits: the command (same uid) must not
    // trace it or read its memory. The command's execve makes the command dumpable again.
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) Fail(report, kStepDumpable);
  } else if (unshare(CLONE_NEWNS) != 0) {
    Fail(report, kStepMountNamespace);
  }
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) Fail(report, kStepMountPrivate);
  if (!q.view.empty()) {
    BuildView(q, p, report);
  } else {
    // A carve-out's parents up to its writable root become mount points of their own, so
    // that no directory on the way can be renamed or removed (EBUSY) and a writable copy
    // put in the carve-out's place; then the carve-out itself, read-only.
    for (size_t i = 0; i < p.anchors.size(); ++i) {
      if (MountOver(p.anchors[i], false) != 0) Fail(report, kStepAnchor, static_cast<int>(i));
    }
    for (size_t i = 0; i < p.read_only.size(); ++i) {
      if (MountOver(p.read_only[i], true) != 0) Fail(report, kStepBindReadOnly, static_cast<int>(i));
    }
    // Deny-read paths covered by an empty read-only object, as in namespace isolation's
    // view: whatever is at the path when the command starts (an editor's or git's new
    // inode, which the workspace's default ACL would let the sandbox read) is not seen, and
    // the path cannot be renamed away (EBUSY). The empty objects come from a tmpfs put on
    // /dev/shm for the moment; the private /dev/shm below goes over it.
    if (!p.covers.empty()) {
      const int shm = open("/dev/shm", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      const int empty = shm >= 0 ? NewFs("tmpfs", "0555", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC) : -1;
      if (empty < 0 || Attach(empty, shm) != 0 || mkdirat(empty, "d", 0) != 0) Fail(report, kStepCover);
      const int made = openat(empty, "f", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
      const int dir = openat(empty, "d", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      const int file = openat(empty, "f", O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (made < 0 || dir < 0 || file < 0) Fail(report, kStepCover);
      close(made);
      for (size_t i = 0; i < p.covers.size(); ++i) {
        open_how how{};
        how.flags = O_PATH | O_CLOEXEC;
        how.resolve = RESOLVE_NO_SYMLINKS;
        const int dst = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, p.covers[i], &how, sizeof how));
        if (dst < 0 || BindAt(p.cover_is_dir[i] ? dir : file, dst, kReadOnly, true) != 0) {
          Fail(report, kStepCover, static_cast<int>(i));
        }
        close(dst);
      }
      close(dir);
      close(file);
      if (umount2("/dev/shm", MNT_DETACH) != 0) Fail(report, kStepCover);
      close(empty);
      close(shm);
    }
    // POSIX shared memory and semaphores (Python's multiprocessing) in a /dev/shm of the
    // sandbox's own: the host's is shared by every user of the machine.
    if (const int shm = open("/dev/shm", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC); shm >= 0) {
      const int mnt = NewFs("tmpfs", "1777", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
      if (mnt < 0 || Attach(mnt, shm) != 0 || LandlockAllowWrites(q.landlock_fd, mnt, false, q.landlock_abi) != 0) {
        Fail(report, kStepShm);
      }
      close(mnt);
      close(shm);
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
  // If the waiting process is killed (SIGKILL to exec or to the runner), this process and
  // with it the whole sandbox go too. Set after the namespaces: a change of credentials
  // clears it.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) Fail(report, kStepDeathSignal);
  if (getppid() != p.supervisor) _exit(125);
  int alive_fd = -1;
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
    alive_fd = alive[0];
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) Fail(report, kStepPidNamespace);
    // Its parent is not visible from in here; its end of the pipe tells whether it died
    // before the death signal was set up.
    pollfd gone{alive_fd, POLLIN, 0};
    if (poll(&gone, 1, 0) != 0) _exit(125);
  }
  // A /proc of the command's PID namespace: no host process is there. Mounted by process 1,
  // the first process of the namespace.
  if (!q.view.empty() && mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    Fail(report, kStepProc);
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
    // The change of credentials cleared the death signal: again, and whether the waiting
    // process died meanwhile.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) Fail(report, kStepPidNamespace);
    pollfd gone{alive_fd, POLLIN, 0};
    if (poll(&gone, 1, 0) != 0) _exit(125);
  }
  close(alive_fd);
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

// The start of a small regular file, never through a link ("" for anything else).
std::string ReadSmallFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return "";
  struct stat st {};
  std::string text(4096, '\0');
  ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, text.data(), text.size()) : -1;
  close(fd);
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return text;
}

// A directory git would take for a repository's: HEAD, and objects or (a worktree's) commondir.
bool IsGitDirectory(const std::string& dir) {
  struct stat head {}, objects {}, common {};
  return lstat((dir + "/HEAD").c_str(), &head) == 0 && S_ISREG(head.st_mode) &&
         ((lstat((dir + "/objects").c_str(), &objects) == 0 && S_ISDIR(objects.st_mode)) ||
          (lstat((dir + "/commondir").c_str(), &common) == 0 && S_ISREG(common.st_mode)));
}

// Moves aside what the command made where carve-outs were missing when it started, each
// through its parent opened without following links; the command has ended and no process
// of its remains (its PID namespace is gone). The runner's waiting side does it with the
// rights of the sandbox user, who made it (its real uid), not the caller's.
void MoveAsideCreated(const LaunchRequest& q, LaunchOutcome& outcome) {
  const std::vector<std::string>& absent = q.absent_carve_outs;
  if (absent.empty()) return;
  const uid_t caller = geteuid();
  if (q.unprivileged_supervisor && seteuid(q.uid) != 0) {
    outcome.quarantine_failed.push_back(absent.front() + ": seteuid to the sandbox user: " + std::strerror(errno));
    return;
  }
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm utc {};
  gmtime_r(&now, &utc);
  (void)std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);  // 16 characters fit
  for (const auto& path : absent) {
    const size_t slash = path.rfind('/');
    const std::string dir = slash == 0 ? "/" : path.substr(0, slash), name = path.substr(slash + 1);
    open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_NO_SYMLINKS;
    const int dfd = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, dir.c_str(), &how, sizeof how));
    if (dfd < 0) {
      if (errno != ENOENT) outcome.quarantine_failed.push_back(path + ": openat2 " + dir + ": " + std::strerror(errno));
      continue;
    }
    struct stat st {};
    if (fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      for (int n = 0;; ++n) {
        const std::string to = QuarantineName(name, stamp, n);
        if (renameat2(dfd, name.c_str(), dfd, to.c_str(), RENAME_NOREPLACE) == 0) {
          outcome.quarantined.emplace_back(path, (dir == "/" ? "" : dir) + "/" + to);
          break;
        }
        if (errno == EEXIST && n < 100) continue;
        outcome.quarantine_failed.push_back(path + ": renameat2 to " + to + ": " + std::strerror(errno));
        break;
      }
    }
    close(dfd);
  }
  if (q.unprivileged_supervisor && seteuid(caller) != 0) {
    outcome.quarantine_failed.push_back("seteuid back to the caller: " + std::string(std::strerror(errno)));
  }
}

}  // namespace

namespace fs = std::filesystem;

ViewInput ObserveView(const LaunchSpec& spec, const std::vector<std::string>& carve_outs, const std::string& workspace,
                      const std::vector<std::string>& writable, const std::string& executable, uid_t uid) {
  ViewInput in;
  in.writable = writable;
  in.read_only = carve_outs;
  in.readable = spec.readable;
  in.readable.push_back(workspace);
  in.deny_read = spec.deny_read;
  in.visible.push_back(executable);
  // Name resolution for online profiles: /etc/resolv.conf may point into /run.
  std::error_code ec;
  if (const auto resolv = fs::canonical("/etc/resolv.conf", ec); !ec && resolv.string().rfind("/run/", 0) == 0) {
    in.visible.push_back(resolv.string());
  }
  // What a group of the developer's grants and the view would otherwise show. docker,
  // podman, libvirt: sockets in /run (empty). disk, kvm, video: devices (private /dev).
  // lxd, incus-admin, libvirt, docker: their state directories, with sockets, here. adm
  // and systemd-journal: the logs. shadow: the password hashes. sudo and wheel: nothing to
  // hide, no_new_privs makes sudo (setuid) inert.
  in.cover = {"/var/lib/lxd", "/var/snap/lxd/common/lxd", "/var/lib/incus", "/var/lib/libvirt", "/var/lib/docker",
              "/var/log",     "/etc/shadow",              "/etc/gshadow"};
  // An agent's socket outside /tmp and /run, in a directory of the user's own.
  for (const char* var : {"SSH_AUTH_SOCK", "GPG_AGENT_INFO"}) {
    const char* v = std::getenv(var);
    if (!v || v[0] != '/') continue;
    const fs::path dir = fs::path(v).lexically_normal().parent_path();
    struct stat st {};
    if (dir != "/" && lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid) in.cover.push_back(dir);
  }
  if (auto account = LookupUserById(uid); account && account->home.rfind('/', 0) == 0) {
    // As the compiler spells ${home}: through any link to it (/home -> /var/home).
    std::error_code home_ec;
    const fs::path real = fs::canonical(account->home, home_ec);
    in.home = (home_ec ? fs::path(account->home).lexically_normal() : real).string();
    if (in.home.size() > 1 && in.home.back() == '/') in.home.pop_back();
  }
  for (const auto* list : {&in.writable, &in.read_only, &in.readable, &in.deny_read, &in.visible, &in.cover}) {
    for (const auto& path : *list) {
      struct stat st {};
      in.types[path] = lstat(path.c_str(), &st) != 0 ? PathType::kMissing
                       : S_ISDIR(st.st_mode)         ? PathType::kDirectory
                       : S_ISREG(st.st_mode)         ? PathType::kFile
                                                     : PathType::kOther;
    }
  }
  // Parents of the carve-outs, which the view may bind onto themselves.
  for (const auto& c : in.read_only) {
    for (fs::path d = fs::path(c).parent_path(); d.has_relative_path(); d = d.parent_path()) {
      struct stat st {};
      if (!in.types.contains(d.string())) {
        in.types[d.string()] = lstat(d.c_str(), &st) == 0 && S_ISDIR(st.st_mode) ? PathType::kDirectory : PathType::kOther;
      }
    }
  }
  if (!in.home.empty()) {
    struct stat st {};
    in.types[in.home] = lstat(in.home.c_str(), &st) == 0 && S_ISDIR(st.st_mode) ? PathType::kDirectory : PathType::kMissing;
  }
  return in;
}


std::vector<std::string> CarveOutsOfRun(const LaunchSpec& spec) {
  std::vector<std::string> out = spec.read_only;
  auto add = [&](const std::string& dir) {
    const bool denied = std::any_of(spec.deny_read.begin(), spec.deny_read.end(),
                                    [&](const std::string& d) { return IsWithin(dir, d, PathStyle::kPosix); });
    if (!denied && IsGitDirectory(dir) && std::find(out.begin(), out.end(), dir) == out.end()) out.push_back(dir);
  };
  auto real = [](const std::optional<std::string>& path) -> std::string {
    char buf[PATH_MAX];
    return path && realpath(path->c_str(), buf) ? std::string(buf) : "";
  };
  for (const auto& c : spec.read_only) {
    const size_t slash = c.rfind('/');
    if (slash == std::string::npos || c.substr(slash + 1) != ".git") continue;
    const std::string gitdir = real(GitdirOfPointer(ReadSmallFile(c), slash == 0 ? "/" : c.substr(0, slash)));
    if (gitdir.empty()) continue;
    add(gitdir);
    // A worktree's: the repository's own git directory ("commondir", relative to it).
    std::string common = ReadSmallFile(gitdir + "/commondir");
    while (!common.empty() && (common.back() == '\n' || common.back() == '\r')) common.pop_back();
    if (common.empty() || common.find('\n') != std::string::npos) continue;
    const std::string common_dir = real(NormalizePath(common[0] == '/' ? common : gitdir + "/" + common, PathStyle::kPosix));
    if (!common_dir.empty()) add(common_dir);
  }
  return out;
}

Result<Ok> PrepareConfinement(LaunchRequest& q, const LaunchSpec& spec, const std::vector<std::string>& writable,
                              int abi, std::optional<double> timeout) {
  q.read_only = CarveOutsOfRun(spec);
  q.deny_read = spec.deny_read;
  q.writable_roots = writable;
  q.absent_carve_outs.clear();
  for (const auto& c : q.read_only) {
    struct stat st {};
    const bool in_root = std::any_of(writable.begin(), writable.end(), [&](const std::string& w) { return IsBeneath(c, w); });
    if (in_root && lstat(c.c_str(), &st) != 0 && errno == ENOENT) q.absent_carve_outs.push_back(c);
  }
  q.landlock_abi = abi;
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

std::string RepositoryTop(const std::string& workspace) {
  for (std::string d = workspace; d.size() > 1 && d[0] == '/'; d.resize(std::max<size_t>(d.rfind('/'), 1))) {
    struct stat st {};
    if (lstat((d + "/.git").c_str(), &st) == 0) return d;
    if (d.rfind('/') == 0) break;
  }
  return workspace;
}

Result<Ok> SetCommand(LaunchRequest& q, const LaunchSpec& spec, const CommandInputs& in) {
  if (!MayRunIn(spec, in.workspace, in.tmp, in.cwd)) {
    return Error{"refused", "", in.cwd, "--cwd " + in.cwd + " is outside what profile '" + spec.profile + "' may read"};
  }
  q.cwd = in.cwd;
  q.env = SandboxEnvironment(spec, in.caller_env, in.fixed);
  std::string path;
  for (const auto& e : q.env) {
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  }
  const std::string name = in.command.empty() ? std::string() : in.command.front();
  auto exe = FindExecutable(name, path, in.cwd);
  if (!exe) return Error{"not_found", "", name, name + ": command not found"};
  q.executable = *exe;
  q.argv = in.command;
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
  nlohmann::json moved = nlohmann::json::array();
  for (const auto& [path, to] : outcome->quarantined) {
    err << sx << "the command made " << path << ", which the profile keeps read-only; moved it to " << to
        << " (a git directory or policy file a sandbox makes could run code as you later): look at it before you "
           "use it\n";
    moved.push_back({{"path", path}, {"moved_to", to}});
  }
  status["quarantined"] = moved;
  if (!outcome->quarantine_failed.empty()) {
    for (const auto& f : outcome->quarantine_failed) {
      err << sx << "the command made a path the profile keeps read-only, and it could not be moved aside: " << f
          << "; remove it before you run git or sandboxctl there\n";
    }
    status["error"] = "could not move aside: " + Join(outcome->quarantine_failed, "; ");
    return 125;
  }
  return outcome->exit_code;
}

int LaunchAndReport(LaunchRequest& q, nlohmann::json& status, std::ostream& err, const std::string& userns_hint) {
  auto outcome = Launch(q);
  close(q.landlock_fd);
  q.landlock_fd = -1;
  return ReportLaunch(outcome, status, err, userns_hint);
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
  // The view, where there is one, has the carve-outs and covers in it.
  const size_t protected_paths = q.view.empty() ? q.read_only.size() + q.deny_read.size() : 0;
  for (size_t i = 0; i < protected_paths; ++i) {
    const bool cover = i >= q.read_only.size();
    const std::string& path = cover ? q.deny_read[i - q.read_only.size()] : q.read_only[i];
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) continue;  // not there (yet): nothing to protect
    // Outside the writable roots the sandbox renames nothing, and apply's ACL entries hold
    // there (no default entry of the sandbox's above them).
    const bool in_root = std::any_of(q.writable_roots.begin(), q.writable_roots.end(),
                                     [&](const std::string& w) { return IsBeneath(path, w); });
    if (cover && !in_root) continue;
    if (cover) {
      p.covers.push_back(path.c_str());
      p.cover_is_dir.push_back(S_ISDIR(st.st_mode));
    } else {
      p.read_only.push_back(path.c_str());
    }
    // Its parents inside the outermost writable root holding it: a writable root nested
    // in another could itself be renamed away otherwise.
    std::string root;
    for (const auto& w : q.writable_roots) {
      if ((root.empty() || w.size() < root.size()) && IsBeneath(path, w)) root = w;
    }
    if (root.empty()) continue;
    std::vector<std::string> parents;
    for (std::string d = path; ;) {
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
  for (const auto& op : q.view) {
    p.view_target.push_back(op.target.substr(1));
    p.view_source.push_back(op.source.empty() ? "" : op.source.substr(1));
  }
  p.seccomp = q.seccomp.Program();
  p.seccomp_unix_only = q.seccomp_unix_only.Program();
  p.terminal = isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();

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
  if (p.terminal) {
    (void)signal(SIGTTOU, SIG_IGN);
    tcsetpgrp(STDIN_FILENO, pid);
  }
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
    if (p.terminal) tcsetpgrp(STDIN_FILENO, getpgrp());
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
    } else if (failure->step == kStepCover && failure->index >= 0) {
      object = p.covers.at(static_cast<size_t>(failure->index));
    } else if (failure->step == kStepView) {
      const MountOp& op = q.view.at(static_cast<size_t>(failure->index));
      object = op.target + " (" + op.why + ")";
    } else if (failure->step == kStepChdir) {
      object = q.cwd;
    }
    Error e = SysError(kStepCall[failure->step], object, err);
    if (err == ELOOP && (failure->step == kStepBindReadOnly || failure->step == kStepAnchor ||
                         failure->step == kStepView || failure->step == kStepCover)) {
      e.message = "passes through a symbolic link; name the real path in the profile";
    }
    e.code = "setup_failed";
    return e;
  }

  const bool terminal = p.terminal;  // handed to the command's group at fork
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
  MoveAsideCreated(q, outcome);
  return outcome;
}

}  // namespace sbx
