// Hostile input to sandboxctl's privileged side, for real, as root:
//  * apply and the walk taking a grant away, while a process of the invoking user keeps
//    swapping directories and files of a writable root with symbolic links and hard links
//    to a directory outside it (rename(2) with RENAME_EXCHANGE, in a tight loop);
//  * profile paths that reach system directories through a symbolic link or "..";
//  * sandboxctl-runner started by a member of the runner group with forged arguments, a
//    hostile environment, inherited descriptors and workspaces it was not granted.
// The directory standing in for /etc outside the workspace has ACLs of its own; after
// every attack it must be exactly as it was, and destroy must give back the workspace's
// ACLs exactly. Each test makes its own users, state, runner directory and nft table and
// removes them all.
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/os_linux/launch_record.h"
#include "system_util.h"

namespace sbx {
namespace {

namespace fs = std::filesystem;
using sbx::testing::Capture;
using sbx::testing::Outcome;
using sbx::testing::RandomSuffix;
using sbx::testing::ReadFile;
using sbx::testing::Sh;

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Who a child process runs as: everything resolved before the fork.
struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

Identity IdentityOf(const std::string& user) {
  Identity id;
  const passwd* pw = getpwnam(user.c_str());
  if (!pw) return id;
  id.uid = pw->pw_uid;
  id.gid = pw->pw_gid;
  int n = 64;
  id.groups.resize(static_cast<size_t>(n));
  while (getgrouplist(user.c_str(), id.gid, id.groups.data(), &n) < 0) id.groups.resize(static_cast<size_t>(n));
  id.groups.resize(static_cast<size_t>(n));
  return id;
}

// Puts a process of this test (root) in `id`'s shoes: only system calls, safe after fork.
bool Become(const Identity& id) {
  return setgroups(id.groups.size(), id.groups.data()) == 0 && setresgid(id.gid, id.gid, id.gid) == 0 &&
         setresuid(id.uid, id.uid, id.uid) == 0;
}

#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#endif

// A seccomp filter that holds every call writing an extended attribute (POSIX ACLs are
// extended attributes) at its entry and tells the listener; the others go through.
std::vector<sock_filter> HoldXattrWrites() {
#if defined(__x86_64__)
  constexpr uint32_t kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  constexpr uint32_t kArch = AUDIT_ARCH_AARCH64;
#else
#error "the architecture's audit value is needed here"
#endif
  std::vector<sock_filter> prog{
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
  };
  for (const long nr : {long{SYS_setxattr}, long{SYS_lsetxattr}, long{SYS_fsetxattr}, long{SYS_setxattrat}}) {
    prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1));
    prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
  }
  prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  return prog;
}

// Runs `argv` (argv[0] is the program unless `program` is given; an empty argv gives the
// program no arguments at all, argv[0] included) with exactly `env`, as `id`, in `cwd`.
// `fds` maps a descriptor of the child to one of this process that it inherits;
// everything else but the standard three is close-on-exec here. With `at_write`, every
// call of the child's that writes an extended attribute waits at its entry until
// `at_write` has run, then goes on as it was made: an attacker who wins every race, the
// moment between a check and the write it allows included.
Outcome Spawn(const Identity& id, const std::string& program, const std::vector<std::string>& argv,
              const std::vector<std::string>& env, const fs::path& cwd, const fs::path& scratch,
              const std::map<int, int>& fds = {}, const std::function<void()>& at_write = nullptr) {
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const fs::path out = scratch / "spawn-out", err = scratch / "spawn-err";
  const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  Outcome r;
  if (out_fd < 0 || err_fd < 0 || null_fd < 0) return r;
  // Out of the way of the numbers they are given in the child first.
  std::vector<std::pair<int, int>> moved;
  moved.reserve(fds.size());
  for (const auto& [to, from] : fds) moved.emplace_back(to, fcntl(from, F_DUPFD_CLOEXEC, 1000));
  std::vector<sock_filter> filter = HoldXattrWrites();
  const sock_fprog prog{static_cast<unsigned short>(filter.size()), filter.data()};
  int channel[2] = {-1, -1};  // the child hands its listener over
  if (at_write && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, channel) != 0) return r;
  char control[CMSG_SPACE(sizeof(int))] = {};
  char byte = 0;
  iovec iov{&byte, 1};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const pid_t pid = fork();
  if (pid == 0) {
    if (dup2(null_fd, 0) != 0 || dup2(out_fd, 1) != 1 || dup2(err_fd, 2) != 2) _exit(121);
    for (const auto& [to, from] : moved) {
      if (from < 0 || dup2(from, to) != to) _exit(120);
    }
    if (chdir(cwd.c_str()) != 0) _exit(122);
    if (id.uid != 0 && !Become(id)) _exit(123);
    if (at_write) {
      const int listener = static_cast<int>(
          syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog));
      if (listener < 0) _exit(125);
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &listener, sizeof(int));
      if (sendmsg(channel[1], &msg, 0) != 1) _exit(125);
      close(listener);
    }
    execve(program.c_str(), args.data(), envp.data());
    _exit(124);
  }
  close(out_fd);
  close(err_fd);
  close(null_fd);
  for (const auto& m : moved) close(m.second);
  int status = 0;
  bool exited = false;
  if (at_write) {
    close(channel[1]);
    const int listener = recvmsg(channel[0], &msg, 0) == 1 && CMSG_FIRSTHDR(&msg)
                             ? *reinterpret_cast<int*>(CMSG_DATA(CMSG_FIRSTHDR(&msg)))
                             : -1;
    close(channel[0]);
    while (listener >= 0) {
      pollfd p{listener, POLLIN, 0};
      const int n = poll(&p, 1, 100);
      if (n > 0 && (p.revents & POLLIN)) {
        seccomp_notif call{};
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &call) != 0) continue;
        at_write();
        seccomp_notif_resp go_on{};
        go_on.id = call.id;
        go_on.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &go_on);  // the caller may be gone
        continue;
      }
      if ((n > 0 && (p.revents & (POLLHUP | POLLERR))) || waitpid(pid, &status, WNOHANG) == pid) {
        exited = n <= 0 || !(p.revents & (POLLHUP | POLLERR));
        break;
      }
    }
    if (listener >= 0) close(listener);
  }
  while (!exited && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

// A process that swaps each pair of names with renameat2(RENAME_EXCHANGE) in a tight loop,
// as `id`, until stopped; stopping puts every pair back the way it was found (`swapped`
// tells whether a pair is the wrong way round).
class Swapper {
 public:
  using Pair = std::pair<fs::path, fs::path>;
  Swapper(std::vector<Pair> pairs, std::function<bool(const Pair&)> swapped)
      : pairs_(std::move(pairs)), swapped_(std::move(swapped)) {}
  ~Swapper() { Stop(); }

  void Start(const Identity& id) {
    std::vector<std::pair<std::string, std::string>> names;
    for (const auto& [a, b] : pairs_) names.emplace_back(a.string(), b.string());
    pid_ = fork();
    if (pid_ == 0) {
      if (!Become(id)) _exit(1);
      for (;;) {
        for (const auto& [a, b] : names) renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE);
      }
    }
    // It has started swapping when the first pair has been turned round at least once.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!swapped_(pairs_.front()) && std::chrono::steady_clock::now() < deadline) {
    }
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = 0;
    for (const auto& p : pairs_) {
      if (swapped_(p)) renameat2(AT_FDCWD, p.first.c_str(), AT_FDCWD, p.second.c_str(), RENAME_EXCHANGE);
    }
  }

 private:
  std::vector<Pair> pairs_;
  std::function<bool(const Pair&)> swapped_;
  pid_t pid_ = 0;
};

bool IsSymlink(const fs::path& p) {
  struct stat st {};
  return lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

ino_t Inode(const fs::path& p) {
  struct stat st {};
  return lstat(p.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Everything of a tree that a grant could change: every ACL (access and default), and
// per entry its type, mode, owner, link count, size, content and (`with_ctime`) change
// time, which any ACL write moves even when it writes the same value.
std::string TreeState(const fs::path& dir, bool with_ctime = true) {
  const std::string d = Quote(dir.string());
  return Capture("getfacl -R -p " + d + " 2>&1") +
         Capture("find " + d + " -printf '%p %y %m %u %g %n %s" + (with_ctime ? std::string(" %C@") : "") +
                 "\\n' | sort") +
         Capture("find " + d + " -type f -exec md5sum {} + | sort");
}

// The state of one file or directory, not what lies beneath it.
std::string NodeState(const fs::path& p, bool with_ctime = true) {
  const std::string q = Quote(p.string());
  return Capture("getfacl -p " + q + " 2>&1") + Capture("stat -c '%n %F %a %U %G %h %s' " + q) +
         (with_ctime ? Capture("find " + q + " -maxdepth 0 -printf '%C@\\n'") : "");
}

class Hostile : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: apply creates users, ACL entries and nftables rules";
    id_ = RandomSuffix();
    user_ = "sbxh-" + id_;
    invoker_ = "sbxj-" + id_;
    root_ = fs::path("/tmp") / ("sandboxctl-hostile-" + id_);
    ws_ = root_ / "ws";
    outside_ = root_ / "etc";
    ASSERT_EQ(Sh("useradd --no-create-home --shell /bin/sh " + invoker_), 0);
    fs::create_directories(ws_ / ".sandboxctl");
    fs::permissions(root_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
    MakeOutside();
    ASSERT_EQ(Sh("chown -R " + invoker_ + ": " + Quote(ws_.string())), 0);
    WriteProfile("version = 1\n[identity]\nuser = \"" + user_ + "\"\n[filesystem]\nwritable = [\"${workspace}\", "
                 "\"${tmp}\"]\n[network]\nmode = \"offline\"\n");
    outside_before_ = TreeState(outside_, /*with_ctime=*/false);
  }

  void TearDown() override {
    if (IsSkipped()) return;
    Sandboxctl({"destroy", "--yes"});  // whatever a failed test left
    std::error_code ec;
    fs::remove_all(root_ / "stash", ec);  // hard links to the outside files, of a test that stopped early
    // (Change times, which renames move too, are the tests' own to compare.)
    EXPECT_EQ(TreeState(outside_, false), outside_before_) << "the directory outside the workspace was changed";
    Sh("userdel " + user_ + " 2>/dev/null; groupdel " + user_ + " 2>/dev/null; groupdel " + Group() +
       " 2>/dev/null; nft delete table inet " + Table() + " 2>/dev/null; userdel " + invoker_ + " 2>/dev/null");
    fs::remove_all(root_, ec);
    EXPECT_EQ(Capture("getent passwd " + user_ + " " + invoker_), "");
    EXPECT_EQ(Capture("getent group " + Group() + " " + user_), "");
    EXPECT_EQ(Capture("nft list tables | grep " + Table()), "");
  }

  // The stand-in for /etc: files and a directory with ACLs of their own, a default ACL
  // among them, and a file only root may read.
  void MakeOutside() {
    fs::create_directories(outside_ / "sub");
    std::ofstream(outside_ / "passwd") << "root:x:0:0:root:/root:/bin/sh\n";
    std::ofstream(outside_ / "shadow") << "root:*:20000:0:99999:7:::\n";
    std::ofstream(outside_ / "sub/conf") << "key = value\n";
    ASSERT_EQ(Sh("cd " + Quote(outside_.string()) +
                 " && chmod 0755 . sub && chmod 0644 passwd sub/conf && chmod 0640 shadow"
                 " && setfacl -m u:nobody:r-- shadow && setfacl -m d:u:nobody:r-x,u:nobody:r-x sub"),
              0);
  }

  std::string Table() const { return "sbxtest_" + id_; }
  std::string Group() const { return "sbxg-" + id_; }
  fs::path Runner() const { return root_ / "libexec/sandboxctl/sandboxctl-runner"; }

  void WriteProfile(const std::string& text, const std::string& name = "hostile") {
    std::ofstream(ws_ / ".sandboxctl" / (name + ".toml"), std::ios::trunc) << text;
  }

  // sandboxctl in the workspace, with this test's own state, log, tmp root, nft table and
  // runner directory; as root under sudo for the invoking user, or as `as_user`; with
  // `at_write` run before each of its writes of an extended attribute (see Spawn).
  Outcome Sandboxctl(const std::vector<std::string>& args, const std::string& as_user = "",
                     const std::function<void()>& at_write = nullptr) {
    std::vector<std::string> argv{SANDBOXCTL_BIN, "--machine-profiles", ""};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string verb = args.empty() ? "" : args[0];
    if (verb == "plan" || verb == "apply" || verb == "status" || verb == "destroy") {
      for (const auto& a : {"--state-dir", "state", "--log-dir", "log", "--unit-dir", "units"}) {
        argv.push_back(a[0] == '-' ? std::string(a) : (root_ / a).string());
      }
      for (const auto& a : std::vector<std::string>{"--lock-timeout", "10", "--runner-group", Group(), "--runner-dir",
                                                    Runner().parent_path().string()}) {
        argv.push_back(a);
      }
      if (verb != "destroy") {
        for (const auto& a : std::vector<std::string>{"--tmp-root", (root_ / "tmp").string(), "--nft-table", Table()}) {
          argv.push_back(a);
        }
      }
    }
    std::vector<std::string> env{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"};
    Identity id;
    if (as_user.empty()) {
      env.push_back("SUDO_USER=" + invoker_);
      env.push_back("SUDO_UID=" + std::to_string(IdentityOf(invoker_).uid));
    } else {
      id = IdentityOf(as_user);
    }
    return Spawn(id, SANDBOXCTL_BIN, argv, env, ws_, root_, {}, at_write);
  }

  // The runner as the invoking user (a member of the runner group after apply).
  Outcome RunnerAs(const std::vector<std::string>& args, std::vector<std::string> env = {},
                   const std::map<int, int>& fds = {}, std::optional<std::vector<std::string>> argv = {}) {
    if (env.empty()) env = {"PATH=/usr/bin:/bin"};
    std::vector<std::string> full{Runner().string()};
    full.insert(full.end(), args.begin(), args.end());
    return Spawn(IdentityOf(invoker_), Runner().string(), argv ? *argv : full, env, ws_, root_, fds);
  }

  static std::string Uid(const std::string& user) { return std::to_string(IdentityOf(user).uid); }

  std::string id_, user_, invoker_;
  fs::path root_, ws_, outside_;
  std::string outside_before_;
};

// --- apply's walk under attack --------------------------------------------------------

class ApplyUnderAttack : public Hostile {
 protected:
  // A profile that takes the workspace's grant away again and keeps the sandbox user: the
  // walk that removes entries (destroy's) runs under attack, and the final destroy, with
  // no attack, must still find a tree it can give back exactly.
  void WriteWithoutWorkspace() {
    WriteProfile("version = 1\n[identity]\nuser = \"" + user_ + "\"\n[filesystem]\nwritable = [\"${tmp}\"]\n"
                 "[network]\nmode = \"offline\"\n");
  }
  void WriteWithWorkspace() {
    WriteProfile("version = 1\n[identity]\nuser = \"" + user_ + "\"\n[filesystem]\nwritable = [\"${workspace}\", "
                 "\"${tmp}\"]\n[network]\nmode = \"offline\"\n");
  }

  // Grants and takes away the workspace's grant `rounds` times while `swapper` runs; after
  // each step the outside directory must be exactly as it was (`outside` says how it is
  // looked at). Then, with the swapper stopped, destroy gives the workspace's ACLs back
  // exactly; last, apply and destroy once more under attack, and, where the swapper keeps
  // its names inside the workspace (`within`), one more destroy gives them back exactly.
  void Attack(Swapper& swapper, const std::function<std::string()>& outside, bool within = true, int rounds = 12) {
    const std::string before = outside();
    const std::string ws_acls = Capture("getfacl -R -p " + Quote(ws_.string()));
    const Identity invoker = IdentityOf(invoker_);
    swapper.Start(invoker);
    int kept = 0;
    for (int i = 0; i < rounds; ++i) {
      WriteWithWorkspace();
      // Each walk that changes entries sees names change under it: it walks again, and
      // fails, keeping its record, rather than pass over what a swap hid from it.
      Outcome granted = Sandboxctl({"apply", "--yes"});
      EXPECT_TRUE(DoneOrKept(granted)) << "round " << i << ": " << granted.exit_code << " " << granted.err;
      kept += granted.exit_code != 0;
      ASSERT_EQ(outside(), before) << "round " << i << ": apply changed what lies outside the workspace";
      WriteWithoutWorkspace();
      Outcome taken = Sandboxctl({"apply", "--yes"});
      EXPECT_TRUE(DoneOrKept(taken)) << "round " << i << ": " << taken.exit_code << " " << taken.err;
      kept += taken.exit_code != 0;
      ASSERT_EQ(outside(), before) << "round " << i << ": taking the grant away changed what lies outside";
    }
    swapper.Stop();
    std::cout << kept << " of " << 2 * rounds << " runs under attack kept their record for the next run\n";
    WriteWithWorkspace();
    ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);
    Outcome destroyed = Sandboxctl({"destroy", "--yes"});
    ASSERT_EQ(destroyed.exit_code, 0) << destroyed.err;
    EXPECT_EQ(Capture("getfacl -R -p " + Quote(ws_.string())), ws_acls) << "destroy did not restore the workspace";
    EXPECT_EQ(outside(), before);
    // destroy itself under attack: it may fail the same way, and one more destroy once the
    // tree is still gives the workspace back exactly. (A file the swapper holds outside
    // the workspace while destroy walks it is out of its reach: it may keep its entry.)
    swapper.Start(invoker);
    Outcome granted = Sandboxctl({"apply", "--yes"});
    EXPECT_TRUE(DoneOrKept(granted)) << granted.exit_code << " " << granted.err;
    Outcome attacked = Sandboxctl({"destroy", "--yes"});
    EXPECT_TRUE(DoneOrKept(attacked)) << attacked.exit_code << " " << attacked.err;
    swapper.Stop();
    EXPECT_EQ(outside(), before) << "apply and destroy under attack changed what lies outside the workspace";
    if (attacked.exit_code != 0) {
      destroyed = Sandboxctl({"destroy", "--yes"});
      ASSERT_EQ(destroyed.exit_code, 0) << destroyed.err;
    }
    if (within) {
      EXPECT_EQ(Capture("getfacl -R -p " + Quote(ws_.string())), ws_acls) << "destroy did not restore the workspace";
    }
  }

  // Done, or failed for a tree that kept changing, its record kept for the next run.
  static bool DoneOrKept(const Outcome& o) {
    if (o.exit_code == 0) return true;
    return o.exit_code == 1 &&
           (o.err.find("changed while sandboxctl gave it its entries") != std::string::npos ||
            o.err.find("changed while sandboxctl took its entries away") != std::string::npos) &&
           o.err.find("what it holds to restore is recorded") != std::string::npos;
  }

  // Subdirectories of the workspace, each with a few files.
  std::vector<fs::path> MakeTree(int dirs, int files) {
    std::vector<fs::path> made;
    for (int d = 0; d < dirs; ++d) {
      const fs::path dir = ws_ / "tree" / ("d" + std::to_string(d));
      fs::create_directories(dir);
      for (int f = 0; f < files; ++f) std::ofstream(dir / ("f" + std::to_string(f))) << "file " << f << "\n";
      made.push_back(dir);
    }
    EXPECT_EQ(Sh("chown -R " + invoker_ + ": " + Quote(ws_.string())), 0);
    return made;
  }
};

// A directory of the workspace and a symbolic link beside it to the directory outside
// trade places all the time: whichever name the walk meets, it never follows the link.
TEST_F(ApplyUnderAttack, ADirectorySwappedWithASymlinkNeverCarriesAGrantOutside) {
  std::vector<Swapper::Pair> pairs;
  int k = 0;
  for (const auto& dir : MakeTree(24, 6)) {
    const fs::path link = dir.parent_path() / ("l" + std::to_string(k));
    fs::create_symlink(k++ % 2 ? outside_ : outside_ / "sub", link);
    pairs.emplace_back(dir, link);
  }
  ASSERT_EQ(Sh("chown -h -R " + invoker_ + ": " + Quote((ws_ / "tree").string())), 0);
  Swapper swapper(pairs, [](const Swapper::Pair& p) { return IsSymlink(p.first); });
  Attack(swapper, [&] { return TreeState(outside_); });
}

// The same for files: a file of the workspace trades places with a symbolic link to a
// file outside.
TEST_F(ApplyUnderAttack, AFileSwappedWithASymlinkNeverCarriesAGrantOutside) {
  std::vector<Swapper::Pair> pairs;
  int k = 0;
  for (const auto& dir : MakeTree(16, 4)) {
    for (int f = 0; f < 4; ++f, ++k) {
      const fs::path link = dir / ("l" + std::to_string(f));
      fs::create_symlink(k % 2 ? outside_ / "passwd" : outside_ / "shadow", link);
      pairs.emplace_back(dir / ("f" + std::to_string(f)), link);
    }
  }
  ASSERT_EQ(Sh("chown -h -R " + invoker_ + ": " + Quote((ws_ / "tree").string())), 0);
  Swapper swapper(pairs, [](const Swapper::Pair& p) { return IsSymlink(p.first); });
  Attack(swapper, [&] { return TreeState(outside_); });
}

// A file of the workspace trades places with a name, in a directory of the invoking user
// outside the workspace, of a file outside (made by root here; with fs.protected_hardlinks
// a user can link only files they own or may write). Whichever inode the walk finds under
// the workspace's name, the outside file's ACL and mode stay as they were: a file with
// several names gets no entry, and an entry is written only through a descriptor of the
// file it was read from. (The outside file's change time moves with each rename.)
TEST_F(ApplyUnderAttack, AFileSwappedWithAHardLinkToAnOutsideFileNeverChangesIt) {
  const fs::path stash = root_ / "stash";
  fs::create_directories(stash);
  std::vector<Swapper::Pair> pairs;
  std::map<fs::path, ino_t> own;
  int k = 0;
  for (const auto& dir : MakeTree(16, 4)) {
    for (int f = 0; f < 4; ++f, ++k) {
      const fs::path name = stash / ("h" + std::to_string(k));
      fs::create_hard_link(k % 2 ? outside_ / "passwd" : outside_ / "shadow", name);
      const fs::path file = dir / ("f" + std::to_string(f));
      own[file] = Inode(file);
      pairs.emplace_back(file, name);
    }
  }
  ASSERT_EQ(Sh("chown " + invoker_ + ": " + Quote(stash.string())), 0);
  Swapper swapper(pairs, [&](const Swapper::Pair& p) { return Inode(p.first) != own.at(p.first); });
  Attack(swapper, [&] { return TreeState(outside_, /*with_ctime=*/false); }, /*within=*/false);
  fs::remove_all(stash);  // the outside files' link counts as they were
}

// The same attacker, winning every race: each time apply, or the walk that takes the
// grant away, is about to write an extended attribute, the call waits until every file
// of the workspace has traded places with a hard link to a file outside. A write by name
// would land on the outside file; a write through the descriptor of the file that was
// read and checked lands on that file, wherever its name is now.
TEST_F(ApplyUnderAttack, AFileSwappedJustBeforeEachAclWriteNeverChangesTheOutsideFile) {
  const fs::path stash = root_ / "stash";
  fs::create_directories(stash);
  std::vector<Swapper::Pair> pairs;
  std::map<fs::path, ino_t> own;
  int k = 0;
  for (const auto& dir : MakeTree(8, 4)) {
    for (int f = 0; f < 4; ++f, ++k) {
      const fs::path name = stash / ("h" + std::to_string(k));
      fs::create_hard_link(k % 2 ? outside_ / "passwd" : outside_ / "shadow", name);
      const fs::path file = dir / ("f" + std::to_string(f));
      own[file] = Inode(file);
      pairs.emplace_back(file, name);
    }
  }
  const std::string before = TreeState(outside_, /*with_ctime=*/false);
  const std::string ws_acls = Capture("getfacl -R -p " + Quote(ws_.string()));
  size_t writes = 0;
  auto swap_all = [&] {
    ++writes;
    for (const auto& [a, b] : pairs) renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE);
  };
  for (int round = 0; round < 3; ++round) {
    WriteWithWorkspace();
    Outcome granted = Sandboxctl({"apply", "--yes"}, "", swap_all);
    EXPECT_EQ(granted.exit_code, 0) << granted.err;
    ASSERT_EQ(TreeState(outside_, false), before) << "round " << round << ": apply wrote outside the workspace";
    WriteWithoutWorkspace();
    Outcome taken = Sandboxctl({"apply", "--yes"}, "", swap_all);
    EXPECT_EQ(taken.exit_code, 0) << taken.err;
    ASSERT_EQ(TreeState(outside_, false), before) << "round " << round << ": taking the grant away wrote outside";
  }
  EXPECT_GT(writes, 30u) << "the writes were not held";
  for (const auto& p : pairs) {
    if (Inode(p.first) != own.at(p.first)) renameat2(AT_FDCWD, p.first.c_str(), AT_FDCWD, p.second.c_str(), RENAME_EXCHANGE);
  }
  WriteWithWorkspace();
  ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);
  ASSERT_EQ(Sandboxctl({"destroy", "--yes"}).exit_code, 0);
  EXPECT_EQ(Capture("getfacl -R -p " + Quote(ws_.string())), ws_acls) << "destroy did not restore the workspace";
  fs::remove_all(stash);
}

// The writable root itself trades places with a symbolic link to the outside directory:
// apply either walks the real directory or refuses, naming the path.
TEST_F(ApplyUnderAttack, AWritableRootSwappedWithASymlinkIsWalkedInPlaceOrRefused) {
  MakeTree(8, 8);
  fs::create_symlink(outside_, ws_ / "tree-link");
  ASSERT_EQ(Sh("chown -h " + invoker_ + ": " + Quote((ws_ / "tree-link").string())), 0);
  WriteProfile("version = 1\n[identity]\nuser = \"" + user_ + "\"\n[filesystem]\nwritable = [\"${workspace}/tree\", "
               "\"${tmp}\"]\n[network]\nmode = \"offline\"\n");
  const std::string ws_acls = Capture("getfacl -R -p " + Quote(ws_.string()));
  const std::string before = TreeState(outside_);
  Swapper swapper({{ws_ / "tree", ws_ / "tree-link"}}, [](const Swapper::Pair& p) { return IsSymlink(p.first); });
  swapper.Start(IdentityOf(invoker_));
  int refused = 0;
  for (int i = 0; i < 20; ++i) {
    for (const char* verb : {"apply", "destroy"}) {
      Outcome r = Sandboxctl({verb, "--yes"});
      if (r.exit_code != 0) {
        ++refused;
        EXPECT_NE(r.err.find((ws_ / "tree").string() + "): passes through a symbolic link"), std::string::npos)
            << verb << ": " << r.err;
      }
      ASSERT_EQ(TreeState(outside_), before) << verb << " changed what lies outside the workspace";
    }
  }
  swapper.Stop();
  ASSERT_EQ(Sandboxctl({"destroy", "--yes"}).exit_code, 0);
  std::cout << "refused " << refused << " of 40 runs\n";
  EXPECT_EQ(Capture("getfacl -R -p " + Quote(ws_.string())), ws_acls);
}

// --- hard links -----------------------------------------------------------------------

// A file with several names may be linked from anywhere: no entry that gives access goes
// on it (a private key of the developer's hard-linked into the workspace stays theirs);
// entries that take access away still do, no wider than what "other" already had.
TEST_F(Hostile, AFileWithSeveralNamesGetsNoEntryThatGivesAccessButStillItsDenials) {
  const fs::path home = root_ / "home";
  fs::create_directories(home);
  fs::create_directories(ws_ / "vendor");
  std::ofstream(home / "id_rsa") << "PRIVATE KEY\n";
  std::ofstream(home / "env") << "TOKEN=1\n";
  std::ofstream(home / "lib.c") << "int f(void);\n";
  std::ofstream(ws_ / "normal") << "normal\n";
  fs::create_hard_link(home / "id_rsa", ws_ / "key");
  fs::create_hard_link(home / "env", ws_ / ".env");
  fs::create_hard_link(home / "lib.c", ws_ / "vendor/lib.c");
  ASSERT_EQ(Sh("chown -R " + invoker_ + ": " + Quote(home.string()) + " " + Quote(ws_.string()) + " && chmod 0600 " +
               Quote((home / "id_rsa").string()) + " " + Quote((home / "lib.c").string()) + " && chmod 0644 " +
               Quote((home / "env").string())),
            0);
  WriteProfile("version = 1\n[identity]\nuser = \"" + user_ + "\"\n[filesystem]\nwritable = [\"${workspace}\", "
               "\"${tmp}\"]\nread_only = [\"${workspace}/vendor\"]\ndeny_read = [\"${workspace}/.env\"]\n"
               "[network]\nmode = \"offline\"\n");
  const std::string key = NodeState(home / "id_rsa");
  const std::string env = NodeState(home / "env", false), lib = NodeState(home / "lib.c", false);
  const std::string ws_acls = Capture("getfacl -R -p " + Quote(ws_.string()));

  Outcome applied = Sandboxctl({"apply", "--yes"});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_EQ(NodeState(home / "id_rsa"), key) << "a grant reached a file outside through a hard link";
  EXPECT_NE(Capture("getfacl -p " + Quote((ws_ / "normal").string())).find("user:" + user_ + ":rw-"), std::string::npos);
  const std::string denied = "user:" + user_ + ":---\n";
  EXPECT_NE(Capture("getfacl -p " + Quote((home / "env").string())).find(denied), std::string::npos)
      << "a deny-read path lost its entry for having two names";
  // The carve-out's r-X, capped by what "other" may (nothing): no read for the sandbox.
  EXPECT_NE(Capture("getfacl -p " + Quote((home / "lib.c").string())).find(denied), std::string::npos);

  Outcome again = Sandboxctl({"apply", "--yes"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "No changes.\n");
  Outcome status = Sandboxctl({"status", "--deep"});
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;

  // What the sandbox user gets, through the runner.
  Outcome inside = RunnerAs({ws_.string(), "hostile", "--", "/bin/sh", "-c",
                             "cat key; cat .env; cat vendor/lib.c; echo x >> vendor/lib.c; cat normal"});
  EXPECT_EQ(inside.out, "normal\n") << inside.err;
  for (const char* path : {"key", ".env", "vendor/lib.c"}) {
    EXPECT_NE(inside.err.find(std::string(path) + ": Permission denied"), std::string::npos) << inside.err;
  }

  ASSERT_EQ(Sandboxctl({"destroy", "--yes"}).exit_code, 0);
  EXPECT_EQ(NodeState(home / "env", false), env);
  EXPECT_EQ(NodeState(home / "lib.c", false), lib);
  EXPECT_EQ(NodeState(home / "id_rsa"), key);
  EXPECT_EQ(Capture("getfacl -R -p " + Quote(ws_.string())), ws_acls);
}

// --- profile paths reaching system directories ------------------------------------------

class ProfilePaths : public Hostile, public ::testing::WithParamInterface<std::string> {
 protected:
  // The directory the link points at: the stand-in, or the real /etc or /usr.
  fs::path Target() const { return GetParam() == "standin" ? outside_ : fs::path("/" + GetParam()); }
  // The real directories change under other programs (useradd rewrites /etc/passwd):
  // there the extended ACLs of the directory and what it holds are listed (normally
  // none), the directory's first of all.
  std::string TargetState() const {
    if (GetParam() == "standin") return TreeState(outside_);
    const std::string t = Quote(Target().string());
    return Capture("getfacl -s -p " + t + " " + t + "/* 2>/dev/null");
  }
};

// A writable root, a read-only carve-out or a deny-read path that is, or passes through,
// a symbolic link committed to the workspace: plan and apply refuse, naming the path, and
// nothing beneath the link's target is touched. (A deny-read path that is a link would
// otherwise be skipped, and its target left readable through it.)
TEST_P(ProfilePaths, SymlinksToSystemDirectoriesAreRefusedByPlanAndApply) {
  fs::create_symlink(Target(), ws_ / "sys");
  fs::create_symlink(Target() / "passwd", ws_ / "passwd");  // a file the sandbox should not read
  ASSERT_EQ(Sh("chown -h " + invoker_ + ": " + Quote((ws_ / "sys").string()) + " " + Quote((ws_ / "passwd").string())),
            0);
  const std::string before = TargetState();
  const std::string head = "version = 1\n[identity]\nuser = \"" + user_ + "\"\n[filesystem]\n";
  const std::string tail = "[network]\nmode = \"offline\"\n";
  const std::string link = (ws_ / "sys").string();
  for (const auto& [what, filesystem, path] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"writable root", "writable = [\"${workspace}/sys\", \"${tmp}\"]\n", link},
           {"writable root beneath", "writable = [\"${workspace}/sys/sub\", \"${tmp}\"]\n", link + "/sub"},
           {"carve-out", "writable = [\"${workspace}\", \"${tmp}\"]\nread_only = [\"${workspace}/sys\"]\n", link},
           {"deny-read path beneath", "writable = [\"${workspace}\", \"${tmp}\"]\ndeny_read = [\"${workspace}/sys/passwd\"]\n",
            link + "/passwd"},
           {"deny-read path", "writable = [\"${workspace}\", \"${tmp}\"]\ndeny_read = [\"${workspace}/passwd\"]\n",
            (ws_ / "passwd").string()}}) {
    SCOPED_TRACE(what);
    WriteProfile(head + filesystem + tail);
    const std::string expected = "openat2(" + path + "): passes through a symbolic link";
    Outcome plan = Sandboxctl({"plan"});
    EXPECT_EQ(plan.exit_code, 1) << plan.out << plan.err;
    EXPECT_NE(plan.err.find(expected), std::string::npos) << plan.err;
    Outcome apply = Sandboxctl({"apply", "--yes"});
    EXPECT_EQ(apply.exit_code, 1) << apply.out << apply.err;
    EXPECT_NE(apply.err.find(expected), std::string::npos) << apply.err;
    EXPECT_EQ(TargetState(), before) << "apply changed " << Target();
    Outcome destroy = Sandboxctl({"destroy", "--yes"});
    EXPECT_EQ(destroy.exit_code, 0) << destroy.err;
    EXPECT_EQ(TargetState(), before) << "destroy changed " << Target();
  }
}

INSTANTIATE_TEST_SUITE_P(Target, ProfilePaths, ::testing::Values("standin", "etc", "usr"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// ".." never climbs out of ${workspace}, and elsewhere it is resolved before any check: a
// path that reaches a system directory that way is one. validate, plan and apply say so,
// pointing at the profile line, before anything is changed.
TEST_F(Hostile, DotDotIntoSystemDirectoriesIsRefusedByValidatePlanAndApply) {
  std::string up;
  for (const char c : ws_.string()) up += c == '/' ? "../" : "";
  const std::string head = "version = 1\n[identity]\nuser = \"" + user_ + "\"\n[filesystem]\n";
  for (const auto& [filesystem, where, message] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"writable = [\"${workspace}/" + up + "etc\", \"${tmp}\"]\n", "hostile.toml:5:",
            "path '${workspace}/" + up + "etc' escapes ${workspace} (" + ws_.string() + ") with '..'"},
           {"writable = [\"${workspace}\", \"${tmp}\"]\nread_only = [\"${workspace}/src/" + up + "usr\"]\n",
            "hostile.toml:6:", "path '${workspace}/src/" + up + "usr' escapes ${workspace}"},
           {"writable = [\"/opt/x/../../etc\", \"${tmp}\"]\n", "hostile.toml:5:",
            "writable root '/etc' would open up the system directory '/etc'"},
           {"writable = [\"/srv/a/../../usr/lib/x\", \"${tmp}\"]\n", "hostile.toml:5:",
            "writable root '/usr/lib/x' would open up the system directory '/usr'"},
           {"writable = [\"${workspace}\", \"${tmp}\"]\nreadable = [\"/usr/share/../../etc/ssl\"]\n",
            "hostile.toml:6:", "readable '/etc/ssl' would change the ACLs of the system directory '/etc'"}}) {
    SCOPED_TRACE(filesystem);
    WriteProfile(head + filesystem + "[network]\nmode = \"offline\"\n");
    for (const char* verb : {"validate", "plan", "apply"}) {
      Outcome r = Sandboxctl({verb});
      EXPECT_NE(r.exit_code, 0) << verb;
      EXPECT_NE((r.out + r.err).find(where), std::string::npos) << verb << ": " << r.out << r.err;
      EXPECT_NE((r.out + r.err).find(message), std::string::npos) << verb << ": " << r.out << r.err;
    }
  }
  EXPECT_EQ(Capture("getent passwd " + user_), "") << "apply went ahead";
}

// --- the runner, started by a member of its group ---------------------------------------

class RunnerUnderAttack : public Hostile {
 protected:
  void SetUp() override {
    Hostile::SetUp();
    if (IsSkipped()) return;
    Outcome applied = Sandboxctl({"apply", "--yes"});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
    ASSERT_EQ(Capture("id -nG " + invoker_ + " | tr ' ' '\\n' | grep -x " + Group()), Group() + "\n");
    tmp_ = Capture("ls -d " + Quote((root_ / "tmp").string()) + "/*/");
    if (!tmp_.empty()) tmp_.pop_back();
    if (!tmp_.empty()) tmp_.pop_back();
  }

  // A run that worked: exit 0, nothing on standard error.
  Outcome Ok(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
             const std::map<int, int>& fds = {}) {
    Outcome r = RunnerAs(args, env, fds);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    return r;
  }

  std::vector<std::string> Command(const std::string& shell) const {
    return {ws_.string(), "hostile", "--", "/bin/sh", "-c", shell};
  }

  std::string tmp_;  // the profile's ${tmp}
};

TEST_F(RunnerUnderAttack, ForgedArgumentsAreRefusedWithAMessage) {
  const std::string ws = ws_.string();
  const std::string usage_start = "sandboxctl exec: usage: sandboxctl-runner WORKSPACE PROFILE";
  const std::string long_name(100000, 'a');
  struct Case {
    std::vector<std::string> args;
    std::string err;  // the start of standard error
  };
  for (const auto& c : std::vector<Case>{
           {{}, usage_start},
           {{ws}, usage_start},
           {{ws, "hostile"}, usage_start},
           {{ws, "hostile", "--"}, usage_start},
           {{ws, "hostile", "extra", "--", "true"}, usage_start},
           {{ws, "hostile", "--cwd=/etc", "--", "true"}, "sandboxctl exec: unknown option '--cwd=/etc'"},
           {{ws, "hostile", "-u", "0", "--", "true"}, "sandboxctl exec: unknown option '-u'"},
           {{ws, "hostile", "--help", "--", "true"}, "sandboxctl exec: unknown option '--help'"},
           {{ws, "hostile", "--user", "root", "--", "true"}, "sandboxctl exec: unknown option '--user'"},
           {{ws, "hostile", "--cwd"}, "sandboxctl exec: --cwd needs a value"},
           {{ws, "hostile", "--timeout", "nan", "--", "true"}, "sandboxctl exec: --timeout must be a positive number"},
           {{ws, "hostile", "--timeout", "-1", "--", "true"}, "sandboxctl exec: --timeout must be a positive number"},
           {{ws, "hostile", "--timeout", "1e999", "--", "true"}, "sandboxctl exec: --timeout must be a positive number"},
           {{ws, "hostile", "--cwd", "ws", "--", "true"}, "sandboxctl exec: --cwd ws is not an absolute path"},
           {{ws, "hostile", "--cwd", "/etc", "--", "true"}, "sandboxctl exec: --cwd /etc is outside what profile"},
           {{ws, "hostile", "--cwd", ws + "/../../../etc", "--", "true"}, "sandboxctl exec: --cwd /etc is outside"},
           {{ws + "/../../etc", "hostile", "--", "true"}, "sandboxctl exec: the workspace '" + ws + "/../../etc' is not"},
           {{ws + "/.", "hostile", "--", "true"}, "sandboxctl exec: the workspace '" + ws + "/.' is not"},
           // A leading "//" is a root of its own to POSIX: a path of no record.
           {{"/" + ws, "hostile", "--", "true"}, "sandboxctl exec: profile 'hostile' is not applied for /" + ws + ";"},
           {{ws, "../hostile", "--", "true"}, "sandboxctl exec: '../hostile' is not a profile name"},
           {{ws, "a/b", "--", "true"}, "sandboxctl exec: 'a/b' is not a profile name"},
           {{ws, "", "--", "true"}, "sandboxctl exec: '' is not a profile name"},
           {{ws, "hostile\n", "--", "true"}, "sandboxctl exec: 'hostile\n' is not a profile name"},
           {{ws, long_name, "--", "true"}, "sandboxctl exec: '" + long_name + "' is not a profile name"},
           {{"/" + long_name, "hostile", "--", "true"}, "sandboxctl exec: profile 'hostile' is not applied for /" + long_name},
       }) {
    Outcome r = RunnerAs(c.args);
    const std::string shown = c.args.empty() ? "(none)" : c.args.back().substr(0, 60);
    EXPECT_EQ(r.exit_code, 125) << shown;
    EXPECT_EQ(r.err.substr(0, c.err.size()), c.err) << shown << ": " << r.err.substr(0, 300);
    EXPECT_EQ(r.out, "") << shown;
  }
  // The command's own options after "--" are the command's.
  EXPECT_EQ(Ok({ws, "hostile", "--", "/bin/echo", "--uid", "0", "--cwd=/etc"}).out, "--uid 0 --cwd=/etc\n");
  // Status and log files are written as the caller: never over a file the caller may not write.
  const fs::path status = root_ / "root-status";
  std::ofstream(status) << "root's\n";
  Outcome written = RunnerAs({ws, "hostile", "--json-status", status.string(), "--log-dir", (root_ / "state").string(),
                              "--", "true"});
  EXPECT_EQ(written.exit_code, 125) << "a status asked for and not written is a failed run";
  EXPECT_EQ(ReadFile(status), "root's\n");
  EXPECT_NE(written.err.find("cannot write --json-status: openat(" + status.string() + "): Permission denied"),
            std::string::npos)
      << written.err;
  EXPECT_FALSE(fs::exists(root_ / "state/audit.log"));
}

// No argument at all (argv[0] included, as execve allows) and an argv[0] naming a copy of
// the caller's with a runner.conf beside it: the runner finds itself through /proc/self/exe.
TEST_F(RunnerUnderAttack, ArgvZeroIsNeverTrusted) {
  Outcome none = RunnerAs({}, {}, {}, std::vector<std::string>{});
  EXPECT_EQ(none.exit_code, 125);
  EXPECT_EQ(none.err.rfind("sandboxctl exec: usage: sandboxctl-runner", 0), 0u) << none.err;
  const fs::path mine = ws_ / "mine";
  fs::create_directories(mine / "state/launch");
  std::ofstream(mine / "runner.conf") << "state_dir=" << (mine / "state").string() << "\n";
  ASSERT_EQ(Sh("chown -R " + invoker_ + ": " + Quote(mine.string())), 0);
  Outcome forged = RunnerAs({}, {}, {},
                            std::vector<std::string>{(mine / "sandboxctl-runner").string(), ws_.string(), "hostile",
                                                     "--", "/usr/bin/id", "-u"});
  EXPECT_EQ(forged.exit_code, 0) << forged.err;
  EXPECT_EQ(forged.out, Uid(user_) + "\n");
}

// A workspace the caller was not granted is refused however it is named: through a
// symbolic link to the granted one, or where a record of another workspace sits under its
// name (as a hash collision would put it).
TEST_F(RunnerUnderAttack, AWorkspaceNotGrantedIsRefusedThroughALinkOrAnotherWorkspacesRecord) {
  const fs::path link = root_ / "ws-link";
  fs::create_symlink(ws_, link);
  Outcome linked = RunnerAs({link.string(), "hostile", "--cwd", ws_.string(), "--", "true"});
  EXPECT_EQ(linked.exit_code, 125);
  EXPECT_EQ(linked.err, "sandboxctl exec: profile 'hostile' is not applied for " + link.string() +
                            "; run 'sudo sandboxctl apply' there first, or use '--isolation namespace'\n");
  const fs::path other = root_ / "other";
  fs::create_directories(other);
  const fs::path record = LaunchRecordPath(root_ / "state", ws_.string(), "hostile");
  const fs::path colliding = LaunchRecordPath(root_ / "state", other.string(), "hostile");
  ASSERT_TRUE(fs::exists(record));
  fs::copy_file(record, colliding);
  fs::permissions(colliding, fs::status(record).permissions());
  ASSERT_EQ(Sh("chown --reference=" + Quote(record.string()) + " " + Quote(colliding.string())), 0);
  Outcome collided = RunnerAs({other.string(), "hostile", "--cwd", other.string(), "--", "true"});
  fs::remove(colliding);
  EXPECT_EQ(collided.exit_code, 125);
  EXPECT_EQ(collided.err, "sandboxctl exec: " + colliding.string() + ": it is for profile 'hostile' in " +
                              ws_.string() + "\n");
}

// The caller's environment names whom to be (sudo's variables, USER, HOME): none of it
// counts. The command runs as the sandbox user the record names, and the audit line names
// the real caller.
TEST_F(RunnerUnderAttack, ForgedIdentityVariablesChangeNothing) {
  const fs::path log = ws_ / "log";
  Outcome r = Ok({ws_.string(), "hostile", "--log-dir", log.string(), "--", "/bin/sh", "-c",
                  "id -u; id -G; echo $USER $LOGNAME $HOME"},
                 {"PATH=/usr/bin:/bin", "SUDO_UID=0", "SUDO_GID=0", "SUDO_USER=root", "USER=root", "LOGNAME=root",
                  "HOME=/root", "SANDBOXCTL_STATE_DIR=/tmp"});
  const std::string gid = std::to_string(IdentityOf(user_).gid);
  EXPECT_EQ(r.out, Uid(user_) + "\n" + gid + "\n" + user_ + " " + user_ + " " + tmp_ + "\n");
  EXPECT_NE(ReadFile(log / "audit.log").find("\"caller_uid\":" + Uid(invoker_) + ","), std::string::npos);
}

// LD_PRELOAD and the loader's other variables: the loader ignores them for a program
// with file capabilities, and the environment filter keeps them from the command. The
// library leaves a mark wherever it is loaded; it does for an ordinary program.
TEST_F(RunnerUnderAttack, LoaderVariablesReachNeitherTheRunnerNorTheCommand) {
  const fs::path dir = ws_ / "preload";
  fs::create_directories(dir);
  fs::copy_file(SANDBOX_PRELOAD_MARKER, dir / "libmark.so");
  ASSERT_EQ(Sh("chown -R " + invoker_ + ": " + Quote(dir.string())), 0);
  const std::string lib = (dir / "libmark.so").string();
  const std::vector<std::string> env{"PATH=/usr/bin:/bin",
                                     "LD_PRELOAD=" + lib,
                                     "LD_LIBRARY_PATH=" + dir.string(),
                                     "LD_AUDIT=" + lib,
                                     "GCONV_PATH=" + dir.string(),
                                     "LOCPATH=" + dir.string(),
                                     "NLSPATH=" + dir.string() + "/%N",
                                     "HOSTALIASES=" + dir.string() + "/hosts",
                                     "MALLOC_CHECK_=3",
                                     "IFS=/",
                                     "BASH_ENV=" + dir.string() + "/rc",
                                     "ENV=" + dir.string() + "/rc",
                                     "LC_ALL=C"};
  Outcome control = Spawn(IdentityOf(invoker_), "/bin/true", {"/bin/true"}, env, ws_, root_);
  ASSERT_TRUE(fs::exists(dir / "preload-marker")) << "the library did not mark an ordinary program: " << control.err;
  fs::remove(dir / "preload-marker");
  Outcome r = Ok({ws_.string(), "hostile", "--", "/usr/bin/env"}, env);
  EXPECT_FALSE(fs::exists(dir / "preload-marker")) << ReadFile(dir / "preload-marker");
  for (const char* name : {"LD_", "GCONV_PATH=", "LOCPATH=", "NLSPATH=", "HOSTALIASES=", "MALLOC_", "IFS=", "BASH_ENV=",
                           "ENV="}) {
    EXPECT_EQ(("\n" + r.out).find(std::string("\n") + name), std::string::npos) << name << " reached the command:\n"
                                                                                  << r.out;
  }
  // The same for the command's own children.
  Ok(Command("/bin/true; /usr/bin/id >/dev/null"), env);
  EXPECT_FALSE(fs::exists(dir / "preload-marker"));
}

// Programs planted early in PATH under the names of what a privileged helper might run:
// the runner runs nothing but the command, and a command found through the caller's PATH
// runs as the sandbox user with no capability.
TEST_F(RunnerUnderAttack, ProgramsPlantedInPathRunOnlyAsTheCommandItself) {
  const fs::path evil = ws_ / "evil";
  fs::create_directories(evil);
  const fs::path marker = ws_ / "planted-marker";
  for (const char* name : {"true", "sh", "nft", "getent", "useradd", "usermod", "setfacl", "getfacl", "getcap",
                           "setcap", "ldconfig", "sandboxctl", "sandboxctl-runner", "env", "systemctl", "logger"}) {
    std::ofstream(evil / name) << "#!/bin/sh\necho \"$0\" >> " << marker.string() << "\n";
  }
  std::ofstream(evil / "id") << "#!/bin/sh\ngrep -E '^(Uid|CapInh|CapPrm|CapEff|CapAmb|NoNewPrivs):' /proc/self/status\n";
  ASSERT_EQ(Sh("chmod 0755 " + Quote(evil.string()) + "/* && chown -R " + invoker_ + ": " + Quote(evil.string())), 0);
  const std::vector<std::string> env{"PATH=" + evil.string() + ":/usr/sbin:/usr/bin:/sbin:/bin"};
  Ok({ws_.string(), "hostile", "--", "/bin/true"}, env);
  EXPECT_FALSE(fs::exists(marker)) << ReadFile(marker);
  const std::string uid = Uid(user_);
  Outcome planted = Ok({ws_.string(), "hostile", "--", "id"}, env);
  EXPECT_EQ(planted.out, "Uid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid +
                             "\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
                             "CapAmb:\t0000000000000000\nNoNewPrivs:\t1\n");
}

// A hostile locale changes no message of the runner's (it reads no locale), and a huge
// environment is filtered like any other.
TEST_F(RunnerUnderAttack, LocaleAndAHugeEnvironmentChangeNothing) {
  const std::vector<std::string> locale{"PATH=/usr/bin:/bin", "LANGUAGE=de:fr", "LC_ALL=de_DE.UTF-8",
                                        "LC_MESSAGES=fr_FR.UTF-8", "LANG=de_DE.UTF-8", "LOCPATH=" + ws_.string()};
  Outcome refused = RunnerAs({ws_.string(), "nothing", "--", "true"}, locale);
  EXPECT_EQ(refused.exit_code, 125);
  EXPECT_EQ(refused.err, "sandboxctl exec: profile 'nothing' is not applied for " + ws_.string() +
                             "; run 'sudo sandboxctl apply' there first, or use '--isolation namespace'\n");
  std::vector<std::string> huge{"PATH=/usr/bin:/bin", "BIG=" + std::string(131000, 'x'), "NOEQUALS", "=novalue"};
  for (int i = 0; i < 1500; ++i) huge.push_back("HUGE_" + std::to_string(i) + "=" + std::string(500, 'y'));
  Outcome r = Ok(Command("env | cut -d= -f1 | sort | tr '\\n' ' '"), huge);
  EXPECT_EQ(r.out, "GIT_CONFIG_COUNT GIT_CONFIG_KEY_0 GIT_CONFIG_VALUE_0 HOME LOGNAME PATH PWD SANDBOXCTL_ISOLATION "
                   "SANDBOXCTL_PROFILE TMPDIR USER ");
}

// Descriptors the caller leaves open (here a root-only file and directory that root
// opened, handed down without close-on-exec) never reach the command, and no process of
// the sandbox's can reach them through /proc.
TEST_F(RunnerUnderAttack, InheritedDescriptorsNeverReachTheCommand) {
  const fs::path secret_dir = root_ / "private";
  fs::create_directories(secret_dir);
  std::ofstream(secret_dir / "secret-file") << "root only\n";
  ASSERT_EQ(Sh("chmod 0700 " + Quote(secret_dir.string()) + " && chmod 0600 " +
               Quote((secret_dir / "secret-file").string())),
            0);
  const int file = open((secret_dir / "secret-file").c_str(), O_RDONLY | O_CLOEXEC);
  const int dir = open(secret_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  // cppcheck-suppress resourceLeak ; a failed assertion ends the test; its descriptors close with the process
  ASSERT_GE(file, 0);
  // cppcheck-suppress resourceLeak ; a failed assertion ends the test; its descriptors close with the process
  ASSERT_GE(dir, 0);
  const std::map<int, int> fds{{5, file}, {6, dir}, {200, file}};
  Outcome r = RunnerAs(Command("ls /proc/self/fd | tr '\\n' ' '; echo; cat <&5; cat /proc/self/fd/200; ls /proc/self/fd/6/; "
                               "ls -l /proc/[0-9]*/fd/ 2>/dev/null | grep -c secret-file"),
                       {}, fds);
  close(file);
  close(dir);
  EXPECT_EQ(r.out, "0 1 2 3 \n0\n") << r.exit_code << ": " << r.err;
  EXPECT_EQ(r.err.find("root only"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Bad file descriptor"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/proc/self/fd/6/"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sbx
