// LinuxHost for real, as root: users, groups, directories and nftables rules are created,
// checked, broken behind sandboxctl's back, repaired, and removed, and the machine must
// end exactly as it began. Each test uses its own user names, nft table and state.
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <grp.h>
#include <pwd.h>
#include <gtest/gtest.h>
#include <boost/process.hpp>

#include "system_util.h"
#include "../unit/test_util.h"
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/core/strings.h"
#include "engine/os_linux/linux_host.h"
#include "engine/os_linux/posix_acl.h"
#include "engine/os_linux/nftables.h"
#include "engine/os_linux/run_command.h"
#include "engine/plan/plan.h"
#include "engine/profile/parse.h"
#include "engine/reconcile/apply.h"
#include "engine/reconcile/diff.h"

namespace sbx {
namespace {

using testing::Capture;
using testing::RandomSuffix;
using testing::ReadFile;

namespace fs = std::filesystem;


// What must be byte-identical before the first apply and after destroy.
struct Snapshot {
  std::map<std::string, std::string> files;
  std::string ruleset;
  bool operator==(const Snapshot&) const = default;
};

Snapshot Take() {
  Snapshot s;
  for (const char* f : {"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"}) s.files[f] = ReadFile(f);
  Nftables nft;
  auto listed = nft.List("list ruleset");
  s.ruleset = listed.ok() ? listed->dump() : "error: " + listed.error().Render();
  return s;
}

// Fails the k-th mutating call before it reaches the machine: a run killed at that step.
class Interrupting : public Host {
 public:
  Interrupting(Host& inner, size_t fail_at) : inner_(inner), fail_at_(fail_at) {}
  Result<Observation> Observe(const Resource& r) override { return inner_.Observe(r); }
  Result<Ok> Ensure(const Resource& r, const NotePrior& note) override {
    if (calls_++ == fail_at_) return Error{"host_error", "test", r.id, "interrupted"};
    return inner_.Ensure(r, note);
  }
  Result<Ok> Remove(const OwnedRecord& o) override {
    if (calls_++ == fail_at_) return Error{"host_error", "test", o.resource.id, "interrupted"};
    return inner_.Remove(o);
  }

 private:
  Host& inner_;
  size_t fail_at_;
  size_t calls_ = 0;
};

class LinuxHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: creates users, groups and nftables rules";
    suffix_ = RandomSuffix();
    user_ = "sbxt-" + suffix_;
    table_ = "sbxtest_" + suffix_;
    root_ = fs::temp_directory_path() / ("sandboxctl-sys-" + suffix_);
    fs::create_directories(root_ / "ws");
    fs::permissions(root_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
    before_ = Take();
  }

  void TearDown() override {
    if (IsSkipped()) return;
    // Whatever a failed test left behind goes, so the machine stays clean.
    RunCommand({"userdel", user_}).ok();
    RunCommand({"groupdel", user_}).ok();
    Nftables nft;
    nft.Run("delete table inet " + table_).ok();
    std::error_code ec;
    fs::remove_all(root_, ec);
    EXPECT_FALSE(fs::exists(units_ / "sandboxctl-firewall.service")) << "the boot unit was left behind";
    fs::remove_all(units_, ec);
    EXPECT_EQ(Take(), before_) << "the test left something behind";
  }

  // The plan of one profile "p" with this test's own tmp root and nft table.
  Plan CompileProfile(const std::string& text, const std::string& workspace, const std::string& user,
                      const std::string& home) {
    Profile p = testing::MakeProfile("p", text);
    Context c{Target::kLinux, workspace, user, home, (root_ / "tmproot").string(), table_};
    c.runner_group = "";  // the runner has tests of its own, through the command line
    CompileResult r = CompilePlan({&p}, c);
    EXPECT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : r.diagnostics.front().message);
    return r.plan;
  }

  Plan Compile(bool loopback) {
    return CompileProfile("version = 1\n[identity]\nuser = \"" + user_ + "\"\n[filesystem]\nwritable = [\"${tmp}\"]\n" +
                              "[network]\nmode = \"offline\"\nloopback = " + (loopback ? "true" : "false") + "\n",
                          (root_ / "ws").string(), "root", "/root");
  }

  Result<Ok> Apply(const Plan& plan, Host& host, ChangeSet* out = nullptr) {
    auto observed = ObserveAll(plan, "ws", state_, host);
    if (!observed.ok()) return observed.error();
    ChangeSet changes = ComputeChanges(plan, "ws", state_, *observed);
    if (out) *out = changes;
    return ApplyChanges(changes, "ws", *observed, plan, host, state_, [&](const State& s) -> Result<Ok> {
      saved_ = StateToJson(s);
      return Ok{};
    });
  }

  ChangeSet Diff(const Plan& plan) {
    auto observed = ObserveAll(plan, "ws", state_, host_);
    EXPECT_TRUE(observed.ok()) << observed.error().Render();
    return ComputeChanges(plan, "ws", state_, *observed);
  }

  // Reloads the state as last saved, as a new process after a crash would.
  void Reload() { state_ = saved_.empty() ? State{} : *StateFromJson(saved_); }

  std::string suffix_, user_, table_;
  fs::path root_;
  Snapshot before_;
  // The boot unit goes to a directory of the test's own, never /etc/systemd/system.
  fs::path units_ = fs::temp_directory_path() / ("sandboxctl-units-" + std::to_string(getpid()) + "-" +
                                                 std::to_string(reinterpret_cast<uintptr_t>(this)));
  LinuxHost host_{BootUnitConfig{units_, "/usr/local/bin/sandboxctl", "/var/lib/sandboxctl"}};
  State state_;
  std::string saved_;
};

TEST_F(LinuxHostTest, ApplyCreatesUserGroupDirectoriesAndRulesThenChangesNothing) {
  Plan plan = Compile(false);
  ChangeSet first;
  auto r = Apply(plan, host_, &first);
  ASSERT_TRUE(r.ok()) << r.error().Render();
  // Everything is created but the traverse grants on /tmp and the test's directory,
  // which anyone may search already.
  const auto traverse = std::count_if(plan.resources.begin(), plan.resources.end(), [](const Resource& res) {
    return StartsWith(res.id, "grant:traverse:");
  });
  EXPECT_EQ(traverse, 3);
  EXPECT_EQ(first.Count(Action::kCreate), static_cast<int>(plan.resources.size() - 2));

  passwd* pw = getpwnam(user_.c_str());
  ASSERT_NE(pw, nullptr);
  EXPECT_STREQ(pw->pw_shell, "/usr/sbin/nologin");
  EXPECT_NE(getgrnam(user_.c_str()), nullptr);
  const fs::path tmp = ProfileTmpDir(plan.context, "p");
  // rwx for root, nothing for others; the group bits show the ACL mask of the write grant.
  EXPECT_EQ(fs::status(tmp).permissions() & (fs::perms::owner_all | fs::perms::others_all), fs::perms::owner_all);
  EXPECT_NE(Capture("getfacl -p " + tmp.string()).find("user:" + user_ + ":rwx"), std::string::npos);

  Nftables nft;
  auto rules = nft.List("list chain inet " + table_ + " output");
  ASSERT_TRUE(rules.ok()) << rules.error().Render();
  std::vector<std::string> comments;
  for (const auto& item : *rules) {
    if (item.contains("rule")) comments.push_back(item["rule"]["comment"].get<std::string>());
  }
  ASSERT_EQ(comments.size(), 2u);
  EXPECT_TRUE(StartsWith(comments[0], "sandboxctl nft:" + user_ + ":0001-reject-tcp ")) << comments[0];
  EXPECT_TRUE(StartsWith(comments[1], "sandboxctl nft:" + user_ + ":0002-reject-all ")) << comments[1];

  const std::string unit = ReadFile(units_ / "sandboxctl-firewall.service");
  EXPECT_NE(unit.find("ExecStart=\"/usr/local/bin/sandboxctl\" restore --state-dir \"/var/lib/sandboxctl\""),
            std::string::npos) << unit;
  EXPECT_EQ(fs::read_symlink(units_ / "sysinit.target.wants" / "sandboxctl-firewall.service"),
            units_ / "sandboxctl-firewall.service");
  const std::string ruleset = Take().ruleset;
  ChangeSet second = Diff(plan);
  EXPECT_FALSE(second.HasMachineChanges()) << RenderChangesText(second);
  ASSERT_TRUE(Apply(plan, host_).ok());
  EXPECT_EQ(Take().ruleset, ruleset);  // nothing was touched

  ASSERT_TRUE(Apply(Plan{}, host_).ok());
  EXPECT_EQ(Take(), before_);
  EXPECT_FALSE(fs::exists(tmp));
}

// The rules cut the sandbox user off: a TCP connect to a listener on 127.0.0.1 that root
// reaches is refused for the sandbox user.
TEST_F(LinuxHostTest, OfflineRulesRefuseTheSandboxUsersConnections) {
  Plan plan = Compile(false);
  ASSERT_TRUE(Apply(plan, host_).ok());
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  ASSERT_EQ(listen(listener, 4), 0);
  auto connect_as = [&](uid_t uid, gid_t gid) {
    pid_t pid = fork();
    if (pid == 0) {
      if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(100);
      int s = socket(AF_INET, SOCK_STREAM, 0);
      if (connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) _exit(0);
      _exit(errno == ECONNREFUSED ? 111 : 101);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  passwd* pw = getpwnam(user_.c_str());
  ASSERT_NE(pw, nullptr);
  EXPECT_EQ(connect_as(0, 0), 0) << "root reaches the listener";
  EXPECT_EQ(connect_as(pw->pw_uid, pw->pw_gid), 111) << "the sandbox user gets ECONNREFUSED";
  close(listener);
  ASSERT_TRUE(Apply(Plan{}, host_).ok());
}

TEST_F(LinuxHostTest, DriftIsSeenAndRepaired) {
  Plan plan = Compile(true);
  ASSERT_TRUE(Apply(plan, host_).ok());
  Nftables nft;
  ASSERT_TRUE(nft.Run("flush chain inet " + table_ + " output").ok());
  ASSERT_TRUE(RunCommand({"userdel", user_}).ok());
  ChangeSet drift = Diff(plan);
  std::vector<std::string> ids;
  for (const auto& c : drift.changes) ids.push_back(c.resource.id);
  EXPECT_NE(std::find(ids.begin(), ids.end(), "user:" + user_), ids.end());
  EXPECT_EQ(std::count_if(ids.begin(), ids.end(), [](const std::string& id) { return StartsWith(id, "nft:sbxt-"); }), 4);
  auto r = Apply(plan, host_);
  ASSERT_TRUE(r.ok()) << r.error().Render();
  EXPECT_FALSE(Diff(plan).HasMachineChanges()) << RenderChangesText(Diff(plan));
  ASSERT_TRUE(Apply(Plan{}, host_).ok());
}

TEST_F(LinuxHostTest, AccountsSandboxctlDidNotCreateAreLeftAlone) {
  ASSERT_TRUE(RunCommand({"useradd", "--system", "--no-create-home", "--user-group", user_}).ok());
  Plan plan = Compile(false);
  ChangeSet changes = Diff(plan);
  ASSERT_EQ(changes.conflicts.size(), 2u);  // the user and its group
  EXPECT_EQ(changes.conflicts[0], "group:" + user_ + ": exists and was not created by sandboxctl");
}

// An apply stopped at each mutating step in turn: from the state saved so far, the next
// apply converges (then nothing to do) and destroy restores the machine exactly.
TEST_F(LinuxHostTest, InterruptedAtEachStepApplyConvergesAndDestroyRestores) {
  Plan plan = Compile(true);
  const size_t steps = Diff(plan).changes.size();  // one mutating call per change
  ASSERT_GT(steps, 5u);
  for (size_t k = 0; k < steps; ++k) {
    Interrupting interrupted(host_, k);
    EXPECT_FALSE(Apply(plan, interrupted).ok()) << "step " << k;
    Reload();
    auto r = Apply(plan, host_);
    ASSERT_TRUE(r.ok()) << "step " << k << ": " << r.error().Render();
    EXPECT_FALSE(Diff(plan).HasMachineChanges()) << "step " << k;
    Interrupting interrupted_destroy(host_, k % 3);
    Apply(Plan{}, interrupted_destroy).ok();
    Reload();
    ASSERT_TRUE(Apply(Plan{}, host_).ok()) << "step " << k;
    EXPECT_EQ(Take(), before_) << "step " << k;
    EXPECT_TRUE(state_.records.empty()) << "step " << k;
  }
}

// A run killed while it wrote the boot unit leaves the new file not yet renamed into place
// and the .wants directory made for the link: destroy takes both away.
TEST_F(LinuxHostTest, DestroyRemovesTheBootUnitAKilledRunWasWriting) {
  Plan plan = Compile(false);
  ASSERT_TRUE(Apply(plan, host_).ok());
  const fs::path unit = units_ / "sandboxctl-firewall.service", wants = units_ / "sysinit.target.wants";
  fs::remove(wants / unit.filename());
  fs::remove(unit);
  std::ofstream(unit.string() + ".sandboxctl-new") << "[Unit]\n";
  state_.records.at("boot:firewall").intent = Intent::kEnsure;
  ASSERT_TRUE(Apply(Plan{}, host_).ok());
  EXPECT_FALSE(fs::exists(unit.string() + ".sandboxctl-new"));
  EXPECT_FALSE(fs::exists(wants));
  EXPECT_TRUE(state_.records.empty());
}

// --- POSIX ACL grants -----------------------------------------------------------------

// A step a run was stopped inside is made again by the next run. The entries it finds in
// place there are its own work, not anyone's prior value: the invoking user's default
// entry on a directory where the sandbox user has none (a deny-read one) looks like one.
TEST_F(LinuxHostTest, AGrantMadeAgainNotesNothingItMadeItself) {
  const fs::path ws = root_ / "ws";
  fs::create_directories(ws / "secret");
  const std::string acls = Capture("getfacl -R -p " + ws.string());
  Plan plan = CompileProfile("version = 1\n[identity]\nuser = \"" + user_ + "\"\n[filesystem]\n" +
                                 "writable = [\"${workspace}\"]\ndeny_read = [\"${workspace}/secret\"]\n" +
                                 "[network]\nmode = \"online\"\n",
                             ws.string(), "nobody", "/nonexistent");
  ASSERT_TRUE(Apply(plan, host_).ok());
  const Resource* owner = plan.Find("grant:owner_default:nobody:" + ws.string());
  ASSERT_NE(owner, nullptr);
  nlohmann::json noted;
  auto again = host_.Ensure(*owner, [&](const nlohmann::json& part) -> Result<Ok> {
    MergePrior(noted, part);
    return Ok{};
  });
  ASSERT_TRUE(again.ok()) << again.error().Render();
  EXPECT_TRUE(noted.is_null()) << noted.dump();
  ASSERT_TRUE(Apply(Plan{}, host_).ok());
  EXPECT_EQ(Capture("getfacl -R -p " + ws.string()), acls);
}


// Each test runs twice: files reached by name (getxattrat/setxattrat, this kernel) and
// through descriptors (the path of kernels before 6.13).
class AclGrantTest : public LinuxHostTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    LinuxHostTest::SetUp();
    if (IsSkipped()) return;
    UseAclCallsByName(GetParam());
    owner_ = "sbxo-" + suffix_;
    ASSERT_TRUE(RunCommand({"useradd", "--no-create-home", "--user-group", owner_}).ok());
    home_ = root_ / "home" / owner_;
    ws_ = home_ / "src" / "app";
    for (const char* d : {"src/lib", ".git/objects", "build", "out"}) fs::create_directories(ws_ / d);
    fs::create_directories(home_ / ".ssh");
    std::ofstream(ws_ / "src/lib/a.txt") << "a\n";
    std::ofstream(ws_ / "run.sh") << "#!/bin/sh\n";
    fs::permissions(ws_ / "run.sh", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                        fs::perms::others_read | fs::perms::others_exec);
    std::ofstream(ws_ / ".git/config") << "[core]\n";
    std::ofstream(ws_ / ".env") << "TOKEN=1\n";
    std::ofstream(home_ / ".ssh/id_ed25519") << "key\n";
    fs::create_symlink("/etc/passwd", ws_ / "passwd-link");
    fs::permissions(home_, fs::perms::owner_all);  // 0700: the sandbox user needs a traverse entry
    // Someone's ACLs that were there before: they must survive apply and destroy exactly
    // (a mask narrowed below its entries, a default ACL with a named entry, one without).
    ASSERT_EQ(system(("setfacl -m u:nobody:rw " + (ws_ / "src/lib/a.txt").string() + " && setfacl -m m::r " +
                      (ws_ / "src/lib/a.txt").string() + " && setfacl -d -m u:nobody:rx " + (ws_ / "build").string() +
                      " && setfacl -d -m o::- " + (ws_ / "out").string())
                         .c_str()),
              0);
    acl_before_ = Snapshot();
  }
  void TearDown() override {
    if (!IsSkipped()) RunCommand({"userdel", owner_}).ok();
    UseAclCallsByName(true);
    LinuxHostTest::TearDown();
  }

  std::string Snapshot() {
    return Capture("getfacl -R -p " + root_.string() + " 2>&1") + Capture("getfacl -p /etc/passwd /tmp 2>&1");
  }

  Plan CompileWorkspace() {
    return CompileProfile("version = 1\n[identity]\nuser = \"" + user_ +
                              "\"\n[filesystem]\nwritable = [\"${workspace}\"]\nread_only = [\"${workspace}/.git\"]\n"
                              "deny_read = [\"${workspace}/.env\", \"${home}/.ssh\"]\n",
                          ws_.string(), owner_, home_.string());
  }

  // Runs `op` as the sandbox user in a child; returns 0 or the errno it failed with.
  int AsSandboxUser(const std::function<int()>& op) {
    passwd* pw = getpwnam(user_.c_str());
    if (!pw) return -1;
    pid_t pid = fork();
    if (pid == 0) {
      if (setgroups(0, nullptr) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) _exit(200);
      _exit(op());
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string owner_;
  fs::path home_, ws_;
  std::string acl_before_;
};

TEST_P(AclGrantTest, SandboxUserWritesOnlyWhereTheProfileSaysAndDestroyRestoresEveryAcl) {
  Plan plan = CompileWorkspace();
  auto r = Apply(plan, host_);
  ASSERT_TRUE(r.ok()) << r.error().Render();
  auto write = [](const fs::path& p) {
    return [p] {
      int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0) return errno;
      close(fd);
      unlink(p.c_str());
      return 0;
    };
  };
  auto read = [](const fs::path& p) {
    return [p] {
      int fd = open(p.c_str(), O_RDONLY);
      if (fd < 0) return errno;
      close(fd);
      return 0;
    };
  };
  EXPECT_EQ(AsSandboxUser(write(ws_ / "src/lib/new.txt")), 0);
  EXPECT_EQ(AsSandboxUser(write(ws_ / "new.txt")), 0);
  EXPECT_EQ(AsSandboxUser(write(ws_ / ".git/objects/x")), EACCES);
  EXPECT_EQ(AsSandboxUser(read(ws_ / ".env")), EACCES);
  EXPECT_EQ(AsSandboxUser(read(home_ / ".ssh/id_ed25519")), EACCES);
  EXPECT_EQ(AsSandboxUser(read(ws_ / "src/lib/a.txt")), 0);

  // A second apply changes nothing: no ACL written, so no ctime moves.
  struct stat before {};
  stat((ws_ / "src/lib/a.txt").c_str(), &before);
  sleep(1);
  ChangeSet again;
  ASSERT_TRUE(Apply(plan, host_, &again).ok());
  EXPECT_FALSE(again.HasMachineChanges()) << RenderChangesText(again);
  struct stat after {};
  stat((ws_ / "src/lib/a.txt").c_str(), &after);
  EXPECT_EQ(before.st_ctim.tv_sec, after.st_ctim.tv_sec);
  EXPECT_EQ(before.st_ctim.tv_nsec, after.st_ctim.tv_nsec);

  auto destroyed = Apply(Plan{}, host_);
  ASSERT_TRUE(destroyed.ok()) << destroyed.error().Render();
  EXPECT_EQ(Snapshot(), acl_before_);
}

TEST_P(AclGrantTest, StrippedEntriesAreDriftAndApplyPutsThemBack) {
  Plan plan = CompileWorkspace();
  ASSERT_TRUE(Apply(plan, host_).ok());
  ASSERT_EQ(system(("setfacl -x u:" + user_ + " " + (ws_ / "src/lib/a.txt").string()).c_str()), 0);
  ChangeSet drift = Diff(plan);
  ASSERT_EQ(drift.changes.size(), 1u) << RenderChangesText(drift);
  EXPECT_EQ(drift.changes[0].resource.id, "grant:write:" + user_ + ":" + ws_.string());
  EXPECT_EQ(drift.changes[0].reason, "1 of 7 files need the entry");
  ASSERT_TRUE(Apply(plan, host_).ok());
  EXPECT_FALSE(Diff(plan).HasMachineChanges());
  ASSERT_TRUE(Apply(Plan{}, host_).ok());
  EXPECT_EQ(Snapshot(), acl_before_);
}

// With a process of the sandbox user running, files are changed through a descriptor
// (read again there), never by a name the sandbox could have swapped meanwhile.
TEST_P(AclGrantTest, WithSandboxProcessesRunningApplyAndDestroyStillConvergeAndRestore) {
  Plan plan = CompileWorkspace();
  ASSERT_TRUE(Apply(plan, host_).ok());
  boost::process::child sleeper("/usr/sbin/runuser", boost::process::args = {"-u", user_, "--", "/bin/sleep", "60"});
  for (int i = 0; i < 20; ++i) {
    if (!Capture("pgrep -u " + user_ + " sleep").empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(Capture("pgrep -u " + user_ + " sleep"), "");
  std::ofstream(ws_ / "src/lib/new.txt") << "new\n";
  ASSERT_EQ(system(("chmod 644 " + (ws_ / "src/lib/new.txt").string() + " && setfacl -b " +
                    (ws_ / "src/lib/new.txt").string()).c_str()),
            0);
  ChangeSet drift = Diff(plan);
  ASSERT_EQ(drift.changes.size(), 1u) << RenderChangesText(drift);
  ASSERT_TRUE(Apply(plan, host_).ok());
  EXPECT_FALSE(Diff(plan).HasMachineChanges());
  EXPECT_NE(Capture("getfacl -p " + (ws_ / "src/lib/new.txt").string()).find("user:" + user_ + ":rw-"), std::string::npos);
  // userdel refuses a user with processes: runuser's sleep goes too.
  ASSERT_EQ(system(("pkill -KILL -u " + user_ + "; while pgrep -u " + user_ + " >/dev/null; do sleep 0.05; done").c_str()), 0);
  sleeper.wait();
  ASSERT_TRUE(Apply(Plan{}, host_).ok());
  fs::remove(ws_ / "src/lib/new.txt");
  EXPECT_EQ(Snapshot(), acl_before_);
}

TEST_P(AclGrantTest, InterruptedAtEachStepConvergesAndDestroyRestoresEveryAcl) {
  Plan plan = CompileWorkspace();
  const size_t steps = Diff(plan).changes.size();  // one mutating call per change
  ASSERT_GT(steps, 5u);
  for (size_t k = 0; k < steps; k += 3) {
    Interrupting interrupted(host_, k);
    EXPECT_FALSE(Apply(plan, interrupted).ok()) << "step " << k;
    Reload();
    auto r = Apply(plan, host_);
    ASSERT_TRUE(r.ok()) << "step " << k << ": " << r.error().Render();
    EXPECT_FALSE(Diff(plan).HasMachineChanges()) << "step " << k;
    ASSERT_TRUE(Apply(Plan{}, host_).ok()) << "step " << k;
    EXPECT_EQ(Snapshot(), acl_before_) << "step " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(FilesReached, AclGrantTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "ByName" : "ByDescriptor";
                         });

}  // namespace
}  // namespace sbx
