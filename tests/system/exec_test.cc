// sandboxctl exec, for real: a probe program runs inside the sandbox, tries each forbidden
// action and reports the errno it got. User isolation runs as root after apply, and
// ("runner") as an unprivileged test user through sandboxctl-runner after that user ran
// apply under sudo; namespace isolation runs as the unprivileged test user with nothing
// applied. Each test makes its
// own users, workspace, nft table and a test host in a network namespace of its own
// (a veth pair on 198.18.0.0/15, the benchmarking range: never an outside address), and
// removes them all.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <nlohmann/json.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <fstream>
#include <thread>

#include "engine/os_linux/landlock.h"
#include "engine/os_linux/launch.h"
#include "engine/os_linux/seccomp.h"
#include "system_util.h"

namespace sbx {
namespace {

namespace bp = boost::process;
namespace fs = std::filesystem;
using sbx::testing::Capture;
using sbx::testing::Outcome;
using sbx::testing::RandomSuffix;
using sbx::testing::ReadFile;
using sbx::testing::Sh;

class ExecTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: creates users, namespaces and nftables rules";
    id_ = RandomSuffix();
    via_runner_ = GetParam() == "runner";
    user_mode_ = GetParam() == "user" || via_runner_;
    root_ = fs::path("/tmp") / ("sandboxctl-exec-" + id_);
    ws_ = root_ / "ws";
    runner_ = "sbxu-" + id_;  // namespace mode runs as this ordinary user
    ASSERT_EQ(Sh("useradd --no-create-home --shell /bin/sh " + runner_), 0);
    fs::create_directories(ws_ / ".sandboxctl");
    fs::create_directories(ws_ / ".git");
    fs::create_directories(root_ / "outside");
    fs::create_directories(root_ / "bin");
    fs::create_directories(root_ / "share");
    fs::copy_file(SANDBOX_PROBE_BIN, root_ / "bin/sandbox_probe");
    fs::copy_file(SANDBOXCTL_BIN, root_ / "bin/sandboxctl");
    // Where the installed layout has it: apply installs the runner built with sandboxctl.
    fs::create_directories(root_ / "libexec/sandboxctl");
    fs::copy_file(SANDBOXCTL_RUNNER_BIN, root_ / "libexec/sandboxctl/sandboxctl-runner");
    std::ofstream(ws_ / ".env") << "TOKEN=secret\n";
    std::ofstream(ws_ / ".git/config") << "[core]\n";
    std::ofstream(root_ / "outside/target") << "outside\n";
    fs::create_symlink(root_ / "outside/new", ws_ / "link-out");
    fs::create_hard_link(root_ / "outside/target", ws_ / "hard-out");
    std::ofstream(ws_ / ".sandboxctl/offline.toml")
        << "version = 1\n[identity]\nuser = \"sbxe-" << id_ << "\"\n"
        << "[filesystem]\nwritable = [\"${workspace}\", \"${tmp}\"]\nread_only = [\"${workspace}/.git\"]\n"
        << "deny_read = [\"${workspace}/.env\"]\n[network]\nmode = \"offline\"\nloopback = true\n";
    // The workspace belongs to whoever works in it.
    const std::string owner = user_mode_ ? "root" : runner_;
    fs::create_directories(root_ / "tmp");
    fs::create_directories(root_ / "log");
    // Through the runner the test user writes its own audit log and status files.
    fs::create_directories(root_ / "userlog");
    ASSERT_EQ(Sh("chown -R " + owner + ": " + ws_.string() + " " + (root_ / "tmp").string() + " " +
                 (root_ / "log").string() + " && chown " + runner_ + ": " + (root_ / "userlog").string() + " && chmod 0700 " +
                 (root_ / "tmp").string() + " && chmod 0755 " + root_.string() + " " +
                 (root_ / "bin").string() + " && chmod 4755 " + (root_ / "bin/sandbox_probe").string()),
              0);
    StartTestHost();
    StartHostServices();
    if (user_mode_) {
      Outcome applied = Sandboxctl({"apply", "--yes"});
      ASSERT_EQ(applied.exit_code, 0) << applied.err;
    } else {
      Trust();
    }
  }

  // sandboxctl trust as the test user: namespace isolation runs only trusted profiles.
  Outcome TrustCommand(const std::vector<std::string>& rest) {
    std::vector<std::string> args{"--machine-profiles", "", "--builtin-profiles", (root_ / "share").string(), "trust",
                                  "--trust-store", TrustStore().string()};
    args.insert(args.end(), rest.begin(), rest.end());
    return Exe((root_ / "bin/sandboxctl").string(), args, runner_);
  }
  void Trust() {
    Outcome trusted = TrustCommand({});
    ASSERT_EQ(trusted.exit_code, 0) << trusted.err;
  }
  fs::path TrustStore() const { return root_ / "userlog/trust.json"; }

  void TearDown() override {
    if (IsSkipped()) return;
    if (user_mode_) Sandboxctl({"destroy", "--yes"});
    EXPECT_FALSE(fs::exists(root_ / "runner")) << "destroy left the runner behind";
    EXPECT_EQ(Capture("getent group " + Group()), "") << "destroy left the runner group behind";
    for (auto* c : {&server4_, &server6_, &loop4_, &loop6_, &sleeper_}) {
      if (c->valid() && c->running()) c->terminate();
    }
    if (abstract_ >= 0) close(abstract_);
    Sh("ip netns delete sbxe-" + id_ + " 2>/dev/null");
    Sh("userdel " + runner_ + " 2>/dev/null; userdel sbxe-" + id_ + " 2>/dev/null; groupdel sbxe-" + id_ +
       " 2>/dev/null; userdel sbxf-" + id_ + " 2>/dev/null; groupdel sbxf-" + id_ +
       " 2>/dev/null; groupdel " + Group() + " 2>/dev/null; nft delete table inet sbxtest_" + id_ + " 2>/dev/null");
    std::error_code ec;
    fs::remove_all(root_, ec);
    EXPECT_EQ(Capture("getent passwd sbxe-" + id_ + " sbxf-" + id_ + " " + runner_), "");
    EXPECT_EQ(Capture("ip netns list | grep sbxe-" + id_), "");
  }

  // A host of the test's own: a network namespace behind a veth pair, with a TCP and UDP
  // service on IPv4 and IPv6. The test first shows it is reachable from outside the sandbox.
  void StartTestHost() {
    const std::string ns = "sbxe-" + id_, host = "sbh" + id_, peer = "sbp" + id_;
    ASSERT_EQ(Sh("ip netns add " + ns + " && ip link add " + host + " type veth peer name " + peer + " netns " + ns +
                 " && ip addr add 198.18.77.1/30 dev " + host + " && ip -6 addr add fd53:6278:" + id_.substr(0, 4) +
                 "::1/64 dev " + host + " nodad && ip link set " + host + " up && ip -n " + ns +
                 " addr add 198.18.77.2/30 dev " + peer + " && ip -n " + ns + " -6 addr add fd53:6278:" +
                 id_.substr(0, 4) + "::2/64 dev " + peer + " nodad && ip -n " + ns + " link set " + peer +
                 " up && ip -n " + ns + " link set lo up"),
              0);
    v6_ = "fd53:6278:" + id_.substr(0, 4) + "::2";
    server4_ = bp::child("/usr/sbin/ip", bp::args = {"netns", "exec", ns, Probe(), "serve", "198.18.77.2", "7777"},
                         bp::std_out > bp::null);
    server6_ = bp::child("/usr/sbin/ip", bp::args = {"netns", "exec", ns, Probe(), "serve", v6_, "7777"},
                         bp::std_out > bp::null);
    WaitFor("198.18.77.2", "7777");
    WaitFor(v6_, "7777");
  }

  // What runs on the machine itself: services on loopback, an abstract unix socket, a
  // process to signal and trace.
  void StartHostServices() {
    loop4_ = bp::child(Probe(), bp::args = {"serve", "127.0.0.1", "7778"}, bp::std_out > bp::null);
    loop6_ = bp::child(Probe(), bp::args = {"serve", "::1", "7778"}, bp::std_out > bp::null);
    WaitFor("127.0.0.1", "7778");
    WaitFor("::1", "7778");
    abstract_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    const std::string name = "sbx-probe-" + id_;
    std::memcpy(sa.sun_path + 1, name.data(), name.size());
    ASSERT_EQ(bind(abstract_, reinterpret_cast<sockaddr*>(&sa),
                   static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size())),
              0);
    ASSERT_EQ(listen(abstract_, 4), 0);
    ASSERT_EQ(Outside({"abstract", name}), "ok\n") << "the host's abstract socket must be reachable from outside";
    sleeper_ = bp::child("/bin/sleep", bp::args = {"600"});
  }

  void WaitFor(const std::string& addr, const std::string& port) {
    for (int i = 0; i < 100; ++i) {
      if (Outside({"tcp", addr, port}) == "ok\n") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << addr << ":" << port << " never became reachable from outside the sandbox";
  }

  std::string Probe() const { return (root_ / "bin/sandbox_probe").string(); }
  std::string Group() const { return "sbxg-" + id_; }
  // exec's audit log: root's, or through the runner the test user's own.
  fs::path LogDir() const { return root_ / (via_runner_ ? "userlog" : "log"); }
  // The isolation exec is asked for: the runner gives user isolation.
  std::string Isolation() const { return via_runner_ ? "user" : GetParam(); }

  // The probe outside any sandbox, as root: the control case.
  std::string Outside(const std::vector<std::string>& args) {
    Outcome r = Exe(Probe(), args, "");
    return r.out;
  }

  Outcome Exe(const std::string& exe, const std::vector<std::string>& args, const std::string& as_user,
              const std::map<std::string, std::string>& extra_env = {}) {
    std::vector<std::string> argv = args;
    std::string program = exe;
    if (!as_user.empty()) {
      argv.insert(argv.begin(), {"-u", as_user, "--", exe});
      program = "/usr/sbin/runuser";
    }
    Outcome r;
    const fs::path out = root_ / "out", err = root_ / "err";
    fs::remove(out);
    fs::remove(err);
    bp::environment env = boost::this_process::environment();  // a copy: this process's stays as it is
    env["GITHUB_TOKEN"] = "ghp_probe";
    for (const auto& [k, v] : extra_env) env[k] = v;
    bp::child child(program, bp::args = argv, env, bp::start_dir = ws_.string(), bp::std_out > out.string(),
                    bp::std_err > err.string(), bp::std_in < bp::null);
    child.wait();
    r.exit_code = child.exit_code();
    r.out = ReadFile(out);
    r.err = ReadFile(err);
    return r;
  }

  Outcome Sandboxctl(std::vector<std::string> args, bool as_sudo = true) {
    std::vector<std::string> full{"--machine-profiles", "", "--builtin-profiles", (root_ / "share").string()};
    full.insert(full.end(), args.begin(), args.end());
    for (const auto& a : std::vector<std::string>{"--state-dir", (root_ / "state").string(), "--log-dir",
                                                  (root_ / "log").string(), "--unit-dir", (root_ / "units").string(),
                                                  "--runner-group", Group(), "--runner-dir", (root_ / "runner").string()}) {
      full.push_back(a);
    }
    if (args[0] != "destroy") {
      for (const auto& a : std::vector<std::string>{"--nft-table", "sbxtest_" + id_, "--tmp-root", (root_ / "tmp").string()}) {
        full.push_back(a);
      }
    }
    // Through the runner: as if the test user had run `sudo sandboxctl apply`.
    return Exe((root_ / "bin/sandboxctl").string(), full, "",
               via_runner_ && as_sudo ? SudoEnv() : std::map<std::string, std::string>{});
  }

  std::map<std::string, std::string> SudoEnv() const {
    std::string uid = Capture("id -u " + runner_);
    if (!uid.empty()) uid.pop_back();
    return {{"SUDO_USER", runner_}, {"SUDO_UID", uid}};
  }

  // The probe inside the sandbox: its output, e.g. "EACCES\n".
  std::string Inside(const std::vector<std::string>& probe_args) {
    std::vector<std::string> rest{"--", Probe()};
    rest.insert(rest.end(), probe_args.begin(), probe_args.end());
    Outcome r = Exec(rest);
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << "exec failed (" << r.exit_code << "): " << r.err;
    return r.out;
  }

  // sandboxctl's arguments for exec in this test's isolation, state and table.
  std::vector<std::string> ExecArgs(const std::string& profile, const std::vector<std::string>& rest) {
    std::vector<std::string> args{"--machine-profiles", "", "--builtin-profiles", (root_ / "share").string(), "exec",
                                  "--profile", profile, "--isolation", Isolation(), "--state-dir",
                                  (root_ / "state").string(), "--log-dir", LogDir().string(), "--nft-table",
                                  "sbxtest_" + id_, "--tmp-root", (root_ / "tmp").string(), "--runner-dir",
                                  (root_ / "runner").string(), "--runner-group", Group(), "--trust-store",
                                  TrustStore().string()};
    args.insert(args.end(), rest.begin(), rest.end());
    return args;
  }

  // Whether exec runs as the unprivileged test user (not as root).
  bool AsTestUser() const { return !user_mode_ || via_runner_; }

  // sandboxctl exec with `rest` after the common options, as the test's invoking user.
  Outcome Exec(const std::vector<std::string>& rest, const std::string& profile = "offline") {
    return Exe((root_ / "bin/sandboxctl").string(), ExecArgs(profile, rest), AsTestUser() ? runner_ : "");
  }

  // sandboxctl exec with `rest` in the background, as Exec runs it; its output on `out`.
  // cppcheck-suppress constParameter ; the child's output is written into it
  bp::child ExecInBackground(const std::vector<std::string>& rest, bp::ipstream& out,
                             const std::string& profile = "offline") {
    std::vector<std::string> args = ExecArgs(profile, rest);
    if (AsTestUser()) args.insert(args.begin(), {"-u", runner_, "--", (root_ / "bin/sandboxctl").string()});
    return bp::child(AsTestUser() ? "/usr/sbin/runuser" : (root_ / "bin/sandboxctl").string(), bp::args = args,
                     bp::start_dir = ws_.string(), bp::std_out > out, bp::std_err > bp::null, bp::std_in < bp::null);
  }

  // The process of sandboxctl itself in `child` (under runuser, its child; through the
  // runner, the runner it became).
  pid_t SandboxctlPid(const bp::child& child) {
    return AsTestUser() ? std::stoi(Capture("pgrep -P " + std::to_string(child.id()))) : child.id();
  }

  // A shell command inside the sandbox, in the workspace.
  Outcome InsideShell(const std::string& command, const std::string& profile = "offline") {
    return Exec({"--", "/bin/sh", "-c", command}, profile);
  }

  // A git repository in the workspace with one commit and README.txt changed since;
  // applied again in user mode, so that the new files get their entries.
  void MakeRepository() {
    ASSERT_EQ(Sh("cd " + ws_.string() + " && rm -rf .git && echo one > README.txt && git init -q && "
                 "git -c safe.directory='*' add README.txt && git -c safe.directory='*' -c user.name=t "
                 "-c user.email=t@example.org commit -q -m init && echo two >> README.txt && chown -R " +
                 (user_mode_ ? std::string("root") : runner_) + ": ."),
              0);
    if (user_mode_) {
      ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);
    }
  }

  std::string id_, runner_, v6_;
  bool user_mode_ = false;   // user isolation: as root, or through the runner
  bool via_runner_ = false;
  fs::path root_, ws_;
  bp::child server4_, server6_, loop4_, loop6_, sleeper_;
  int abstract_ = -1;
};

TEST_P(ExecTest, WritesOnlyBeneathTheWritableRoots) {
  EXPECT_EQ(Inside({"write", (ws_ / "new.txt").string()}), "ok\n");
  // /dev/shm is the sandbox's own in every mode; in a namespace /tmp is too, and the rest
  // of /tmp (where this test keeps "outside") is not there at all.
  EXPECT_EQ(Inside({"write", "/tmp/sandboxctl-probe-" + id_}), user_mode_ ? "EACCES\n" : "ok\n");
  EXPECT_EQ(Inside({"write", "/dev/shm/sandboxctl-probe-" + id_}), "ok\n");
  EXPECT_FALSE(fs::exists("/dev/shm/sandboxctl-probe-" + id_));
  EXPECT_EQ(Inside({"write", "/root/sandboxctl-probe-" + id_}), "EACCES\n");
  EXPECT_EQ(Inside({"write", (root_ / "outside/new").string()}), user_mode_ ? "EACCES\n" : "ENOENT\n");
  EXPECT_FALSE(fs::exists("/tmp/sandboxctl-probe-" + id_));
  EXPECT_FALSE(fs::exists(root_ / "outside/new"));
}

TEST_P(ExecTest, ReadOnlyCarveOutsRefuseWrites) {
  // A read-only bind mount in every mode, and in user mode an r-X ACL entry besides (the
  // kernel checks that first for files that exist).
  EXPECT_EQ(Inside({"write", (ws_ / ".git/objects-new").string()}), "EROFS\n");
  EXPECT_EQ(Inside({"append", (ws_ / ".git/config").string()}), user_mode_ ? "EACCES\n" : "EROFS\n");
}

TEST_P(ExecTest, SymlinksAndHardLinksDoNotLeadOutside) {
  // In a namespace, what they point at is not in the view (it lies in /tmp here).
  EXPECT_EQ(Inside({"write", (ws_ / "link-out").string()}), user_mode_ ? "EACCES\n" : "ENOENT\n");
  EXPECT_FALSE(fs::exists(root_ / "outside/new"));
  // Making a hard link to an outside file from inside: refused (the kernel's
  // protected_hardlinks for a user that does not own the file).
  EXPECT_EQ(Inside({"link", (root_ / "outside/target").string(), (ws_ / "made-inside").string()}),
            user_mode_ ? "EPERM\n" : "ENOENT\n");
  if (user_mode_) {
    // A hard link made beforehand is the outside file too: apply gave it no write entry.
    // (In a namespace the command runs as the invoking user, who owns it; see README.)
    EXPECT_EQ(Inside({"append", (ws_ / "hard-out").string()}), "EACCES\n");
    EXPECT_EQ(Inside({"read", (ws_ / "hard-out").string()}), "ok\n");
  }
}

// A symbolic link committed to the repository cannot carry a writable root elsewhere:
// apply grants nothing there, exec restricts nothing to there; both refuse.
TEST_P(ExecTest, WritableRootsNeverPassThroughSymbolicLinks) {
  fs::create_directories(root_ / "outside/sub");
  fs::create_symlink(root_ / "outside", ws_ / "out");
  std::ofstream(ws_ / ".sandboxctl/linked.toml")
      << "version = 1\n[identity]\nuser = \"sbxf-" << id_ << "\"\n"
      << "[filesystem]\nwritable = [\"${workspace}/out/sub\", \"${tmp}\"]\n[network]\nmode = \"offline\"\n";
  if (!user_mode_) Trust();
  const std::string before = Capture("getfacl -p " + (root_ / "outside/sub").string());
  if (user_mode_) {
    Outcome apply = Sandboxctl({"apply", "--yes"});
    EXPECT_EQ(apply.exit_code, 1);
    // The path is named up to the link or beyond it, whichever check meets it first.
    EXPECT_NE(apply.err.find("openat2(" + (ws_ / "out").string()), std::string::npos) << apply.err;
    EXPECT_NE(apply.err.find("): passes through a symbolic link"),
              std::string::npos)
        << apply.err;
  } else {
    Outcome refused = Exec({"--", "true"}, "linked");
    EXPECT_EQ(refused.exit_code, 125);
    EXPECT_NE(refused.err.find("passes through a symbolic link"), std::string::npos) << refused.err;
  }
  EXPECT_EQ(Capture("getfacl -p " + (root_ / "outside/sub").string()), before);
}

TEST_P(ExecTest, DenyReadPathsCannotBeRead) {
  EXPECT_EQ(Inside({"read", (ws_ / ".env").string()}), "EACCES\n");
  EXPECT_EQ(Inside({"read", (ws_ / ".git/config").string()}), "ok\n");
}

// A deny-read file in a writable root: the developer's editor saves it as a new file
// renamed over the old one (so does git checkout), and in user isolation the new inode
// inherits the workspace's default ACL entry for the sandbox user. The sandbox reads
// nothing of it, and can neither rename it away nor put a file of its own in its place.
TEST_P(ExecTest, ADenyReadFileSavedByRenameStaysUnreadableAndInPlace) {
  const std::string owner = user_mode_ ? "root" : runner_;
  ASSERT_EQ(Sh("cd " + ws_.string() + " && runuser -u " + owner + " -- sh -c \"printf 'TOKEN=rotated\\n' > .env.new\" && "
               "mv .env.new .env"),
            0);
  Outcome r = InsideShell("cat .env; mv .env moved.env && echo renamed; rm -f .env && echo removed; echo mine > .env");
  EXPECT_EQ(r.out.find("rotated"), std::string::npos) << "the sandbox read the saved secret: " << r.out;
  EXPECT_EQ(r.out.find("renamed"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("removed"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(ws_ / "moved.env"));
  EXPECT_EQ(ReadFile(ws_ / ".env"), "TOKEN=rotated\n") << "the sandbox replaced the deny-read file";
}

TEST_P(ExecTest, OfflineReachesNoOtherHostAndNoHostServiceButItsOwnLoopback) {
  EXPECT_EQ(Outside({"udp", "198.18.77.2", "7777"}), "ok\n");
  EXPECT_EQ(Inside({"tcp", "198.18.77.2", "7777"}), "ENETUNREACH\n");
  EXPECT_EQ(Inside({"tcp", v6_, "7777"}), "ENETUNREACH\n");
  EXPECT_EQ(Inside({"udp", "198.18.77.2", "7777"}), "ENETUNREACH\n");
  EXPECT_EQ(Inside({"udp", v6_, "7777"}), "ENETUNREACH\n");
  EXPECT_NE(Inside({"icmp", "198.18.77.2"}), "ok\n");
  EXPECT_EQ(Inside({"tcp", "127.0.0.1", "7778"}), "ECONNREFUSED\n");
  EXPECT_EQ(Inside({"tcp", "::1", "7778"}), "ECONNREFUSED\n");
  EXPECT_EQ(Inside({"loopback-server"}), "ok\n");
}

TEST_P(ExecTest, HostProcessesAndSocketsAreOutOfReach) {
  // The command has a PID namespace of its own: no host process exists for it (Landlock's
  // signal and ptrace scoping would refuse them besides); seccomp refuses vm-read first.
  const std::string pid = std::to_string(sleeper_.id());
  EXPECT_EQ(Inside({"signal", pid}), "ESRCH\n");
  EXPECT_EQ(Inside({"ptrace", pid}), "ESRCH\n");
  EXPECT_EQ(Inside({"vm-read", pid}), "EPERM\n");
  EXPECT_NE(Inside({"abstract", "sbx-probe-" + id_}), "ok\n");
  // Process 1 of the sandbox was forked from the launcher, whose memory held the caller's
  // whole environment: it cannot be traced.
  EXPECT_EQ(Inside({"ptrace", "1"}), "EPERM\n");
}

// ACL entries alone would let the sandbox rename a carve-out (or a directory above it)
// away and put a writable copy in its place, e.g. a .git with hooks that the developer
// then runs. Carve-outs and their parents are mount points in every mode.
TEST_P(ExecTest, CarveOutsCannotBeRenamedAwayOrReplaced) {
  fs::create_directories(ws_ / "a/b/prot");
  std::ofstream(ws_ / "a/b/prot/hook") << "#!/bin/sh\n";
  std::ofstream(ws_ / ".sandboxctl/nested.toml")
      << "version = 1\n[identity]\nuser = \"sbxf-" << id_ << "\"\n"
      << "[filesystem]\nwritable = [\"${workspace}\", \"${tmp}\"]\nread_only = [\"${workspace}/a/b/prot\"]\n"
      << "[network]\nmode = \"offline\"\n";
  ASSERT_EQ(Sh("chown -R " + std::string(AsTestUser() && !user_mode_ ? runner_ : "root") + ": " + ws_.string()), 0);
  if (!user_mode_) Trust();
  if (user_mode_) {
    Outcome applied = Sandboxctl({"apply", "--yes"});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
  }
  for (const auto& [profile, move] : std::vector<std::pair<std::string, std::string>>{
           {"offline", "mv .git .git.moved"},
           {"nested", "mv a/b/prot a/b/prot.moved"},
           {"nested", "mv a/b a/b.moved"},
           {"nested", "mv a a.moved"},
           {"nested", "rm -rf a/b/prot"}}) {
    Outcome r = InsideShell(move + " 2>/dev/null; echo $?", profile);
    EXPECT_EQ(r.exit_code, 0) << "the sandbox did not start: " << r.err;
    EXPECT_NE(r.out, "0\n") << move << " succeeded under profile " << profile;
    EXPECT_NE(r.out, "") << move;
  }
  EXPECT_TRUE(fs::exists(ws_ / ".git/config"));
  EXPECT_TRUE(fs::exists(ws_ / "a/b/prot/hook"));
  EXPECT_NE(InsideShell("echo x > a/b/prot/hook 2>/dev/null; echo $?", "nested").out, "0\n");
  EXPECT_EQ(InsideShell("echo x > a/b/other && cat a/b/other", "nested").out, "x\n");  // the rest stays writable
}

TEST_P(ExecTest, NoPrivilegeCanBeRegained) {
  EXPECT_EQ(Inside({"raw-socket"}), "EPERM\n");
  EXPECT_EQ(Inside({"packet-socket"}), "EPERM\n");
  EXPECT_EQ(Inside({"keyring"}), "EPERM\n");
  EXPECT_EQ(Inside({"tiocsti"}), "EPERM\n");
  EXPECT_EQ(Inside({"userns"}), "EPERM\n");
  // In a user namespace (namespace mode, and the runner's) uid 0 is not even mapped:
  // there is no root to become.
  EXPECT_EQ(Inside({"setuid"}), AsTestUser() ? "EINVAL\n" : "EPERM\n");
  // The probe is setuid root here: no_new_privs keeps the effective uid.
  const std::string uid = Capture("id -u " + (user_mode_ ? "sbxe-" + id_ : runner_));
  EXPECT_EQ(Inside({"euid"}), uid);
}

TEST_P(ExecTest, SecretsInTheEnvironmentNeverReachTheCommand) {
  EXPECT_EQ(Outside({"env", "GITHUB_TOKEN"}), "ghp_probe\n");
  EXPECT_EQ(Inside({"env", "GITHUB_TOKEN"}), "unset\n");
  EXPECT_NE(Inside({"env", "TMPDIR"}), "unset\n");
}

// Ordinary development work keeps working inside the sandbox.
TEST_P(ExecTest, GitWorksWithItsDirectoryReadOnly) {
  MakeRepository();
  for (const char* git : {"git status --short", "git diff --stat", "git log --oneline"}) {
    Outcome r = InsideShell(git);
    EXPECT_EQ(r.exit_code, 0) << git << ": " << r.err;
  }
  EXPECT_EQ(InsideShell("git status --short --untracked-files=no").out, " M README.txt\n");
  EXPECT_NE(InsideShell("git -c user.name=t -c user.email=t@example.org commit -qam x").exit_code, 0);
}

TEST_P(ExecTest, GitCommitsUnderAProfileWithoutTheCarveOut) {
  std::ofstream(ws_ / ".sandboxctl/commit.toml")
      << "version = 1\n[identity]\nuser = \"sbxf-" << id_ << "\"\n"
      << "[filesystem]\nwritable = [\"${workspace}\", \"${tmp}\"]\n[network]\nmode = \"offline\"\n";
  MakeRepository();
  if (!user_mode_) Trust();
  Outcome commit = InsideShell("git -c user.name=t -c user.email=t@example.org commit -qam two", "commit");
  EXPECT_EQ(commit.exit_code, 0) << commit.err;
  EXPECT_EQ(InsideShell("git log --format=%s", "commit").out, "two\ninit\n");
}

TEST_P(ExecTest, BuildsScriptsAndTmpdirWork) {
  std::ofstream(ws_ / "CMakeLists.txt") << "cmake_minimum_required(VERSION 3.13)\nproject(hello CXX)\n"
                                           "add_executable(hello main.cc)\n";
  std::ofstream(ws_ / "main.cc") << "#include <iostream>\nint main() { std::cout << \"hello\\n\"; }\n";
  std::ofstream(ws_ / "run.sh") << "#!/bin/sh\necho script \"$1\"\n";
  ASSERT_EQ(Sh("chmod 755 " + (ws_ / "run.sh").string() + " && chown -R " + (user_mode_ ? std::string("root") : runner_) +
               ": " + ws_.string()),
            0);
  if (user_mode_) {
    ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);  // entries for the new files
  }
  Outcome build = InsideShell("cmake -S . -B build >/dev/null && cmake --build build >/dev/null && ./build/hello");
  EXPECT_EQ(build.exit_code, 0) << build.err;
  EXPECT_EQ(build.out, "hello\n");
  EXPECT_EQ(InsideShell("./run.sh ok").out, "script ok\n");
  Outcome py = InsideShell("python3 -c 'import os, tempfile; f = tempfile.NamedTemporaryFile(); "
                           "print(os.path.dirname(f.name) == os.environ[\"TMPDIR\"])'");
  EXPECT_EQ(py.out, "True\n") << py.err;
}

TEST_P(ExecTest, RunsOnlyWhereTheSandboxMayReadAndIsAudited) {
  Outcome outside = Exec({"--cwd", "/etc", "--", "pwd"});
  EXPECT_EQ(outside.exit_code, 125);
  EXPECT_EQ(outside.err, "sandboxctl exec: --cwd /etc is outside what profile 'offline' may read\n");
  Outcome inside = Exec({"--cwd", (ws_ / ".git").string(), "--", "pwd"});
  EXPECT_EQ(inside.exit_code, 0) << inside.err;
  EXPECT_EQ(inside.out, (ws_ / ".git").string() + "\n");
  // Every exec is a line of the audit log: root's in the machine's, a user's in their own.
  const std::string log = ReadFile(LogDir() / "audit.log");
  EXPECT_NE(log.find("\"event\":\"exec\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"argv\":[\"pwd\"]"), std::string::npos) << log;
  EXPECT_NE(log.find("\"exit_code\":125"), std::string::npos) << log;
  EXPECT_NE(log.find("\"time\":\""), std::string::npos) << log;
}

// The launcher behaves like timeout and env: exit codes, signals, status file.
TEST_P(ExecTest, ExitStatusIsTheCommandsOwnOrSaysWhatHappened) {
  EXPECT_EQ(InsideShell("exit 7").exit_code, 7);
  EXPECT_EQ(InsideShell("kill -TERM $$").exit_code, 128 + SIGTERM);
  EXPECT_EQ(InsideShell("/no/such/program").exit_code, 127);  // the shell's own 127
  auto exec = [&](const std::vector<std::string>& rest) { return Exec(rest); };
  Outcome missing = exec({"--", "no-such-command-" + id_});
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_EQ(missing.err, "sandboxctl exec: no-such-command-" + id_ + ": command not found\n");
  Outcome not_executable = exec({"--", (ws_ / ".git/config").string()});
  EXPECT_EQ(not_executable.exit_code, 126) << not_executable.err;
  EXPECT_EQ(exec({"--bogus", "--", "true"}).exit_code, 125);
  const fs::path status = root_ / (via_runner_ ? "userlog/status.json" : user_mode_ ? "status.json" : "tmp/status.json");
  Outcome timed_out = exec({"--timeout", "0.5", "--json-status", status.string(), "--", "/bin/sh", "-c",
                            "sleep 31 & sleep 31"});
  EXPECT_EQ(timed_out.exit_code, 124);
  const std::string json = ReadFile(status);
  EXPECT_NE(json.find("\"exit_code\": 124"), std::string::npos) << json;
  EXPECT_NE(json.find("\"timed_out\": true"), std::string::npos) << json;
  EXPECT_NE(json.find("\"isolation\": \"" + Isolation() + "\""), std::string::npos) << json;
  EXPECT_EQ(Capture("pgrep -f '[s]leep 31' || true"), "") << "the timed-out command's process group was not killed";
  // A duration as limits.timeout takes it.
  EXPECT_EQ(exec({"--timeout", "1s", "--", "/bin/sleep", "30"}).exit_code, 124);
  Outcome bad = exec({"--timeout", "5 minutes", "--", "true"});
  EXPECT_EQ(bad.exit_code, 125);
  EXPECT_NE(bad.err.find("or a duration such as 90s, 5m or 1h30m, not '5 minutes'"), std::string::npos) << bad.err;
  // Nothing the command starts outlives it, not even in a session of its own.
  Outcome daemon = exec({"--", "/bin/sh", "-c", "setsid sleep 32 & sleep 0.2"});
  EXPECT_EQ(daemon.exit_code, 0) << daemon.err;
  EXPECT_EQ(Capture("pgrep -f '[s]leep 32' || true"), "") << "a process the command started in its own session survived";
}

// A status file planted as a FIFO or as a link where the status goes is replaced, never
// opened: exec neither hangs nor writes through it. A status that cannot be written is a
// failed run (125), not a silent 0.
TEST_P(ExecTest, TheStatusFileIsNeitherAFifoNorALinkAndNotWritingItIs125) {
  const fs::path dir = root_ / "userlog", fifo = dir / "status.json", link = dir / "status-link.json";
  ASSERT_EQ(Sh("runuser -u " + runner_ + " -- sh -c 'mkfifo " + fifo.string() + " && ln -s " +
               (root_ / "outside/target").string() + " " + link.string() + "'"),
            0);
  bp::ipstream out;
  std::vector<std::string> rest{"--json-status", fifo.string(), "--", "true"};
  std::vector<std::string> args = ExecArgs("offline", rest);
  if (AsTestUser()) args.insert(args.begin(), {"-u", runner_, "--", (root_ / "bin/sandboxctl").string()});
  bp::child exec(AsTestUser() ? "/usr/sbin/runuser" : (root_ / "bin/sandboxctl").string(), bp::args = args,
                 bp::start_dir = ws_.string(), bp::std_out > bp::null, bp::std_err > bp::null, bp::std_in < bp::null);
  if (!exec.wait_for(std::chrono::seconds(20))) {
    Sh("pkill -KILL -f " + fifo.string());  // runuser, sandboxctl, the runner
    exec.terminate();
    FAIL() << "exec hangs on a FIFO planted where its status goes";
  }
  EXPECT_EQ(exec.exit_code(), 0);
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(fifo)));
  EXPECT_EQ(nlohmann::json::parse(ReadFile(fifo))["exit_code"], 0);
  Outcome through = Exec({"--json-status", link.string(), "--", "true"});
  EXPECT_EQ(through.exit_code, 0) << through.err;
  EXPECT_EQ(ReadFile(root_ / "outside/target"), "outside\n") << "the status was written through the link";
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(link)));
  fs::create_directories(dir / "a-directory");
  Outcome cannot = Exec({"--json-status", (dir / "a-directory").string(), "--", "true"});
  EXPECT_EQ(cannot.exit_code, 125) << cannot.err;
  EXPECT_NE(cannot.err.find("cannot write --json-status"), std::string::npos) << cannot.err;
}

TEST_P(ExecTest, SignalsReachTheCommand) {
  bp::ipstream out;
  bp::child child = ExecInBackground(
      {"--", "/bin/sh", "-c", "trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.05; done"}, out);
  std::string line;
  ASSERT_TRUE(std::getline(out, line));
  EXPECT_EQ(line, "ready");
  // To sandboxctl itself, which forwards it to the command's process group.
  kill(SandboxctlPid(child), SIGTERM);
  ASSERT_TRUE(std::getline(out, line));
  EXPECT_EQ(line, "got-term");
  child.wait();
  EXPECT_EQ(child.exit_code(), 3);
}

INSTANTIATE_TEST_SUITE_P(Isolation, ExecTest, ::testing::Values("user", "runner", "namespace"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// The developer's own world, attacked from inside: each test starts the real service as
// the test user (the developer of namespace mode), shows that the attack works from
// outside the sandbox, and judges the attempt from inside by its effect on the host.
class DeveloperWorld : public ExecTest {
 protected:
  void TearDown() override {
    if (!IsSkipped()) Sh("pkill -KILL -u " + runner_ + " >/dev/null 2>&1; sleep 0.1");  // its daemons, tmux, agent
    for (auto it = cleanup_.rbegin(); it != cleanup_.rend(); ++it) Sh(*it + " >/dev/null 2>&1");
    ExecTest::TearDown();
  }
  std::string Uid() {
    std::string uid = Capture("id -u " + runner_);
    if (!uid.empty()) uid.pop_back();
    return uid;
  }
  // A shell command as the test user, outside any sandbox.
  int AsDeveloper(const std::string& command) {
    return Sh("runuser -u " + runner_ + " -- /bin/sh -c '" + command + "' >/dev/null 2>&1");
  }
  // A directory of the developer's where only they may write, outside /tmp.
  fs::path DeveloperDir() {
    fs::path dir = "/var/lib/sandboxctl-world-" + id_;
    if (!fs::exists(dir)) {
      EXPECT_EQ(Sh("mkdir -m 0755 " + dir.string() + " && chown " + runner_ + ": " + dir.string()), 0);
      cleanup_.push_back("rm -rf " + dir.string());
    }
    return dir;
  }
  std::vector<std::string> cleanup_;
};

TEST_P(DeveloperWorld, TheTmuxServerCannotBeToldToRunACommand) {
  // Where tmux keeps it by default: /tmp/tmux-UID/NAME.
  const std::string sock = "/tmp/tmux-" + Uid() + "/sbx" + id_;
  const fs::path marker = DeveloperDir() / "tmux-ran", control = DeveloperDir() / "tmux-control";
  cleanup_.push_back("rm -rf /tmp/tmux-" + Uid());
  ASSERT_EQ(AsDeveloper("tmux -L sbx" + id_ + " new-session -d sleep 600"), 0);
  ASSERT_TRUE(fs::exists(sock));
  ASSERT_EQ(AsDeveloper("tmux -S " + sock + " run-shell \"touch " + control.string() + "\""), 0);
  ASSERT_TRUE(fs::exists(control)) << "the attack must work from outside the sandbox";
  InsideShell("tmux -S " + sock + " run-shell 'touch " + marker.string() + "'");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(fs::exists(marker)) << "the developer's tmux server ran a command for the sandbox";
}

// GNU screen keeps its sockets in /run/screen/S-USER: a session of the developer's that
// the sandbox could attach to would type into the developer's shell.
TEST_P(DeveloperWorld, AScreenSessionCannotBeTypedInto) {
  const std::string session = "sbx" + id_;
  const fs::path marker = DeveloperDir() / "screen-ran", control = DeveloperDir() / "screen-control";
  cleanup_.push_back("runuser -u " + runner_ + " -- screen -S " + session + " -X quit");
  ASSERT_EQ(AsDeveloper("screen -dmS " + session + " /bin/sh"), 0);
  // The control case: the developer's own screen runs what is typed into it.
  for (int i = 0; i < 50 && !fs::exists(control); ++i) {
    AsDeveloper("screen -S " + session + " -X stuff \"touch " + control.string() + "\\n\"");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(fs::exists(control)) << "the attack must work from outside the sandbox";
  const std::string dir = "/run/screen/S-" + runner_;
  Outcome r = InsideShell("SCREENDIR=" + dir + " screen -S " + session + " -X stuff \"touch " + marker.string() +
                          "\\n\"; screen -ls; ls " + dir);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(fs::exists(marker)) << "the developer's screen session ran what the sandbox typed: " << r.out << r.err;
}

TEST_P(DeveloperWorld, TheSshAgentListsNoKeyToTheSandbox) {
  const fs::path dir = "/tmp/ssh-sbx" + id_, key = DeveloperDir() / "id_ed25519";
  const std::string sock = (dir / "agent.sock").string();
  cleanup_.push_back("rm -rf " + dir.string());
  cleanup_.push_back("pkill -u " + runner_ + " -f 'ssh-agent -a " + sock + "'");
  ASSERT_EQ(AsDeveloper("mkdir -m 0700 " + dir.string() + " && ssh-agent -a " + sock + " && ssh-keygen -q -t ed25519 -N \"\" -C sbx-key-" +
                        id_ + " -f " + key.string() + " && SSH_AUTH_SOCK=" + sock + " ssh-add -q " + key.string()),
            0);
  ASSERT_NE(Capture("runuser -u " + runner_ + " -- env SSH_AUTH_SOCK=" + sock + " ssh-add -l").find("sbx-key-" + id_),
            std::string::npos)
      << "the agent must list the key outside the sandbox";
  Outcome listed = InsideShell("SSH_AUTH_SOCK=" + sock + " ssh-add -l");
  EXPECT_EQ(listed.out.find("sbx-key-" + id_), std::string::npos) << "the sandbox listed the developer's key";
}

TEST_P(DeveloperWorld, ADaemonSocketInTheRuntimeDirectoryIsNotThere) {
  const fs::path run = "/run/user/" + Uid(), marker = DeveloperDir() / "daemon-ran";
  if (!fs::exists(run)) {
    ASSERT_EQ(Sh("mkdir -p -m 0700 " + run.string() + " && chown " + runner_ + ": " + run.string()), 0);
    cleanup_.push_back("rm -rf " + run.string());
  }
  const std::string sock = (run / ("daemon-" + id_)).string();
  bp::child daemon("/usr/bin/setpriv", bp::args = {"--reuid", Uid(), "--regid", Uid(), "--clear-groups", Probe(), "serve-unix", sock, marker.string()},
                   bp::std_out > bp::null);
  for (int i = 0; i < 100 && !fs::exists(sock); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(Capture("runuser -u " + runner_ + " -- " + Probe() + " unix " + sock), "ok\n");
  for (int i = 0; i < 100 && !fs::exists(marker); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(fs::exists(marker)) << "the daemon must act for a client outside the sandbox";
  fs::remove(marker);
  EXPECT_NE(Inside({"unix", sock}), "ok\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(fs::exists(marker)) << "the developer's daemon acted for the sandbox";
  daemon.terminate();
}

TEST_P(DeveloperWorld, AnotherTerminalCanBeNeitherReadNorWritten) {
  const int master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const std::string pts = ptsname(master);
  // As a login gives it to the developer: theirs, mode 0620.
  ASSERT_EQ(Sh("chown " + runner_ + " " + pts + " && chmod 0620 " + pts), 0);
  const int slave = open(pts.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK);  // keeps the line open
  ASSERT_GE(slave, 0);
  auto type = [&](const std::string& text) { ASSERT_EQ(write(master, text.data(), text.size()), static_cast<ssize_t>(text.size())); };
  auto pending = [&] {  // what is typed and not yet read, read now
    std::string got;
    char buf[64];
    for (ssize_t n = 0; (n = read(slave, buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
    return got;
  };
  type("first\n");
  ASSERT_EQ(Capture("runuser -u " + runner_ + " -- " + Probe() + " read " + pts), "ok\n") << "readable from outside";
  pending();
  type("hunter2\n");
  char echo[64];
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  while (read(master, echo, sizeof echo) > 0) {  // the line discipline's echo of what was typed
  }
  EXPECT_NE(Inside({"read", pts}), "ok\n");
  EXPECT_NE(Inside({"append", pts}), "ok\n");
  EXPECT_EQ(pending(), "hunter2\n") << "the sandbox read from the developer's other terminal";
  char forged[64];
  EXPECT_LE(read(master, forged, sizeof forged), 0) << "the sandbox wrote into the developer's other terminal";
  close(slave);
  close(master);
}

TEST_P(DeveloperWorld, ModesTimesAndAttributesOutsideTheWritableRootsStay) {
  const fs::path file = DeveloperDir() / "dotfile";
  ASSERT_EQ(Sh("echo x > " + file.string() + " && chown " + runner_ + ": " + file.string() + " && chmod 0644 " +
               file.string() + " && touch -d 2020-01-01 " + file.string()),
            0);
  const auto before = fs::last_write_time(file);
  InsideShell("chmod 0777 " + file.string() + "; touch " + file.string() + "; /usr/bin/python3 -c \"import os; os.setxattr('" +
              file.string() + "', 'user.sbx', b'1')\"");
  EXPECT_EQ(fs::status(file).permissions(), fs::perms(0644)) << "the sandbox changed a mode";
  EXPECT_EQ(fs::last_write_time(file), before) << "the sandbox changed a time stamp";
  EXPECT_EQ(listxattr(file.c_str(), nullptr, 0), 0) << "the sandbox set an attribute";
}

TEST_P(DeveloperWorld, TheRestOfHomeIsNotReadable) {
  const std::string home = Capture("getent passwd " + runner_ + " | cut -d: -f6 | tr -d '\\n'");
  ASSERT_EQ(home.rfind("/home/", 0), 0u) << home;
  cleanup_.push_back("rm -rf " + home);
  ASSERT_EQ(Sh("mkdir -p " + home + "/.config/git && echo https://dev:ghp_secret@example.org > " + home +
               "/.config/git/credentials && echo 'mysql -p hunter2' > " + home + "/.bash_history && chown -R " +
               runner_ + ": " + home + " && chmod 0700 " + home),  // as Debian 12 makes homes
            0);
  ASSERT_EQ(Capture("runuser -u " + runner_ + " -- " + Probe() + " read " + home + "/.config/git/credentials"), "ok\n");
  EXPECT_NE(Inside({"read", home + "/.config/git/credentials"}), "ok\n");
  EXPECT_NE(Inside({"read", home + "/.bash_history"}), "ok\n");
}

TEST_P(DeveloperWorld, NoSetuidOrSetgidFileIsLeftBehind) {
  const fs::path dir = ws_ / "suid";
  ASSERT_EQ(Sh("mkdir " + dir.string() + " && chown " + (user_mode_ ? std::string("root") : runner_) + ": " + dir.string()), 0);
  if (user_mode_) {
    ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);
  }
  Inside({"setuid-files", dir.string()});
  InsideShell("cp /bin/true " + dir.string() + "/copied && chmod 4755 " + dir.string() + "/copied; chmod g+s " +
              dir.string() + "/copied");
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto p = e.symlink_status().permissions();
    EXPECT_EQ(p & (fs::perms::set_uid | fs::perms::set_gid), fs::perms::none) << e.path() << " is setuid or setgid";
  }
  // Made without the bits, and then refused them: what chmod was tried on is there.
  EXPECT_TRUE(fs::exists(dir / "chmodded"));
  EXPECT_TRUE(fs::exists(dir / "copied"));
}

// A fresh workspace, or a monorepo's subdirectory: no .git at the writable root, so no
// mount can keep it read-only. What the command makes there is moved aside as it ends;
// the developer's next git in the workspace finds no repository of the sandbox's and runs
// none of its hooks or core.fsmonitor.
TEST_P(DeveloperWorld, AGitDirectoryTheCommandMakesIsMovedAsideWhenItEnds) {
  fs::remove_all(ws_ / ".git");
  if (user_mode_) {
    ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);
  }
  const fs::path marks = DeveloperDir(), ran = marks / "fsmonitor-ran";
  // The developer's git, outside: as the workspace's owner (root's takes the sandbox
  // user's repository only when told to, and is told to here).
  const std::string host_git = "cd " + ws_.string() + " && git -c safe.directory=\\* status --short";
  Outcome r = InsideShell("git init -q . && git config core.fsmonitor 'touch " + ran.string() + "; false' && echo made");
  EXPECT_EQ(r.out, "made\n") << r.err;
  if (user_mode_) {
    Sh(host_git + " >/dev/null 2>&1");
  } else {
    AsDeveloper(host_git);
  }
  EXPECT_FALSE(fs::exists(ran)) << "the developer's git ran the sandbox's core.fsmonitor";
  EXPECT_FALSE(fs::exists(ws_ / ".git")) << "the sandbox's repository stayed where git finds it";
  EXPECT_NE(r.err.find("the command made " + (ws_ / ".git").string()), std::string::npos) << r.err;
  std::vector<fs::path> moved;
  for (const auto& e : fs::directory_iterator(ws_)) {
    if (e.path().filename().string().rfind(".git.sandboxctl-quarantine-", 0) == 0) moved.push_back(e.path());
  }
  ASSERT_EQ(moved.size(), 1U) << r.err;
  EXPECT_TRUE(fs::exists(moved[0] / "config")) << "nothing the command made is lost";
  // A file works as well as a directory: "gitdir: ELSEWHERE".
  Outcome f = InsideShell("echo 'gitdir: /nonexistent' > .git");
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_FALSE(fs::exists(ws_ / ".git"));
}

// A workspace that is a worktree of a repository the view hides (in /tmp here): git
// follows the worktree's "gitdir:" pointer there, and the view shows both git directories,
// read-only.
TEST_P(DeveloperWorld, AWorktreesGitDirectoriesAreFollowedReadOnly) {
  const fs::path main = root_ / "main", wt = root_ / "wt";
  ASSERT_EQ(Sh("mkdir " + main.string() + " && cd " + main.string() + " && git init -q && echo one > README.txt && "
               "git add README.txt && git -c user.name=t -c user.email=t@example.org commit -q -m init && "
               "git worktree add -q " + wt.string() + " 2>/dev/null && rm -rf " + (ws_ / ".git").string() + " && mv " +
               (wt / ".git").string() + " " + (ws_ / ".git").string() + " && echo " + (ws_ / ".git").string() + " > " +
               (main / ".git/worktrees/wt/gitdir").string() + " && cp " + (wt / "README.txt").string() + " " +
               ws_.string() + " && chown -R " + (user_mode_ ? std::string("root") : runner_) + ": " + main.string() +
               " " + ws_.string()),
            0);
  if (user_mode_) {
    ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);
  }
  Outcome log = InsideShell("git -c safe.directory=\\* log --format=%s");
  EXPECT_EQ(log.out, "init\n") << log.err;
  const fs::path hook = main / ".git/hooks/post-checkout", index = main / ".git/worktrees/wt/HEAD";
  const std::string before = ReadFile(index);
  InsideShell("echo 'touch /tmp/x' > " + hook.string() + "; echo ref: refs/heads/evil > " + index.string());
  EXPECT_FALSE(fs::exists(hook)) << "the sandbox wrote a hook of the repository the worktree belongs to";
  EXPECT_EQ(ReadFile(index), before);
}

TEST_P(DeveloperWorld, NoOtherNamespaceCanBeJoined) {
  // Another sandbox of the same profile: through the runner its user namespace belongs
  // to the sandbox user, so a process of that user could join it and hold every capability.
  bp::ipstream out;
  bp::child other = ExecInBackground({"--", "/bin/sh", "-c", "echo ready; sleep 30; echo sbxother" + id_}, out);
  std::string line;
  ASSERT_TRUE(std::getline(out, line));
  const std::string pid = Capture("pgrep -f '^/bin/sh -c echo ready; sleep 30; echo sbxother" + id_ + "' | tr -d '\\n'");
  ASSERT_FALSE(pid.empty());
  EXPECT_NE(Inside({"setns", "/proc/" + pid + "/ns/user"}), "ok\n");
  EXPECT_NE(Inside({"setns", "/proc/" + pid + "/ns/mnt"}), "ok\n");
  EXPECT_EQ(Inside({"setns", "/proc/self/ns/user"}), "EPERM\n") << "seccomp refuses setns itself";
  Sh("pkill -KILL -f 'sbxother" + id_ + "'");
  other.wait();
}

TEST_P(DeveloperWorld, KillingExecEndsTheSandbox) {
  bp::ipstream out;
  bp::child child = ExecInBackground({"--", "/bin/sh", "-c", "echo ready; sleep 60; echo sbxkill" + id_}, out);
  std::string line;
  ASSERT_TRUE(std::getline(out, line));
  kill(SandboxctlPid(child), SIGKILL);  // sandboxctl itself (or the runner it became), not runuser
  child.wait();
  std::string left;
  for (int i = 0; i < 50; ++i) {
    left = Capture("pgrep -f '^/bin/sh -c echo ready; sleep 60; echo sbxkill" + id_ + "' || true");
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(left, "") << "the sandbox outlived the exec that was killed";
  Sh("pkill -KILL -f 'sbxkill" + id_ + "'");
}

TEST_P(DeveloperWorld, SharedMemoryAndHostProcesses) {
  Outcome mp = InsideShell("/usr/bin/python3 -c 'import multiprocessing as m; l = m.Lock(); q = m.Queue(); q.put(1); print(q.get())'");
  EXPECT_EQ(mp.out, "1\n") << mp.err;
  // The sandbox's /proc is its PID namespace's (in user mode the host's, where the
  // sandbox user can signal or trace nothing of anyone else's).
  const std::string seen = InsideShell("test -e /proc/" + std::to_string(sleeper_.id()) + " && echo visible || echo hidden").out;
  EXPECT_EQ(seen, user_mode_ ? "visible\n" : "hidden\n");
}

// On a terminal (a tmux pane), a command that reads it at once is not stopped by
// SIGTTIN: the terminal is the sandbox's before the command starts.
TEST_P(DeveloperWorld, ACommandThatReadsTheTerminalAtOnceIsNeverStopped) {
  const std::string server = "sbxtty" + id_;
  cleanup_.push_back("tmux -L " + server + " kill-server");
  std::string line = AsTestUser() ? "exec runuser -u " + runner_ + " -- " : "exec ";
  line += (root_ / "bin/sandboxctl").string();
  for (const auto& a : ExecArgs("offline", {"--", "/bin/sh", "-c", "read x; echo got-$x"})) line += " '" + a + "'";
  std::ofstream(root_ / "tty.sh") << "cd " << ws_.string() << " && " << line << "\n";
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Sh("tmux -L " + server + " new-session -d -s run" + std::to_string(i) + " 'sh " + (root_ / "tty.sh").string() +
                 "; echo exit-$?; sleep 60'"),
              0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_EQ(Sh("tmux -L " + server + " send-keys -t run" + std::to_string(i) + " hello Enter"), 0);
    std::string screen;
    for (int t = 0; t < 50 && screen.find("exit-") == std::string::npos; ++t) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      screen = Capture("tmux -L " + server + " capture-pane -p -t run" + std::to_string(i));
    }
    EXPECT_NE(screen.find("got-hello"), std::string::npos) << "run " << i << ":\n" << screen;
    EXPECT_NE(screen.find("exit-0"), std::string::npos) << "run " << i << ":\n" << screen;
    Sh("tmux -L " + server + " kill-session -t run" + std::to_string(i));
  }
}

// What only namespace isolation has: in user isolation ${tmp} is what apply made.
class NamespaceWorld : public DeveloperWorld {};

// auto never picks the weaker mode without a word; --quiet keeps it quiet.
TEST_P(NamespaceWorld, AutoSaysWhenItPicksNamespaceIsolation) {
  std::vector<std::string> args = ExecArgs("offline", {"--", "true"});
  *(std::find(args.begin(), args.end(), "--isolation") + 1) = "auto";
  Outcome said = Exe((root_ / "bin/sandboxctl").string(), args, runner_);
  EXPECT_EQ(said.exit_code, 0) << said.err;
  EXPECT_EQ(said.err, "sandboxctl exec: namespace isolation: profile 'offline' is not applied for this workspace, or "
                      "you are not in group '" + Group() + "'\n");
  args.insert(args.end() - 2, "--quiet");
  Outcome quiet = Exe((root_ / "bin/sandboxctl").string(), args, runner_);
  EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
}

// A writable root outside the workspace that no rule accepts is the first thing trust
// shows; a tool cache is not on that list.
TEST_P(NamespaceWorld, TrustShowsFirstWhatIsWritableOutsideTheWorkspace) {
  const fs::path outside = "/srv/sandboxctl-shared-" + id_;  // named, never made
  std::ofstream(ws_ / ".sandboxctl/wide.toml")
      << "version = 1\nextends = \"./offline.toml\"\n[filesystem]\nwritable = [\"" << outside.string() << "\"]\n";
  Outcome shown = TrustCommand({});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const size_t review = shown.out.find("Review these first"), listed = shown.out.find("  wide (");
  ASSERT_NE(review, std::string::npos) << shown.out;
  EXPECT_LT(review, listed) << shown.out;
  EXPECT_NE(shown.out.find("    wide: " + outside.string() + ": outside the workspace\n"), std::string::npos) << shown.out;
  EXPECT_EQ(shown.out.find("    offline: "), std::string::npos) << "offline writes nothing outside: " << shown.out;
  Outcome machine = Exe((root_ / "bin/sandboxctl").string(),
                        {"--json", "--machine-profiles", "", "--builtin-profiles", (root_ / "share").string(), "trust",
                         "--trust-store", TrustStore().string()},
                        runner_);
  ASSERT_EQ(machine.exit_code, 0) << machine.err;
  const auto parsed = nlohmann::json::parse(machine.out);
  ASSERT_EQ(parsed["review"].size(), 1U) << machine.out;
  EXPECT_EQ(parsed["review"][0]["path"], outside.string());
  EXPECT_EQ(parsed["review"][0]["profile"], "wide");
}

// Outside any project, exec says which directory became the workspace and how to choose.
TEST_P(NamespaceWorld, OutsideAnyWorkspaceExecSaysWhichDirectoryItTook) {
  const fs::path plain = root_ / "notes";
  ASSERT_EQ(Sh("install -d -o " + runner_ + " " + plain.string()), 0);
  // The built-in profiles, as installed beside the binary: no workspace has any here.
  for (const auto& e : fs::directory_iterator(fs::path(SANDBOXCTL_BIN).parent_path() / "../share/sandboxctl/profiles")) {
    fs::copy_file(e.path(), root_ / "share" / e.path().filename(), fs::copy_options::overwrite_existing);
  }
  std::string line = "cd " + plain.string() + " && exec " + (root_ / "bin/sandboxctl").string();
  for (const auto& a : ExecArgs("offline", {"--", "pwd"})) line += " '" + a + "'";
  Outcome r = Exe("/bin/sh", {"-c", line}, runner_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, plain.string() + "\n");
  EXPECT_NE(r.err.find("no workspace (.sandboxctl or .git) at or above " + plain.string() +
                       "; it is the workspace now. Run exec in a project directory, or give --workspace DIR"),
            std::string::npos)
      << r.err;
}

// A profile may run in user isolation only: without apply, nothing runs.
TEST_P(NamespaceWorld, AProfileThatRequiresUserIsolationNeverRunsInANamespace) {
  std::ofstream(ws_ / ".sandboxctl/useronly.toml")
      << "version = 1\nextends = \"./offline.toml\"\nisolation = \"user\"\n";
  for (const char* isolation : {"auto", "namespace"}) {
    std::vector<std::string> args = ExecArgs("useronly", {"--", "/bin/sh", "-c", "echo x > ran"});
    *(std::find(args.begin(), args.end(), "--isolation") + 1) = isolation;
    Outcome r = Exe((root_ / "bin/sandboxctl").string(), args, runner_);
    EXPECT_EQ(r.exit_code, 125) << isolation << ": " << r.err;
    EXPECT_NE(r.err.find("runs in user isolation only (isolation = \"user\", .sandboxctl/useronly.toml)"), std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(ws_ / "ran")) << "the command ran in namespace isolation (" << isolation << ")";
  }
}

// Another local user makes the developer's scratch directory first, with a .gitconfig in
// it (HOME is ${tmp}): exec is neither blocked nor given the planted file.
TEST_P(NamespaceWorld, ScratchPlacesOthersMadeFirstChangeNothing) {
  const std::string other = "sbxq-" + id_, squat = (root_ / "tmp" / ("user-" + Uid())).string();
  cleanup_.push_back("userdel " + other);
  ASSERT_EQ(Sh("useradd --no-create-home --shell /bin/sh " + other + " && chmod 1777 " + (root_ / "tmp").string() +
               " && runuser -u " + other + " -- sh -c 'mkdir -m 0777 " + squat + " && mkdir -m 0777 " + squat +
               "/offline && echo \"[core] fsmonitor = touch /tmp/planted\" > " + squat + "/offline/.gitconfig'"),
            0);
  Outcome r = InsideShell("cat $HOME/.gitconfig 2>/dev/null; echo ran");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ran\n") << "the planted file was the sandbox's";
}

// What a sandbox can write it cannot make the policy of a later run: an edited profile is
// refused until trusted again, a profile planted below the trusted workspace changes
// nothing. Both plants drop the .git carve-out; the effect looked for is a file in .git.
TEST_P(NamespaceWorld, EditedOrPlantedProfilesNeverTakeEffectUntrusted) {
  const std::string loose = "version = 1\n[identity]\nuser = \"sbxe-" + id_ +
                            "\"\n[filesystem]\nwritable = [\"${workspace}\", \"${tmp}\"]\n[network]\nmode = \"offline\"\n";
  const fs::path planted = ws_ / ".git/planted";
  // Planted in a subdirectory, naming the whole workspace writable: the run from there
  // belongs to the trusted workspace.
  fs::create_directories(ws_ / "src/.sandboxctl");
  std::string wide = loose;
  wide.replace(wide.find("${workspace}"), 12, ws_.string());
  std::ofstream(ws_ / "src/.sandboxctl/offline.toml") << wide;
  ASSERT_EQ(Sh("chown -R " + runner_ + ": " + (ws_ / "src").string()), 0);
  std::string line = "cd " + (ws_ / "src").string() + " && exec " + (root_ / "bin/sandboxctl").string();
  for (const auto& a : ExecArgs("offline", {"--", "/bin/sh", "-c", "echo x > " + planted.string()})) line += " '" + a + "'";
  Outcome below = Exe("/bin/sh", {"-c", line}, runner_);
  EXPECT_NE(below.exit_code, 125) << "the trusted profile runs: " << below.err;
  EXPECT_FALSE(fs::exists(planted)) << "the profile planted below the workspace took effect";
  // Edited in place: refused, saying what changed and what trusts it.
  const std::string trusted = ReadFile(ws_ / ".sandboxctl/offline.toml");
  std::ofstream(ws_ / ".sandboxctl/offline.toml", std::ios::trunc) << loose;
  Outcome edited = InsideShell("echo x > " + planted.string());
  EXPECT_EQ(edited.exit_code, 125);
  EXPECT_EQ(edited.err, "sandboxctl exec: the profiles of " + ws_.string() + " are not trusted for namespace isolation: "
                        "'.sandboxctl/offline.toml' changed since you trusted it; see what they allow and trust them "
                        "with 'sandboxctl trust --workspace " + ws_.string() + "'\n");
  EXPECT_FALSE(fs::exists(planted)) << "the edited profile took effect";
  // Trusting it is the developer's decision: then it runs, until revoked.
  Outcome shown = TrustCommand({});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("  '.sandboxctl/offline.toml' changed since you trusted it\n"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("    writes: " + ws_.string()), std::string::npos) << shown.out;
  EXPECT_EQ(InsideShell("true").exit_code, 0);
  EXPECT_NE(TrustCommand({"--list"}).out.find(ws_.string() + "\n  .sandboxctl/offline.toml\n"), std::string::npos);
  EXPECT_EQ(TrustCommand({"--revoke"}).out, "No longer trusted: " + ws_.string() + "\n");
  EXPECT_EQ(InsideShell("true").exit_code, 125);
  std::ofstream(ws_ / ".sandboxctl/offline.toml", std::ios::trunc) << trusted;
}

// A profile that names no ${tmp}, like the built-in base, still gets a TMPDIR of its own.
TEST_P(NamespaceWorld, WithoutATmpTheRunStillHasAPrivateTmpdir) {
  std::ofstream(ws_ / ".sandboxctl/notmp.toml")
      << "version = 1\n[identity]\nuser = \"sbxf-" << id_ << "\"\n[filesystem]\nwritable = [\"${workspace}\"]\n"
      << "[network]\nmode = \"offline\"\n";
  Trust();
  Outcome first = InsideShell("echo $TMPDIR; echo x > $TMPDIR/left-" + id_ + " && echo written", "notmp");
  EXPECT_EQ(first.out, "/tmp\nwritten\n") << first.err;
  Outcome second = InsideShell("test -e $TMPDIR/left-" + id_ + " && echo seen || echo unseen", "notmp");
  EXPECT_EQ(second.out, "unseen\n") << "a file another run left in TMPDIR is visible";
  EXPECT_FALSE(fs::exists("/tmp/left-" + id_));
}

// The first user of a Debian, Ubuntu or Fedora machine is in sudo (or wheel) and adm:
// namespace isolation runs for them, and the groups get the sandbox nothing. The test user
// is made root-equivalent for real (passwordless sudo), and in adm and shadow.
TEST_P(NamespaceWorld, MembersOfSudoAdmAndShadowRunButTheirGroupsGiveNothing) {
  const fs::path sudoers = "/etc/sudoers.d/sbx-" + id_, log = "/var/log/sbx-" + id_ + ".log";
  const fs::path marker = "/root/sbx-sudo-" + id_, control = "/root/sbx-sudo-control-" + id_;
  cleanup_.push_back("rm -f " + sudoers.string() + " " + log.string() + " " + marker.string() + " " + control.string());
  ASSERT_EQ(Sh("usermod -aG sudo,adm,shadow " + runner_ + " && echo '" + runner_ + " ALL=(ALL) NOPASSWD: ALL' > " +
               sudoers.string() + " && chmod 0440 " + sudoers.string() + " && echo 'log line' > " + log.string() +
               " && chown root:adm " + log.string() + " && chmod 0640 " + log.string()),
            0);
  // Outside the sandbox the groups are what they say.
  ASSERT_EQ(AsDeveloper("sudo -n touch " + control.string()), 0);
  ASSERT_TRUE(fs::exists(control)) << "the test user must be able to act as root outside the sandbox";
  ASSERT_EQ(Capture("runuser -u " + runner_ + " -- " + Probe() + " read " + log.string()), "ok\n");
  ASSERT_EQ(Capture("runuser -u " + runner_ + " -- " + Probe() + " read /etc/shadow"), "ok\n");
  Outcome attempt = InsideShell("sudo -n touch " + marker.string() + "; echo ran");
  EXPECT_EQ(attempt.out, "ran\n") << "namespace isolation refused a member of sudo: " << attempt.err;
  EXPECT_FALSE(fs::exists(marker)) << "sudo ran a command as root for the sandbox";
  EXPECT_NE(Inside({"read", log.string()}), "ok\n") << "adm's logs are readable in the sandbox";
  EXPECT_NE(Inside({"read", "/etc/shadow"}), "ok\n") << "the password hashes are readable in the sandbox";
}

TEST_P(DeveloperWorld, TheCommandKnowsWhereItRuns) {
  EXPECT_EQ(Inside({"env", "SANDBOXCTL_PROFILE"}), "offline\n");
  EXPECT_EQ(Inside({"env", "SANDBOXCTL_ISOLATION"}), Isolation() + "\n");
}

// What only user isolation has: an applied workspace.
class AppliedWorld : public DeveloperWorld {
 protected:
  // Exec with --isolation auto, started in `subdir` of the workspace.
  Outcome ExecAutoFrom(const std::string& subdir, const std::vector<std::string>& rest) {
    std::vector<std::string> args = ExecArgs("offline", rest);
    *(std::find(args.begin(), args.end(), "--isolation") + 1) = "auto";
    std::string line = "cd " + (ws_ / subdir).string() + " && exec " + (root_ / "bin/sandboxctl").string();
    for (const auto& a : args) line += " '" + a + "'";
    return Exe("/bin/sh", {"-c", line}, AsTestUser() ? runner_ : "");
  }
};

// A profile the sandbox could have written in a subdirectory of the applied workspace:
// a run started there never moves to namespace isolation under it.
TEST_P(AppliedWorld, APlantedWorkspaceBelowAnAppliedOneIsRefusedNotFallenBackTo) {
  // It makes a directory of the developer's writable that the applied profile does not name.
  const fs::path mine = "/tmp/sbx-planted-" + id_, out = mine / "planted-policy-wrote";
  cleanup_.push_back("rm -rf " + mine.string());
  ASSERT_EQ(Sh("mkdir -m 0700 " + mine.string() + " && chown " + runner_ + ": " + mine.string()), 0);
  // Where a namespace run of the test user would keep its ${tmp}: there, so that nothing
  // but the refusal can stop the fallback.
  ASSERT_EQ(Sh("chmod 0711 " + (root_ / "tmp").string() + " && install -d -m 0700 -o " + runner_ + " " +
               (root_ / "tmp" / ("user-" + Uid())).string()),
            0);
  fs::create_directories(ws_ / "src/.sandboxctl");
  std::ofstream(ws_ / "src/.sandboxctl/offline.toml")
      << "version = 1\n[filesystem]\nwritable = [\"${workspace}\", \"" << mine.string() << "\"]\n[network]\nmode = \"offline\"\n";
  ASSERT_EQ(Sh("chown -R " + (via_runner_ ? runner_ : std::string("root")) + ": " + (ws_ / "src").string()), 0);
  Outcome r = ExecAutoFrom("src", {"--", "/bin/sh", "-c", "echo x > " + out.string()});
  EXPECT_EQ(r.exit_code, 125) << r.err;
  EXPECT_NE(r.err.find("lies inside " + ws_.string() + ", where profile 'offline' is applied"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out)) << "the planted profile took effect";
  // From the workspace itself, auto is user isolation.
  Outcome here = ExecAutoFrom(".", {"--", Probe(), "env", "SANDBOXCTL_ISOLATION"});
  EXPECT_EQ(here.out, "user\n") << here.err;
}

// A workspace inside a larger repository (a monorepo's package): the sandbox user's git
// finds the repository above the workspace, which the developer owns, and works there
// instead of refusing it as "dubious ownership".
TEST_P(AppliedWorld, GitWorksInAWorkspaceInsideALargerRepository) {
  MakeRepository();
  const fs::path pkg = ws_ / "pkg";
  fs::create_directories(pkg / ".sandboxctl");
  std::ofstream(pkg / ".sandboxctl/offline.toml")
      << "version = 1\n[identity]\nuser = \"sbxf-" << id_ << "\"\n[filesystem]\nwritable = [\"${workspace}\", \"${tmp}\"]\n"
      << "[network]\nmode = \"offline\"\n";
  std::ofstream(pkg / "mod.py") << "x = 1\n";
  auto from_pkg = [&](const std::vector<std::string>& args, const std::string& as_user,
                      const std::map<std::string, std::string>& env) {
    std::string line = "cd " + pkg.string() + " && exec " + (root_ / "bin/sandboxctl").string();
    for (const auto& a : args) line += " '" + a + "'";
    return Exe("/bin/sh", {"-c", line}, as_user, env);
  };
  Outcome applied = from_pkg({"--machine-profiles", "", "--builtin-profiles", (root_ / "share").string(), "apply", "--yes",
                              "--state-dir", (root_ / "state").string(), "--log-dir", (root_ / "log").string(),
                              "--unit-dir", (root_ / "units").string(), "--runner-group", Group(), "--runner-dir",
                              (root_ / "runner").string(), "--nft-table", "sbxtest_" + id_, "--tmp-root",
                              (root_ / "tmp").string()},
                             "", via_runner_ ? SudoEnv() : std::map<std::string, std::string>{});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  Outcome git = from_pkg(ExecArgs("offline", {"--", "git", "status", "--short", "--untracked-files=all", "."}), AsTestUser() ? runner_ : "", {});
  EXPECT_EQ(git.exit_code, 0) << git.err;
  EXPECT_EQ(git.err.find("dubious ownership"), std::string::npos) << git.err;
  EXPECT_NE(git.out.find("mod.py"), std::string::npos) << git.out;
  Outcome gone = from_pkg({"--machine-profiles", "", "--builtin-profiles", (root_ / "share").string(), "destroy", "--yes",
                           "--state-dir", (root_ / "state").string(), "--log-dir", (root_ / "log").string(),
                           "--unit-dir", (root_ / "units").string(), "--runner-group", Group(), "--runner-dir",
                           (root_ / "runner").string()},
                          "", {});
  EXPECT_EQ(gone.exit_code, 0) << gone.err;
}

// One apply converges, and real work in the sandbox does not undo it: a profile edited,
// applied once, then git, a C build and pytest inside, with the files they make (objects,
// __pycache__, .pytest_cache, git's refreshed index outside the read-only .git) under the
// workspace's default entries. plan finds nothing to do and status --deep is in sync.
TEST_P(AppliedWorld, ApplyConvergesOnceAndStaysConvergedAfterRealWork) {
  MakeRepository();
  fs::create_directories(ws_ / "docs");
  std::ofstream(ws_ / "docs/guide.md") << "# guide\n";
  std::ofstream(ws_ / "main.c") << "int main(void) { return 0; }\n";
  fs::create_directories(ws_ / "pkg");
  std::ofstream(ws_ / "pkg/__init__.py") << "";
  std::ofstream(ws_ / "pkg/calc.py") << "def add(a, b):\n    return a + b\n";
  std::ofstream(ws_ / "test_calc.py") << "from pkg.calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n";
  ASSERT_EQ(Sh("chown -R root: " + ws_.string()), 0);
  ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);
  // The profile edited: one more carve-out.
  std::ofstream(ws_ / ".sandboxctl/offline.toml")
      << "version = 1\n[identity]\nuser = \"sbxe-" << id_ << "\"\n"
      << "[filesystem]\nwritable = [\"${workspace}\", \"${tmp}\"]\nread_only = [\"${workspace}/.git\", "
         "\"${workspace}/docs\"]\ndeny_read = [\"${workspace}/.env\"]\n[network]\nmode = \"offline\"\nloopback = true\n";
  Outcome edited = Sandboxctl({"apply", "--yes"});
  ASSERT_EQ(edited.exit_code, 0) << edited.err;
  Outcome plan = Sandboxctl({"plan"});
  EXPECT_EQ(plan.out, "No changes.\n") << "one apply after an edit did not converge:\n" << plan.out;
  Outcome work = InsideShell("git status --short >/dev/null && mkdir -p build && cc -o build/app main.c && ./build/app && "
                             "/usr/bin/python3 -m pytest -q test_calc.py >/dev/null && echo worked");
  ASSERT_EQ(work.out, "worked\n") << work.err;
  ASSERT_TRUE(fs::exists(ws_ / ".pytest_cache"));
  Outcome after = Sandboxctl({"plan"});
  EXPECT_EQ(after.out, "No changes.\n") << "the sandbox's work made apply want changes:\n" << after.out;
  Outcome deep = Sandboxctl({"status", "--deep"});
  EXPECT_EQ(deep.exit_code, 0) << deep.out << deep.err;
  // No plain file was made group-executable by a widened mask.
  EXPECT_EQ(Capture("find " + ws_.string() + " -type f -perm -g+x ! -perm -u+x"), "");
}

INSTANTIATE_TEST_SUITE_P(Isolation, DeveloperWorld, ::testing::Values("user", "runner", "namespace"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(Isolation, AppliedWorld, ::testing::Values("user", "runner"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(Isolation, NamespaceWorld, ::testing::Values("namespace"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// What destroy gives back after real work in the sandbox.
class DestroyGivesBack : public ExecTest {};

// The developer owns the workspace; the sandbox builds in it and in ${tmp} (its HOME):
// files, a closed directory, a FIFO, a link to /etc, a tree 5000 directories deep, and a
// setuid program of the sandbox user's (left by a run before setuid bits were refused).
// After destroy nothing in the workspace has the freed uid, no setuid bit is left, the
// developer reads and removes all of it, and ${tmp} is gone, depth and all.
TEST_P(DestroyGivesBack, EveryFileTheSandboxMadeGoesToTheOwnerOfItsRoot) {
  ASSERT_EQ(Sh("chown -R " + runner_ + ": " + ws_.string()), 0);
  ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);
  const std::string deep = "python3 -c \"import os\nfor i in range(5000): os.mkdir('d'); os.chdir('d')\"";
  Outcome built = InsideShell("mkdir -p build/obj && echo int > build/obj/a.o && mkfifo build/fifo && ln -s /etc build/etc && "
                              "mkdir build/closed && echo x > build/closed/f && chmod 000 build/closed build/obj/a.o && "
                              "(cd build && " + deep + ") && (cd \"$TMPDIR\" && " + deep + ") && echo built");
  ASSERT_EQ(built.out, "built\n") << built.err;
  std::string uid = Capture("id -u sbxe-" + id_);
  uid.pop_back();
  ASSERT_EQ(Sh("cp /bin/true " + (ws_ / "build/suid").string() + " && chown " + uid + " " + (ws_ / "build/suid").string() +
               " && chmod 6755 " + (ws_ / "build/suid").string()),
            0);
  ASSERT_NE(Capture("find " + ws_.string() + " -uid " + uid + " | head -1"), "") << "the sandbox made nothing";
  std::string tmp;
  for (const auto& e : fs::directory_iterator(root_ / "tmp")) tmp = e.path().string();
  ASSERT_FALSE(tmp.empty());
  // With the descriptors a login gets (1024 on Debian), fewer than the tree is deep.
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
  rlimit few = before;
  few.rlim_cur = 1024;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &few), 0);
  Outcome destroyed = Sandboxctl({"destroy", "--yes"});
  setrlimit(RLIMIT_NOFILE, &before);
  ASSERT_EQ(destroyed.exit_code, 0) << destroyed.out << destroyed.err;
  EXPECT_EQ(Capture("find " + ws_.string() + " -uid " + uid), "") << "files kept the freed uid";
  EXPECT_EQ(Capture("find " + ws_.string() + " -perm /6000"), "") << "a setuid or setgid file is left";
  EXPECT_FALSE(fs::exists(tmp)) << "destroy left " << tmp;
  EXPECT_EQ(Sh("runuser -u " + runner_ + " -- sh -c 'cat " + (ws_ / "build/obj/a.o").string() + " " +
               (ws_ / "build/closed/f").string() + " >/dev/null && rm -rf " + (ws_ / "build").string() + "'"),
            0);
  EXPECT_FALSE(fs::exists(ws_ / "build")) << "the developer could not remove what the sandbox made";
}

// A command runs under an allowlist profile (no network namespace: the firewall rules
// are all that stops it) and keeps trying a host the rules refuse. destroy without --yes
// lists it and removes nothing; with --yes it ends the command before any rule goes, so
// not one connection gets through.
TEST_P(DestroyGivesBack, NoRuleGoesWhileACommandOfItsUserRuns) {
  std::ofstream(ws_ / ".sandboxctl/net.toml")
      << "version = 1\n[identity]\nuser = \"sbxf-" << id_ << "\"\n[filesystem]\nwritable = [\"${workspace}\", \"${tmp}\"]\n"
      << "[network]\nmode = \"allowlist\"\nallow = [\"127.0.0.1/32:7778\"]\n";
  ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);
  bp::ipstream out;
  bp::child running = ExecInBackground(
      {"--", "/bin/sh", "-c", "while :; do " + Probe() + " tcp 198.18.77.2 7777; sleep 0.01; done"}, out, "net");
  std::string line;
  ASSERT_TRUE(std::getline(out, line)) << "the command never tried";
  EXPECT_NE(line, "ok") << "the rules let the command through before destroy";
  Outcome refused = Sandboxctl({"destroy"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("sandboxed commands are running:\n  sbxf-" + id_ + ": pid "), std::string::npos) << refused.err;
  EXPECT_TRUE(running.running());
  EXPECT_NE(Capture("getent passwd sbxf-" + id_), "") << "destroy removed something it refused to do";
  Outcome destroyed = Sandboxctl({"destroy", "--yes"});
  EXPECT_EQ(destroyed.exit_code, 0) << destroyed.out << destroyed.err;
  EXPECT_NE(destroyed.out.find("Ended "), std::string::npos) << destroyed.out;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // what a surviving command would still try
  for (int i = 0; i < 100 && running.running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(running.running()) << "the command outlived destroy";
  if (running.running()) Sh("pkill -KILL -u sbxf-" + id_ + "; sleep 0.3");
  running.wait();
  int tries = 0, through = 0;
  while (std::getline(out, line)) {
    ++tries;
    if (line == "ok") ++through;
  }
  EXPECT_EQ(through, 0) << through << " of " << tries << " connections got through while destroy ran";
}

INSTANTIATE_TEST_SUITE_P(Isolation, DestroyGivesBack, ::testing::Values("user", "runner"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// What the machine cannot enforce right now is refused, with the command that fixes it.
class ExecFailClosed : public ExecTest {};

TEST_P(ExecFailClosed, NamespaceIsolationNeverRunsCommandsAsRoot) {
  std::vector<std::string> args = ExecArgs("offline", {"--", "true"});
  args[std::find(args.begin(), args.end(), "--isolation") - args.begin() + 1] = "namespace";
  Outcome refused = Exe((root_ / "bin/sandboxctl").string(), args, "");  // root, not through sudo
  EXPECT_EQ(refused.exit_code, 125);
  EXPECT_NE(refused.err.find("namespace isolation does not run commands as root"), std::string::npos) << refused.err;
  // Under sudo, as the user sudo was run by, whose trust store decides.
  Trust();
  args.back() = "id";
  args.emplace_back("-u");
  const std::string uid = Capture("id -u " + runner_);
  Outcome sudo = Exe((root_ / "bin/sandboxctl").string(), args, "",
                     {{"SUDO_USER", runner_}, {"SUDO_UID", uid.substr(0, uid.size() - 1)}});
  EXPECT_EQ(sudo.exit_code, 0) << sudo.err;
  EXPECT_EQ(sudo.out, uid);
}

// An exec that found the rules in place marks the ruleset generation it found them at, so
// the next exec need not list them: any change of the ruleset must make it list again.
TEST_P(ExecFailClosed, MissingFirewallRulesRefuseUntilRestored) {
  ASSERT_EQ(InsideShell("true").exit_code, 0);
  const std::string marks = "ls " + (root_ / "state/launch").string() + " | grep -c '[.]checked$'";
  EXPECT_EQ(Capture(marks), "1\n");
  ASSERT_EQ(Sh("nft flush table inet sbxtest_" + id_), 0);
  Outcome refused = InsideShell("true");
  EXPECT_EQ(refused.exit_code, 125);
  EXPECT_NE(refused.err.find("run 'sudo sandboxctl restore'"), std::string::npos) << refused.err;
  ASSERT_EQ(Sandboxctl({"restore"}).exit_code, 0);
  EXPECT_EQ(InsideShell("true").exit_code, 0);
  EXPECT_EQ(InsideShell("true").exit_code, 0);  // through the mark
}

TEST_P(ExecFailClosed, OneRuleDeletedAfterAnExecIsNoticed) {
  ASSERT_EQ(InsideShell("true").exit_code, 0);
  ASSERT_EQ(InsideShell("true").exit_code, 0);
  // The offline reject rule of the sandbox user, by its handle.
  const std::string table = "inet sbxtest_" + id_;
  const std::string handle = Capture("nft -a list table " + table + " | grep -m1 'skuid' | sed 's/.*# handle //'");
  ASSERT_FALSE(handle.empty());
  ASSERT_EQ(Sh("nft delete rule " + table + " output handle " + handle), 0) << handle;
  Outcome refused = InsideShell("true");
  EXPECT_EQ(refused.exit_code, 125);
  EXPECT_NE(refused.err.find("is missing"), std::string::npos) << refused.err;
  ASSERT_EQ(Sandboxctl({"restore"}).exit_code, 0);
  EXPECT_EQ(InsideShell("true").exit_code, 0);
}

TEST_P(ExecFailClosed, ADeletedSandboxUserRefusesUntilApplied) {
  ASSERT_EQ(Sh("userdel sbxe-" + id_), 0);
  Outcome refused = InsideShell("true");
  EXPECT_EQ(refused.exit_code, 125);
  EXPECT_NE(refused.err.find("user:sbxe-" + id_ + " is missing"), std::string::npos) << refused.err;
  ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);
  EXPECT_EQ(InsideShell("true").exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Isolation, ExecFailClosed, ::testing::Values("user"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// As root and through the runner alike.
class ExecAppliedFailClosed : public ExecTest {};

TEST_P(ExecAppliedFailClosed, ANewDenyReadPathRefusesUntilApplied) {
  std::ofstream(ws_ / "id_rsa") << "key\n";
  std::string profile = ReadFile(ws_ / ".sandboxctl/offline.toml");
  const std::string key = "deny_read = [";
  profile.replace(profile.find(key), key.size(), key + "\"${workspace}/id_rsa\", ");
  std::ofstream(ws_ / ".sandboxctl/offline.toml") << profile;
  Outcome refused = InsideShell("cat id_rsa");
  EXPECT_EQ(refused.exit_code, 125);
  EXPECT_EQ(refused.out, "");
  EXPECT_NE(refused.err.find("changed since it was applied"), std::string::npos) << refused.err;
  ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);
  Outcome denied = InsideShell("cat id_rsa");
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_EQ(denied.out, "");
}

// An apply or destroy under way (or killed) leaves its mark: exec waits for it to go, up
// to --lock-timeout, then runs under what it left; still there after that, it refuses.
TEST_P(ExecAppliedFailClosed, AnExecDuringAnApplyWaitsForItThenRuns) {
  std::ofstream(root_ / "state/launch/busy") << "";
  Outcome refused = Exec({"--lock-timeout", "1", "--", "true"});
  EXPECT_EQ(refused.exit_code, 125);
  EXPECT_EQ(refused.err, "sandboxctl exec: an apply or destroy is changing this machine (or was interrupted), still "
                         "after 1 s; wait for it, or run 'sudo sandboxctl apply'\n");
  bp::ipstream out;
  bp::child waiting = ExecInBackground({"--lock-timeout", "30", "--", "/bin/echo", "ran"}, out);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_TRUE(waiting.running()) << "exec did not wait for the apply";
  fs::remove(root_ / "state/launch/busy");  // the apply finishes
  ASSERT_TRUE(waiting.wait_for(std::chrono::seconds(20)));
  EXPECT_EQ(waiting.exit_code(), 0);
  std::string line;
  std::getline(out, line);
  EXPECT_EQ(line, "ran");
  // A mark an apply left when it was killed goes with the next apply.
  std::ofstream(root_ / "state/launch/busy") << "";
  Outcome again = Sandboxctl({"apply", "--yes"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "No changes.\n");
  EXPECT_FALSE(fs::exists(root_ / "state/launch/busy"));
  EXPECT_EQ(InsideShell("true").exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Isolation, ExecAppliedFailClosed, ::testing::Values("user", "runner"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// The runner takes from its caller only which launch record to use, trusts nothing but
// root's files, and refuses what it cannot stand behind.
class RunnerFailClosed : public ExecTest {
 protected:
  std::string Runner() const { return (root_ / "runner/sandboxctl-runner").string(); }
  Outcome RunnerAs(const std::string& user, const std::vector<std::string>& args) { return Exe(Runner(), args, user); }
};

TEST_P(RunnerFailClosed, IsInstalledWithTwoCapabilitiesForItsGroupOnly) {
  EXPECT_EQ(Capture("getcap " + Runner()), Runner() + " cap_setgid,cap_setuid=ep\n");
  EXPECT_EQ(Capture("stat -c '%U %G %a' " + Runner()), "root " + Group() + " 750\n");
  EXPECT_EQ(Capture("id -nG " + runner_ + " | tr ' ' '\\n' | grep -x " + Group()), Group() + "\n");
  const std::string uid = Capture("id -u sbxe-" + id_);
  Outcome direct = RunnerAs(runner_, {ws_.string(), "offline", "--", "id", "-u"});
  EXPECT_EQ(direct.exit_code, 0) << direct.err;
  EXPECT_EQ(direct.out, uid);
}

TEST_P(RunnerFailClosed, AWorkspaceOrProfileNotGrantedIsRefused) {
  // Another workspace, applied by root for nobody in particular.
  const fs::path other = root_ / "other";
  fs::create_directories(other / ".sandboxctl");
  fs::copy_file(ws_ / ".sandboxctl/offline.toml", other / ".sandboxctl/offline.toml");
  ASSERT_EQ(Sandboxctl({"--workspace", other.string(), "apply", "--yes"}, /*as_sudo=*/false).exit_code, 0);
  Outcome refused = RunnerAs(runner_, {other.string(), "offline", "--cwd", other.string(), "--", "true"});
  EXPECT_EQ(refused.exit_code, 125);
  EXPECT_EQ(refused.err, "sandboxctl exec: uid " + SudoEnv()["SUDO_UID"] + " may not run profile 'offline' of " +
                             other.string() + "; the user who runs 'sudo sandboxctl apply' there may\n");
  Outcome missing = RunnerAs(runner_, {ws_.string(), "nothing", "--", "true"});
  EXPECT_EQ(missing.exit_code, 125);
  EXPECT_NE(missing.err.find("profile 'nothing' is not applied for " + ws_.string()), std::string::npos) << missing.err;
  ASSERT_EQ(Sandboxctl({"--workspace", other.string(), "destroy", "--yes"}, false).exit_code, 0);
}

TEST_P(RunnerFailClosed, ForgedArgumentsEnvironmentAndStateAreRefusedOrIgnored) {
  for (const auto& flag : {"--uid", "--state-dir", "--writable", "--profile"}) {
    Outcome r = RunnerAs(runner_, {ws_.string(), "offline", flag, "0", "--", "id", "-u"});
    EXPECT_EQ(r.exit_code, 125) << flag;
    EXPECT_NE(r.err.find(std::string("unknown option '") + flag + "'"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(RunnerAs(runner_, {"ws", "offline", "--", "true"}).err,
            "sandboxctl exec: the workspace 'ws' is not a normal absolute path\n");
  // The loader ignores LD_PRELOAD for a program with file capabilities, and the profile's
  // environment policy keeps it from the command.
  Outcome preload = Exe("/usr/bin/env", {"LD_PRELOAD=/nonexistent/evil.so", "LD_LIBRARY_PATH=/nonexistent", Runner(),
                                          ws_.string(), "offline", "--", "/bin/sh", "-c", "echo ${LD_PRELOAD:-unset}"},
                        runner_);
  EXPECT_EQ(preload.exit_code, 0) << preload.err;
  EXPECT_EQ(preload.out, "unset\n");
  EXPECT_EQ(preload.err, "");
  // A copy of its own, with a runner.conf naming a state directory of the user's: the
  // configuration is not root's, and the copy has no capabilities anyway.
  const fs::path mine = root_ / "userlog/mine";
  ASSERT_EQ(Sh("runuser -u " + runner_ + " -- sh -c 'mkdir -p " + mine.string() + "/state/launch && cp " + Runner() + " " +
               mine.string() + "/ && echo state_dir=" + mine.string() + "/state > " + mine.string() + "/runner.conf'"),
            0);
  Outcome forged = Exe((mine / "sandboxctl-runner").string(), {ws_.string(), "offline", "--", "true"}, runner_);
  EXPECT_EQ(forged.exit_code, 125);
  EXPECT_EQ(forged.err, "sandboxctl exec: " + (root_ / "userlog").string() +
                            ": directory not owned by root or writable by others; only root may be able to change it\n");
}

TEST_P(RunnerFailClosed, AProfileMayNameMoreUsersAndDestroyTakesThemOutAgain) {
  const std::string colleague = "sbxk-" + id_;
  ASSERT_EQ(Sh("useradd --no-create-home --shell /bin/sh " + colleague), 0);
  const std::string groups_before = Capture("id -nG " + colleague);
  std::string profile = ReadFile(ws_ / ".sandboxctl/offline.toml");
  profile.replace(profile.find("[filesystem]"), 0, "exec_users = [\"" + colleague + "\"]\n");
  // ${home} is the applier's: the colleague's exec compiles another path and must not be
  // refused as "changed since it was applied".
  profile.replace(profile.find("deny_read = [") + 13, 0, "\"${home}/.sbx-secret\", ");
  std::ofstream(ws_ / ".sandboxctl/offline.toml", std::ios::trunc) << profile;
  Outcome applied = Sandboxctl({"apply", "--yes"});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_NE(applied.out.find("+ member:" + Group() + ":" + colleague), std::string::npos) << applied.out;
  Outcome r = RunnerAs(colleague, {ws_.string(), "offline", "--", "id", "-un"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "sbxe-" + id_ + "\n");
  Outcome front = Exe((root_ / "bin/sandboxctl").string(), ExecArgs("offline", {"--", "id", "-un"}), colleague);
  EXPECT_EQ(front.exit_code, 0) << front.err;
  EXPECT_EQ(front.out, "sbxe-" + id_ + "\n");
  ASSERT_EQ(Sandboxctl({"destroy", "--yes"}).exit_code, 0);
  EXPECT_EQ(Capture("id -nG " + colleague), groups_before);
  Sh("userdel " + colleague);
}

TEST_P(RunnerFailClosed, NonMembersCannotStartIt) {
  const std::string stranger = "sbxs-" + id_;
  ASSERT_EQ(Sh("useradd --no-create-home --shell /bin/sh " + stranger), 0);
  std::vector<std::string> args = ExecArgs("offline", {"--", "true"});
  Outcome refused = Exe((root_ / "bin/sandboxctl").string(), args, stranger);
  Sh("userdel " + stranger);
  EXPECT_EQ(refused.exit_code, 125);
  EXPECT_NE(refused.err.find("only members of group '" + Group() + "' may"), std::string::npos) << refused.err;
}

TEST_P(RunnerFailClosed, RulesFromAnEarlierBootRefuseUntilRestored) {
  // As after a reboot: the record says the rules were put in place in another boot.
  const std::string record = Capture("ls " + (root_ / "state/launch").string() + "/*.json");
  const fs::path path = record.substr(0, record.find('\n'));
  std::string text = ReadFile(path);
  const std::string key = R"("firewall_boot_id": ")";
  const size_t at = text.find(key) + key.size();
  text.replace(at, 36, "00000000-0000-0000-0000-000000000000");
  std::ofstream(path, std::ios::trunc) << text;
  Outcome refused = InsideShell("true");
  EXPECT_EQ(refused.exit_code, 125);
  EXPECT_NE(refused.err.find("have not been put back since the machine started; run 'sudo sandboxctl restore'"),
            std::string::npos) << refused.err;
  Outcome restore = Sandboxctl({"restore"});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_EQ(restore.out, "Restored 0 firewall objects; 6 already in place.\nMarked 1 launch records as valid for this boot.\n");
  EXPECT_EQ(InsideShell("true").exit_code, 0);
}

// Applied through sudo for the test user, root's own exec (no SUDO_USER) compiles the
// profile for root: it says for whom it was applied, not that the profile changed.
TEST_P(RunnerFailClosed, RootsExecSaysForWhomTheProfileWasApplied) {
  std::ofstream(ws_ / ".sandboxctl/homey.toml")
      << "version = 1\n[identity]\nuser = \"sbxf-" << id_ << "\"\n[filesystem]\nwritable = [\"${workspace}\", \"${tmp}\"]\n"
      << "deny_read = [\"${home}/.sbx-homey-" << id_ << "\"]\n[network]\nmode = \"offline\"\n";
  ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);  // through sudo, for the test user
  // A secret in root's home: for root the profile names one that was never applied.
  std::string root_home = Capture("getent passwd root | cut -d: -f6");
  root_home.pop_back();
  const fs::path secret = fs::path(root_home) / (".sbx-homey-" + id_);
  std::ofstream(secret) << "x\n";
  Outcome r = Exe((root_ / "bin/sandboxctl").string(), ExecArgs("homey", {"--", "true"}), "");
  fs::remove(secret);
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("profile 'homey' was applied for " + runner_ + ", not for root"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("changed since it was applied"), std::string::npos) << r.err;
}

TEST_P(RunnerFailClosed, KillingTheRunnerEndsTheSandboxAndOddArgumentsAreStillAudited) {
  bp::child child("/usr/sbin/runuser",
                  bp::args = {"-u", runner_, "--", Runner(), ws_.string(), "offline", "--", "/bin/sleep", "33"},
                  bp::start_dir = ws_.string(), bp::std_out > bp::null, bp::std_err > bp::null, bp::std_in < bp::null);
  std::string sleeping;
  for (int i = 0; i < 100 && sleeping.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    sleeping = Capture("pgrep -f '^/bin/sleep 33$' || true");
  }
  ASSERT_NE(sleeping, "") << "the command never started";
  const std::string runner_pid = Capture("pgrep -P " + std::to_string(child.id()) + " -f sandboxctl-runner");
  ASSERT_NE(runner_pid, "");
  ASSERT_EQ(Sh("runuser -u " + runner_ + " -- kill -KILL " + runner_pid), 0);  // the caller may: it is theirs
  child.wait();
  std::string left = "x";
  for (int i = 0; i < 100 && !left.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    left = Capture("pgrep -f '^/bin/sleep 33$' || true");
  }
  EXPECT_EQ(left, "") << "the sandboxed command outlived the runner";
  // An argument that is not UTF-8 does not cost the audit line.
  Outcome odd = RunnerAs(runner_, {ws_.string(), "offline", "--log-dir", LogDir().string(), "--", "/bin/true", "\xff"});
  EXPECT_EQ(odd.exit_code, 0) << odd.err;
  const std::string log = ReadFile(LogDir() / "audit.log");
  EXPECT_NE(log.find("\"argv\":[\"/bin/true\",\"\xEF\xBF\xBD\"]"), std::string::npos) << log;
  EXPECT_NE(log.find("\"caller_uid\":" + SudoEnv()["SUDO_UID"]), std::string::npos) << log;
}

TEST_P(RunnerFailClosed, ADeletedSandboxUserRefusesUntilApplied) {
  ASSERT_EQ(Sh("userdel sbxe-" + id_), 0);
  Outcome refused = InsideShell("true");
  EXPECT_EQ(refused.exit_code, 125);
  EXPECT_EQ(refused.err, "sandboxctl exec: sandbox user sbxe-" + id_ + " is not as applied; run 'sudo sandboxctl apply'\n");
  ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);
  EXPECT_EQ(InsideShell("true").exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Isolation, RunnerFailClosed, ::testing::Values("runner"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace sbx

namespace sbx {
namespace {

// Where no network namespace can be made (user namespaces off, a namespace limit reached),
// an offline command is left with AF_UNIX sockets only, and says so; a profile that
// requires the namespace is refused instead. The kernel's refusal is played by a seccomp
// filter on unshare(CLONE_NEWNET) around the launch; everything else is real.
int LaunchWithoutNetworkNamespaces(bool fallback, const fs::path& probe, const fs::path& out) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDOUT_FILENO);
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
                     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWNET, CLONE_NEWNET));
    if (seccomp_load(ctx) != 0) _exit(90);
    LaunchRequest q;
    q.isolation = Isolation::kUser;
    q.executable = probe.string();
    q.argv = {probe.string(), "tcp", "127.0.0.1", "9"};
    q.cwd = "/";
    q.uid = q.gid = 65534;
    q.private_network = true;
    q.unix_only_fallback = fallback;
    auto ll = PrepareLandlock(LandlockPolicy{{}, true}, LandlockAbi());
    auto filter = CompileSeccomp(false), unix_only = CompileSeccomp(true);
    if (!ll.ok() || !filter.ok() || !unix_only.ok()) _exit(91);
    q.landlock_fd = *ll;
    q.seccomp = *filter;
    q.seccomp_unix_only = *unix_only;
    auto outcome = Launch(q);
    if (!outcome.ok()) _exit(outcome.error().call == "unshare(CLONE_NEWNET)" ? 92 : 93);
    _exit(outcome->network_fallback ? 94 : 95);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(LaunchFallback, WithoutANetworkNamespaceOnlyUnixSocketsAreLeftOrTheLaunchIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: switches to the user nobody";
  const fs::path dir = fs::path("/tmp") / ("sandboxctl-fallback-" + RandomSuffix());
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
  fs::copy_file(SANDBOX_PROBE_BIN, dir / "probe");
  EXPECT_EQ(LaunchWithoutNetworkNamespaces(true, dir / "probe", dir / "out"), 94);
  EXPECT_EQ(ReadFile(dir / "out"), "EAFNOSUPPORT\n");
  EXPECT_EQ(LaunchWithoutNetworkNamespaces(false, dir / "probe", dir / "out"), 92);
  EXPECT_EQ(ReadFile(dir / "out"), "");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sbx
