// The machine commands on Linux: root, the Linux host (accounts, POSIX ACLs, nftables,
// the runner and the boot unit), background workers started detached.
#include <fcntl.h>
#include <unistd.h>

#include "cli/machine_linux.h"

#include <set>

#include "engine/core/host_info.h"
#include "engine/core/names.h"
#include "engine/os_linux/accounts.h"
#include "engine/os_linux/launch_record.h"
#include "engine/os_linux/run_command.h"
#include "engine/os_linux/sys_error.h"

namespace sbx::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;

MachineOptions::MachineOptions() : state_dir(kDefaultStateDir), log_dir("/var/log/sandboxctl") {}

void AddPlatformOptions(po::options_description& d, MachineOptions& m) {
  d.add_options()
      ("nft-table", po::value(&m.nft_table), "name of sandboxctl's nftables table (default sandboxctl)")
      ("unit-dir", po::value(&m.unit_dir), "where the boot unit goes (default /etc/systemd/system)")
      ("runner-group", po::value(&m.runner_group), "group whose members may exec through the runner (default sandboxctl)")
      ("runner-dir", po::value(&m.runner_dir), "where the runner goes (default /usr/local/libexec/sandboxctl)");
}

Context MachineContext(const MachineOptions& m, const fs::path& ws) {
  if (m.nft_table.empty() || m.nft_table.size() > 32 ||
      m.nft_table.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
    throw UsageError{"", "invalid --nft-table '" + m.nft_table + "': use 1 to 32 of a-z, 0-9 and _"};
  }
  if (!IsValidUserName(m.runner_group)) {
    throw UsageError{"", "invalid --runner-group '" + m.runner_group + "': not a valid group name"};
  }
  if (!fs::path(m.runner_dir).is_absolute()) {
    throw UsageError{"", "--runner-dir '" + m.runner_dir + "' is not an absolute path"};
  }
  Context context = HostContext(Target::kLinux, ws);
  context.nft_table = m.nft_table;
  context.runner_group = m.runner_group;
  if (!m.tmp_root.empty()) context.tmp_root = m.tmp_root;
  return context;
}

std::unique_ptr<Host> MakeHost(const MachineOptions& m, const StateStore& /*store*/, bool shallow) {
  auto host = std::make_unique<LinuxHost>(BootConfig(m), RunnerSetup(m));
  host->set_shallow(shallow);
  return host;
}

BootUnitConfig BootConfig(const MachineOptions& m) {
  auto exe = ExecutablePath();
  return BootUnitConfig{fs::absolute(m.unit_dir), exe.ok() ? *exe : fs::path("/usr/bin/sandboxctl"),
                        fs::absolute(m.state_dir)};
}

RunnerConfig RunnerSetup(const MachineOptions& m) {
  auto exe = ExecutablePath();
  const fs::path bin = exe.ok() ? exe->parent_path() : fs::path("/usr/local/bin");
  return RunnerConfig{fs::path(m.runner_dir).lexically_normal(),
                      (bin.parent_path() / "libexec" / "sandboxctl" / kRunnerName).lexically_normal(),
                      fs::absolute(m.state_dir)};
}

std::string PrivilegedCommand(const std::string& command) { return "'sudo sandboxctl " + command + "'"; }

bool RequireRoot(const std::string& command, Io io) {
  if (RunningAsRoot()) return true;
  io.err << "sandboxctl " << command << ": must run as root (it creates users, ACL entries and firewall rules); "
         << "try: sudo sandboxctl " << command << "\n";
  return false;
}

namespace {

// The sandbox users a resource is about: a user's name, or a grant's or rule's principal.
std::string PrincipalOf(const Resource& r) {
  if (r.type == "user") return r.attributes.value("name", "");
  return r.attributes.value("principal", "");
}

// Whose account or firewall rules go: a command of theirs would run on unconfined by
// those rules (grants that go only take access away).
std::set<std::string> UsersLosing(const ChangeSet& changes) {
  std::set<std::string> users;
  for (const auto& c : changes.changes) {
    if (c.action != Action::kDelete || (c.resource.type != "user" && c.resource.type != "nft_rule")) continue;
    if (const std::string who = PrincipalOf(c.resource); !who.empty()) users.insert(who);
  }
  return users;
}

std::vector<std::string> CommandsOf(const std::set<std::string>& users) {
  std::vector<std::string> lines;
  for (const auto& name : users) {
    const auto account = LookupUser(name);
    if (!account || account->uid == 0) continue;
    for (const auto& p : ProcessesOf(account->uid)) {
      lines.push_back(name + ": pid " + std::to_string(p.pid) + " " + p.command);
    }
  }
  return lines;
}

}  // namespace

std::vector<std::string> RunningSandboxCommands(const ChangeSet& changes) { return CommandsOf(UsersLosing(changes)); }

std::vector<std::string> RunningSandboxCommands(const State& state) {
  std::set<std::string> users;
  for (const auto& [id, record] : state.records) {
    if (record.resource.type == "user") users.insert(PrincipalOf(record.resource));
  }
  users.erase("");
  return CommandsOf(users);
}

Result<size_t> EndRunningSandboxCommands(const ChangeSet& changes) {
  size_t ended = 0;
  for (const auto& name : UsersLosing(changes)) {
    const auto account = LookupUser(name);
    if (!account || account->uid == 0) continue;
    auto n = EndProcessesOf(account->uid);
    if (!n.ok()) return n.error();
    ended += *n;
  }
  return ended;
}

// While users, grants and rules change, the runner starts nothing (it cannot see the
// state file's steps in progress); the mark stays where a run fails or is killed, until
// an apply or destroy finishes.
Result<Ok> MarkChangesStarting(const StateStore& store) {
  const fs::path busy = LaunchBusyPath(store.dir());
  int fd = open(busy.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  } else if (errno != ENOENT) {  // no launch directory: no record the runner could use
    return SysError("open", busy.string(), errno);
  }
  return Ok{};
}

void MarkChangesDone(const StateStore& store) { unlink(LaunchBusyPath(store.dir()).c_str()); }

bool BackgroundWorkersSupported() { return true; }

std::shared_ptr<void> LockBackgroundWorker(const MachineOptions& m) {
  std::error_code ec;
  fs::create_directories(m.state_dir, ec);
  auto held = TryLockBackground(m.state_dir);
  if (!held.ok() || *held < 0) return nullptr;
  // NOLINTNEXTLINE(modernize-return-braced-init-list): the type says what is made
  return std::shared_ptr<void>(new int(*held), [](void* p) {
    close(*static_cast<int*>(p));
    delete static_cast<int*>(p);
  });
}

bool WorkerAlive(int pid) { return ProcessAlive(pid); }

Result<int> StartBackgroundWorker(const GlobalOptions& g, const MachineOptions& m, const fs::path& workspace,
                                  size_t grants) {
  auto exe = ExecutablePath();
  if (!exe.ok()) return exe.error();
  std::vector<std::string> argv{exe->string()};
  if (g.machine_profiles) argv.insert(argv.end(), {"--machine-profiles", *g.machine_profiles});
  if (g.builtin_profiles) argv.insert(argv.end(), {"--builtin-profiles", *g.builtin_profiles});
  argv.insert(argv.end(), {"--workspace", workspace.string(), "apply", "--background-worker", "--yes", "--state-dir",
                           fs::absolute(m.state_dir).string(), "--log-dir", fs::absolute(m.log_dir).string(),
                           "--lock-timeout", "3600", "--nft-table", m.nft_table, "--unit-dir",
                           fs::absolute(m.unit_dir).string(), "--runner-group", m.runner_group, "--runner-dir",
                           m.runner_dir});
  if (!m.tmp_root.empty()) argv.insert(argv.end(), {"--tmp-root", fs::absolute(m.tmp_root).string()});
  for (const auto& p : m.profiles) argv.insert(argv.end(), {"--profile", p});
  auto pid = SpawnDetached(argv);
  if (!pid.ok()) return pid.error();
  auto store = StateStore::Open(m.state_dir, false, std::chrono::seconds(0), nullptr);
  if (store.ok()) {
    store->SaveProgress({{"pid", *pid}, {"workspace", workspace.string()}, {"total", grants}, {"done", 0},
                         {"current", "waiting for the lock"}}).ok();
  }
  return pid;
}

}  // namespace sbx::cli
