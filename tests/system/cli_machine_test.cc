// plan / apply / status / destroy end to end, as root, through the sandboxctl binary:
// real users, ACLs and nftables rules, an isolated state directory, audit log, ${tmp}
// root and nft table per test, and a machine left exactly as it was found.
#include <fcntl.h>
#include <gtest/gtest.h>

#include "system_util.h"
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <nlohmann/json.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace {

using sbx::testing::Capture;
using sbx::testing::Outcome;
using sbx::testing::RandomSuffix;
using sbx::testing::ReadFile;

namespace fs = std::filesystem;
namespace bp = boost::process;




class MachineCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: apply creates users, ACL entries and nftables rules";
    suffix_ = RandomSuffix();
    user_ = "sbxc-" + suffix_;
    root_ = fs::temp_directory_path() / ("sandboxctl-cli-" + suffix_);
    ws_ = root_ / "ws";
    fs::create_directories(ws_ / ".sandboxctl");
    fs::create_directories(ws_ / ".git");
    fs::create_directories(ws_ / "src");
    std::ofstream(ws_ / "src/main.c") << "int main(void) { return 0; }\n";
    std::ofstream(ws_ / ".env") << "TOKEN=1\n";
    std::ofstream(ws_ / ".sandboxctl/offline.toml")
        << "version = 1\n[identity]\nuser = \"" << user_ << "\"\n"
        << "[filesystem]\nwritable = [\"${workspace}\", \"${tmp}\"]\nread_only = [\"${workspace}/.git\"]\n"
        << "deny_read = [\"${workspace}/.env\"]\n[network]\nmode = \"offline\"\nloopback = true\n";
    // apply runs as if under sudo for a user of the test's own, who joins the runner group.
    invoker_ = "sbxi-" + suffix_;
    ASSERT_EQ(system(("useradd --no-create-home --shell /usr/sbin/nologin " + invoker_).c_str()), 0);
    std::string uid = Capture("id -u " + invoker_);
    invoker_uid_ = uid.substr(0, uid.size() - 1);
    before_ = Snapshot();
  }

  void TearDown() override {
    if (IsSkipped()) return;
    Sandboxctl({"destroy", "--yes"});  // whatever a failed test left
    EXPECT_EQ(Capture("getent group " + Group()), "") << "destroy left the runner group behind";
    system(("userdel " + user_ + " 2>/dev/null; groupdel " + user_ + " 2>/dev/null; groupdel " + Group() +
            " 2>/dev/null; nft delete table inet " + Table() +
            " 2>/dev/null").c_str());
    EXPECT_EQ(Snapshot(), before_) << "the test left something behind";
    system(("userdel " + invoker_ + " 2>/dev/null").c_str());
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string Table() const { return "sbxtest_" + suffix_; }
  std::string Group() const { return "sbxg-" + suffix_; }

  std::string Snapshot() {
    std::string s;
    for (const char* f : {"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"}) s += ReadFile(f);
    return s + Capture("nft list ruleset 2>&1") + Capture("getfacl -R -p " + ws_.string() + " 2>&1");
  }

  // Runs sandboxctl in the workspace with this test's own state, log, tmp root and table.
  Outcome Sandboxctl(const std::vector<std::string>& args, std::optional<std::chrono::milliseconds> kill_after = {},
                 const std::string& as_user = "") {
    std::vector<std::string> argv = args;
    const bool machine = !args.empty() && (args[0] == "plan" || args[0] == "apply" || args[0] == "status" ||
                                           args[0] == "destroy" || args[0] == "restore");
    if (machine) {
      for (const auto& a : std::vector<std::string>{"--state-dir", (root_ / "state").string(), "--log-dir",
                                                    (root_ / "log").string(), "--lock-timeout", "2", "--unit-dir",
                                                    (root_ / "units").string(), "--runner-group", Group(),
                                                    "--runner-dir", (root_ / "libexec/sandboxctl").string()}) {
        argv.push_back(a);
      }
      if (args[0] != "destroy" && args[0] != "restore") {
        for (const auto& a : std::vector<std::string>{"--tmp-root", (root_ / "tmp").string(), "--nft-table", Table()}) {
          argv.push_back(a);
        }
      }
    }
    std::vector<std::string> full{"--machine-profiles", ""};
    full.insert(full.end(), argv.begin(), argv.end());
    std::string exe = SANDBOXCTL_BIN;
    if (!as_user.empty()) {
      full.insert(full.begin(), {"-u", as_user, "--", exe});
      exe = "/usr/sbin/runuser";
    }
    Outcome r;
    const fs::path out = root_ / "out", err = root_ / "err";
    fs::remove(out);  // the redirection does not truncate
    fs::remove(err);
    bp::environment env = boost::this_process::environment();
    if (as_user.empty()) {
      env["SUDO_USER"] = invoker_;
      env["SUDO_UID"] = invoker_uid_;
    }
    bp::child child(exe, bp::args = full, env, bp::start_dir = ws_.string(), bp::std_out > out.string(),
                    bp::std_err > err.string(), bp::std_in < bp::null);
    if (kill_after) {
      std::this_thread::sleep_for(*kill_after);
      kill(child.id(), SIGKILL);
    }
    child.wait();
    r.exit_code = child.exit_code();
    r.out = ReadFile(out);
    r.err = ReadFile(err);
    return r;
  }

  std::string suffix_, user_, invoker_, invoker_uid_;
  fs::path root_, ws_;
  std::string before_;
};

TEST_F(MachineCli, ApplyTwiceChangesNothingTheSecondTimeAndDestroyRestoresEverything) {
  Outcome plan = Sandboxctl({"plan"});
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("Plan: "), std::string::npos);
  const std::string unchanged = Snapshot();
  EXPECT_EQ(unchanged, before_) << "plan changed the machine";

  Outcome first = Sandboxctl({"apply", "--yes"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("Apply complete: "), std::string::npos) << first.out;
  const std::string applied = Snapshot();

  Outcome second = Sandboxctl({"apply", "--yes"});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, "No changes.\n");
  EXPECT_EQ(Snapshot(), applied) << "the second apply changed something";

  Outcome status = Sandboxctl({"status", "--deep"});
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_EQ(status.out, "In sync.\n");

  Outcome json = Sandboxctl({"apply", "--yes", "--json"});
  EXPECT_EQ(nlohmann::json::parse(json.out)["changed"], false);

  const std::string audit = ReadFile(root_ / "log" / "audit.log");
  EXPECT_NE(audit.find("\"event\":\"action\""), std::string::npos);

  EXPECT_EQ(Capture("getcap " + (root_ / "libexec/sandboxctl/sandboxctl-runner").string()),
            (root_ / "libexec/sandboxctl/sandboxctl-runner").string() + " cap_setgid,cap_setuid=ep\n");
  Outcome destroy = Sandboxctl({"destroy", "--yes"});
  ASSERT_EQ(destroy.exit_code, 0) << destroy.err;
  EXPECT_EQ(Snapshot(), before_);
  EXPECT_FALSE(fs::exists(root_ / "libexec")) << "destroy left the directories it made for the runner";
}

// Another local user makes sandboxctl's temporary directory first, where /var/tmp lets
// anyone: a directory holding a .gitconfig for the sandbox's future HOME, a symbolic link,
// a file. apply takes none of them over, names the path and who made it, and changes
// nothing on the machine.
TEST_F(MachineCli, ATmpDirectoryOthersMadeFirstIsNeverTakenOver) {
  const std::string other = "sbxo-" + suffix_;
  ASSERT_EQ(system(("useradd --no-create-home --shell /bin/sh " + other).c_str()), 0);
  struct Gone {  // the account goes whatever the test finds
    std::string name;
    ~Gone() { (void)system(("userdel " + name + " 2>/dev/null").c_str()); }
  } gone{other};
  const fs::path tmp = root_ / "tmp";
  ASSERT_EQ(system(("chmod 1777 " + root_.string()).c_str()), 0);
  const std::string machine = Snapshot();  // with the other user
  const std::string planted_home = (tmp / "offline-planted").string();
  for (const std::string& plant :
       {"mkdir -m 0777 " + tmp.string() + " " + planted_home + " && echo '[core] fsmonitor = touch /tmp/x' > " +
            planted_home + "/.gitconfig",
        "ln -s /etc " + tmp.string(), "touch " + tmp.string()}) {
    ASSERT_EQ(system(("runuser -u " + other + " -- sh -c \"" + plant + "\"").c_str()), 0) << plant;
    Outcome a = Sandboxctl({"apply", "--yes"});
    EXPECT_EQ(a.exit_code, 1) << plant << "\n" << a.out << a.err;
    const std::string said = a.out + a.err;
    EXPECT_NE(said.find("dir:" + tmp.string() + ": "), std::string::npos) << said;
    std::string uid = Capture("id -u " + other);
    uid.pop_back();
    EXPECT_NE(said.find("made by uid " + uid + " (" + other + ")"), std::string::npos) << said;
    EXPECT_EQ(said.find("in the profile"), std::string::npos) << "the profile is not to blame: " << said;
    EXPECT_EQ(Snapshot(), machine) << plant << ": apply changed the machine";
    EXPECT_EQ(Capture("stat -c %U " + tmp.string()), other + "\n") << "taken over: " << plant;
    ASSERT_EQ(system(("rm -rf " + tmp.string()).c_str()), 0);
  }
  Outcome a = Sandboxctl({"apply", "--yes"});
  EXPECT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_EQ(Capture("stat -c %U:%a " + tmp.string()), "root:755\n");
}

// The sandbox user is deleted without destroy and its uid given to another account: the
// firewall rules, keyed by uid, would now hold that account. status names the rules and
// whose uid they match; apply makes the user again and moves the rules to its new uid.
TEST_F(MachineCli, RulesOfADeletedUserAreReportedAndMovedOffItsReusedUid) {
  ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);
  std::string uid = Capture("id -u " + user_);
  uid.pop_back();
  const std::string other = "sbxo-" + suffix_;
  ASSERT_EQ(system(("userdel " + user_ + " && useradd --system --no-create-home -u " + uid + " " + other).c_str()), 0);
  struct Gone {
    std::string name;
    ~Gone() { (void)system(("userdel " + name + " 2>/dev/null").c_str()); }
  } gone{other};
  ASSERT_NE(Capture("nft list table inet " + Table()).find("meta skuid " + uid + " "), std::string::npos);
  Outcome status = Sandboxctl({"status"});
  EXPECT_EQ(status.exit_code, 3) << status.out << status.err;
  EXPECT_NE(status.out.find("its user " + user_ + " is gone, and it still matches uid " + uid + ", which belongs to " +
                            other + " now"),
            std::string::npos)
      << status.out;
  Outcome repaired = Sandboxctl({"apply", "--yes"});
  ASSERT_EQ(repaired.exit_code, 0) << repaired.out << repaired.err;
  std::string now = Capture("id -u " + user_);
  now.pop_back();
  ASSERT_NE(now, uid);
  const std::string rules = Capture("nft list table inet " + Table());
  EXPECT_EQ(rules.find("meta skuid " + uid + " "), std::string::npos) << "a rule still holds " << other << ":\n" << rules;
  EXPECT_NE(rules.find("meta skuid " + now + " "), std::string::npos) << rules;
  EXPECT_EQ(Sandboxctl({"status"}).exit_code, 0);
  ASSERT_EQ(Sandboxctl({"destroy", "--yes"}).exit_code, 0);
  // Not yet followed: the ACL entries the deleted user had stay under its uid (SECURITY.md);
  // the workspace had none before.
  EXPECT_NE(Capture("getfacl -n -p " + ws_.string()).find("user:" + uid + ":"), std::string::npos);
  (void)system(("setfacl -R -b " + ws_.string()).c_str());
}

// A writable root that does not exist yet is named by plan and apply, never skipped in
// silence.
TEST_F(MachineCli, AWritableRootThatDoesNotExistYetIsNamed) {
  const fs::path cache = root_ / "cache";
  std::ofstream(ws_ / ".sandboxctl/offline.toml")
      << "version = 1\n[identity]\nuser = \"" << user_ << "\"\n"
      << "[filesystem]\nwritable = [\"${workspace}\", \"" << cache.string() << "\", \"${tmp}\"]\n[network]\nmode = \"offline\"\n";
  const std::string said = "writable root " + cache.string() + " does not exist yet: it gets no entries until it does "
                           "and apply runs again";
  Outcome plan = Sandboxctl({"plan"});
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.err.find("sandboxctl plan: " + said), std::string::npos) << plan.err;
  Outcome json = Sandboxctl({"plan", "--json"});
  EXPECT_EQ(nlohmann::json::parse(json.out)["missing_writable_roots"], nlohmann::json::array({cache.string()}));
  Outcome apply = Sandboxctl({"apply", "--yes"});
  EXPECT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_NE(apply.err.find("sandboxctl apply: " + said), std::string::npos) << apply.err;
  fs::create_directories(cache);
  EXPECT_EQ(Sandboxctl({"plan"}).err.find(said), std::string::npos);
  ASSERT_EQ(Sandboxctl({"destroy", "--yes"}).exit_code, 0);
}

TEST_F(MachineCli, StatusReportsDriftWithExit3AndApplyRepairsIt) {
  ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);
  ASSERT_EQ(system(("setfacl -x u:" + user_ + " " + (ws_ / "src/main.c").string()).c_str()), 0);
  ASSERT_EQ(system(("nft flush table inet " + Table()).c_str()), 0);
  ASSERT_EQ(system(("userdel " + user_).c_str()), 0);
  Outcome status = Sandboxctl({"status", "--deep"});
  EXPECT_EQ(status.exit_code, 3);
  EXPECT_NE(status.out.find("+ user:" + user_), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("nft:" + user_ + ":0004-reject-all"), std::string::npos) << status.out;
  ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);
  Outcome again = Sandboxctl({"status", "--deep"});
  EXPECT_EQ(again.exit_code, 0) << again.out;
  ASSERT_EQ(Sandboxctl({"destroy", "--yes"}).exit_code, 0);
}

// nftables rules do not survive a reboot: the boot unit runs `restore`, which puts the
// table back from the state file alone, after the whole ruleset was flushed.
TEST_F(MachineCli, RestorePutsTheFirewallBackAfterTheRulesetIsFlushed) {
  ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);
  const std::string unit = ReadFile(root_ / "units" / "sandboxctl-firewall.service");
  EXPECT_NE(unit.find(std::string("ExecStart=\"") + SANDBOXCTL_BIN + "\" restore --state-dir \"" +
                      (root_ / "state").string() + "\""),
            std::string::npos) << unit;
  EXPECT_TRUE(fs::is_symlink(root_ / "units" / "sysinit.target.wants" / "sandboxctl-firewall.service"));
  const std::string applied = Capture("nft list table inet " + Table());
  // As after a reboot: no rules at all. Whatever else the machine had is put back below.
  const fs::path saved = root_ / "ruleset.nft";
  std::ofstream(saved) << "flush ruleset\n" << Capture("nft list ruleset");
  ASSERT_EQ(system("nft flush ruleset"), 0);
  EXPECT_EQ(Sandboxctl({"status"}).exit_code, 3);
  Outcome restore = Sandboxctl({"restore"});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_EQ(restore.out, "Restored 6 firewall objects; 0 already in place.\n");
  EXPECT_EQ(Capture("nft list table inet " + Table()), applied);
  EXPECT_EQ(Sandboxctl({"status", "--deep"}).exit_code, 0);
  EXPECT_EQ(Sandboxctl({"restore"}).out, "Restored 0 firewall objects; 6 already in place.\n");
  ASSERT_EQ(system(("nft -f " + saved.string()).c_str()), 0);  // the rest of the machine's rules
  EXPECT_EQ(Sandboxctl({"status", "--deep"}).exit_code, 0);
  ASSERT_EQ(Sandboxctl({"destroy", "--yes"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(root_ / "units" / "sandboxctl-firewall.service"));
}

// Read grants on large trees finish in a background worker: apply returns once the rest
// is in place, status shows the progress, and the worker brings the machine in sync.
class BackgroundGrants : public MachineCli {
 protected:
  void SetUp() override {
    MachineCli::SetUp();
    if (IsSkipped()) return;
    for (int d = 0; d < 20; ++d) {
      fs::create_directories(root_ / "data" / std::to_string(d));
      for (int f = 0; f < 200; ++f) std::ofstream(root_ / "data" / std::to_string(d) / std::to_string(f)) << "x";
    }
    // Not world-readable, or the sandbox user would need no read grant at all.
    ASSERT_EQ(system(("chmod -R o-rwx " + (root_ / "data").string()).c_str()), 0);
    std::ofstream(ws_ / ".sandboxctl/offline.toml", std::ios::trunc)
        << "version = 1\n[identity]\nuser = \"" << user_ << "\"\n[filesystem]\nwritable = [\"${workspace}\"]\n"
        << "readable = [\"" << (root_ / "data").string() << "\"]\n[network]\nmode = \"online\"\n";
  }
};

TEST_F(BackgroundGrants, ApplyReturnsAndTheWorkerFinishesTheReadGrants) {
  Outcome apply = Sandboxctl({"apply", "--yes"});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_NE(apply.out.find("1 read grants continue in the background (pid "), std::string::npos) << apply.out;
  Outcome status;
  for (int i = 0; i < 300; ++i) {  // up to 30 s
    status = Sandboxctl({"status", "--deep"});
    if (status.exit_code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status.exit_code, 0) << status.out;
  EXPECT_EQ(status.out, "In sync.\n");
  EXPECT_FALSE(fs::exists(root_ / "state" / "background.json"));
  ASSERT_EQ(Sandboxctl({"destroy", "--yes"}).exit_code, 0);
}

TEST_F(BackgroundGrants, WorldReadableTreesNeedNoReadGrants) {
  ASSERT_EQ(system(("chmod -R o+rX " + (root_ / "data").string()).c_str()), 0);
  const std::string acls = Capture("getfacl -R -p " + (root_ / "data").string());
  Outcome apply = Sandboxctl({"apply", "--yes"});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_EQ(apply.out.find("in the background"), std::string::npos) << apply.out;
  EXPECT_EQ(Sandboxctl({"status", "--deep"}).exit_code, 0);
  EXPECT_EQ(Capture("getfacl -R -p " + (root_ / "data").string()), acls);  // no entry anywhere
  ASSERT_EQ(Sandboxctl({"destroy", "--yes"}).exit_code, 0);
}

TEST_F(BackgroundGrants, ApplyWaitFinishesEverythingBeforeReturning) {
  Outcome apply = Sandboxctl({"apply", "--yes", "--wait"});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_EQ(apply.out.find("in the background"), std::string::npos) << apply.out;
  Outcome status = Sandboxctl({"status", "--deep"});
  EXPECT_EQ(status.exit_code, 0) << status.out;
  ASSERT_EQ(Sandboxctl({"destroy", "--yes"}).exit_code, 0);
}

TEST_F(MachineCli, ApplyAsAnOrdinaryUserFailsBeforeTouchingAnything) {
  Outcome r = Sandboxctl({"apply", "--yes"}, {}, "nobody");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "sandboxctl apply: must run as root (it creates users, ACL entries and firewall rules); try: "
                   "sudo sandboxctl apply\n");
  EXPECT_FALSE(fs::exists(root_ / "state"));
}

TEST_F(MachineCli, PlanWithoutRootSaysWhatItCouldNotSee) {
  Outcome r = Sandboxctl({"plan"}, {}, "nobody");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("? nft:table: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("objects could not be observed without root; run as root for a complete answer."),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("+ user:" + user_), std::string::npos) << r.out;
  EXPECT_EQ(Snapshot(), before_);
}

TEST_F(MachineCli, ASecondRunWaitsForTheLockThenGivesUp) {
  fs::create_directories(root_ / "state");
  fs::permissions(root_ / "state", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                       fs::perms::others_read | fs::perms::others_exec);
  int fd = open((root_ / "state" / "lock").c_str(), O_RDWR | O_CREAT, 0600);
  // cppcheck-suppress resourceLeak ; a failed assertion ends the test; its descriptors close with the process
  ASSERT_EQ(flock(fd, LOCK_EX), 0);
  Outcome r = Sandboxctl({"apply", "--yes"});
  close(fd);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("waiting for another sandboxctl run to finish"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("still holds the lock after 2s"), std::string::npos) << r.err;
  EXPECT_EQ(Snapshot(), before_);
}

// A run killed while it saved the state file, or while its read grants went on, leaves
// the new state file and the progress record: the next run takes the one away and
// destroy the other, with the grants it was about.
TEST_F(MachineCli, NothingAKilledRunLeftStaysInTheStateDirectoryAfterDestroy) {
  ASSERT_EQ(Sandboxctl({"apply", "--yes"}).exit_code, 0);
  const pid_t gone = fork();
  if (gone == 0) _exit(0);
  ASSERT_EQ(waitpid(gone, nullptr, 0), gone);
  const fs::path state = root_ / "state";
  std::ofstream(state / "state.json.new") << R"({"format": 1, "rec)";
  std::ofstream(state / "background.json")
      << nlohmann::json{{"pid", gone}, {"workspace", fs::canonical(ws_).string()}, {"total", 1}, {"done", 0},
                        {"current", "grant:read"}}.dump() << "\n";
  ASSERT_EQ(Sandboxctl({"destroy", "--yes"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(state / "state.json.new"));
  EXPECT_FALSE(fs::exists(state / "background.json"));
  EXPECT_EQ(Sandboxctl({"status"}).out.find("Read grants in the background"), std::string::npos);
}

// SIGKILL lands somewhere in the middle of apply (or of destroy); each time the next
// apply converges, a further apply finds nothing to do, and destroy restores the machine.
TEST_F(MachineCli, KilledMidwayApplyConvergesAndDestroyRestores) {
  for (int delay : {2, 5, 10, 20, 40, 80}) {
    Sandboxctl({"apply", "--yes"}, std::chrono::milliseconds(delay));
    Outcome converge = Sandboxctl({"apply", "--yes"});
    ASSERT_EQ(converge.exit_code, 0) << "delay " << delay << ": " << converge.err;
    Outcome again = Sandboxctl({"apply", "--yes"});
    EXPECT_EQ(again.out, "No changes.\n") << "delay " << delay << "; the converging apply said:\n" << converge.out;
    Sandboxctl({"destroy", "--yes"}, std::chrono::milliseconds(delay / 2 + 1));
    Outcome destroy = Sandboxctl({"destroy", "--yes"});
    ASSERT_EQ(destroy.exit_code, 0) << "delay " << delay << ": " << destroy.err;
    EXPECT_EQ(Snapshot(), before_) << "delay " << delay;
  }
}

// A kill in the middle of the walk over a large tree, where some files carry someone's
// ACL with a narrowed mask and some directories a default ACL: what those held is saved
// before each of them is changed, so destroy still puts every ACL back exactly.
TEST_F(MachineCli, KilledInTheMiddleOfATreeLosesNoAclToRestore) {
  std::string acls;
  for (int d = 0; d < 40; ++d) {
    const fs::path dir = ws_ / "tree" / ("d" + std::to_string(d));
    fs::create_directories(dir);
    for (int f = 0; f < 100; ++f) {
      std::ofstream(dir / ("f" + std::to_string(f))) << f;
      if (f % 10 == 3) acls += " " + (dir / ("f" + std::to_string(f))).string();
    }
    if (d % 5 == 2) {
      ASSERT_EQ(system(("setfacl -d -m o::- " + dir.string()).c_str()), 0);
    }
  }
  ASSERT_EQ(system(("setfacl -m u:nobody:rw,m::r" + acls).c_str()), 0);
  before_ = Snapshot();
  for (int delay : {15, 30, 60, 120}) {
    Sandboxctl({"apply", "--yes"}, std::chrono::milliseconds(delay));
    Outcome converge = Sandboxctl({"apply", "--yes"});
    ASSERT_EQ(converge.exit_code, 0) << "delay " << delay << ": " << converge.err;
    Outcome destroy = Sandboxctl({"destroy", "--yes"});
    ASSERT_EQ(destroy.exit_code, 0) << "delay " << delay << ": " << destroy.err;
    ASSERT_EQ(Snapshot(), before_) << "delay " << delay;
  }
}

}  // namespace
