// Shared by plan, apply, status and destroy: the options that say where the machine's
// state and audit log live, compiling the workspace's plan, and the audit log. The same
// commands run on Linux and Windows; what differs is behind the functions marked "per
// OS" (cli/machine_linux.cc, cli/machine_windows.cc).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/common.h"
#include "engine/reconcile/diff.h"
#include "engine/reconcile/host.h"
// engine/os_linux/state_store.h or engine/os_windows/state_store.h: CMake puts the
// directory of the build's OS on sbx_cli's include path. Both declare StateStore.
#include "state_store.h"

namespace sbx::cli {

struct MachineOptions {
  MachineOptions();  // per OS: the defaults of this OS
  std::string state_dir;
  std::string log_dir;
  int lock_timeout = 300;
  std::string tmp_root;  // empty: the default
  std::vector<std::string> profiles;
  // Linux only.
  std::string nft_table = "sandboxctl";
  std::string unit_dir = "/etc/systemd/system";
  std::string runner_group = "sandboxctl";
  std::string runner_dir = "/usr/local/libexec/sandboxctl";
};

// --state-dir, --log-dir, --lock-timeout, --tmp-root and this OS's own (and --profile
// when `with_profiles`).
boost::program_options::options_description MachineOptionsDescription(MachineOptions& m, bool with_profiles);
// Per OS: the options only this OS has.
void AddPlatformOptions(boost::program_options::options_description& d, MachineOptions& m);

// Compiles the plan of the workspace's profiles (or those named) for this machine;
// prints the diagnostics. nullopt when a profile is invalid.
std::optional<Plan> CompileWorkspacePlan(const GlobalOptions& g, const MachineOptions& m,
                                         const std::filesystem::path& ws, Io io);
// Per OS: the plan's context for this machine; throws UsageError for a bad option.
Context MachineContext(const MachineOptions& m, const std::filesystem::path& ws);

// Per OS: the host that observes and changes this machine. `shallow`: observe file
// grants on their root only (a quick status).
std::unique_ptr<Host> MakeHost(const MachineOptions& m, const StateStore& store, bool shallow);

// Per OS: fails (exit 1) before anything is touched without root (Linux) or an elevated
// administrator (Windows).
bool RequireRoot(const std::string& command, Io io);
// Per OS: how a person runs `sandboxctl <command>` with the privileges it needs, for
// messages: "sudo sandboxctl apply", or "sandboxctl apply" as an administrator.
std::string PrivilegedCommand(const std::string& command);

// The state store (locked for changes when `lock`) and the state it holds. Prints the
// error as "sandboxctl <command>: ..." and returns nullopt on failure.
struct Loaded {
  StateStore store;
  State state;
};
std::optional<Loaded> LoadState(const std::string& command, const MachineOptions& m, bool lock, Io io);

// Observes what matters for `plan` and computes the changes; prints the error and
// returns nullopt on failure. `partial`: objects it may not look at are listed, not fatal.
struct Examined {
  std::map<std::string, Observation> observed;
  ChangeSet changes;
};
std::optional<Examined> Examine(const std::string& command, const Plan& plan, const std::string& workspace,
                                const State& state, Host& host, bool all_workspaces, bool partial, Io io);

// Appends JSON lines to <log_dir>/audit.log: one per action and one per run.
class AuditLog {
 public:
  AuditLog(const std::string& log_dir, std::string command, std::string workspace);
  void Action(const Change& change, const std::optional<Error>& error);
  void Run(const std::string& outcome, const nlohmann::json& summary);
  // One line per exec: who, which profile and isolation, the command and its result.
  void Exec(const nlohmann::json& result);

 private:
  void Write(nlohmann::json entry);
  std::string command_, workspace_;
  std::shared_ptr<void> logger_;
};

// Executes `changes`, printing each step, auditing it, saving the state after each.
Result<Ok> ExecuteChanges(const ChangeSet& changes, const std::string& workspace,
                          const std::map<std::string, Observation>& observed, const Plan& plan, Host& host,
                          State& state, const StateStore& store, AuditLog& audit, Io io, bool quiet);

// Executes the background (read) grants, keeping <state-dir>/background.json up to date
// for `status`, with a progress bar on a terminal unless `quiet`.
Result<Ok> RunBackground(const ChangeSet& background, const std::string& workspace,
                         const std::map<std::string, Observation>& observed, const Plan& plan, Host& host, State& state,
                         const StateStore& store, AuditLog& audit, Io io, bool quiet);

// Per OS: whether read grants can go to a background worker. Where they cannot, apply
// makes them itself, after the rest, with a progress bar on a terminal.
bool BackgroundWorkersSupported();
// Per OS: starts `sandboxctl apply --background-worker` for this workspace, detached;
// records the pending work in the progress record. Returns the worker's pid.
Result<int> StartBackgroundWorker(const GlobalOptions& g, const MachineOptions& m, const std::filesystem::path& workspace,
                                  size_t grants);
// Per OS: the lock a background worker holds while it runs (at most one runs per state
// directory); nullptr when another worker holds it.
std::shared_ptr<void> LockBackgroundWorker(const MachineOptions& m);
// Per OS: whether the process `pid` (a background worker's) still runs.
bool WorkerAlive(int pid);

// Per OS: the commands sandbox users run, one line each ("sbx-web: pid 4242 python3"):
// those whose account, grants or firewall rules `changes` removes (destroy, or an apply
// that drops a profile), or, for status, every sandbox user `state` records. Linux: every
// process with that uid; Windows: none is looked for yet.
std::vector<std::string> RunningSandboxCommands(const ChangeSet& changes);
std::vector<std::string> RunningSandboxCommands(const State& state);
// Per OS: ends the commands RunningSandboxCommands(changes) lists, before anything of
// theirs goes (firewall rules never go while a command of that user runs); how many.
Result<size_t> EndRunningSandboxCommands(const ChangeSet& changes);

// Writable roots of `plan` that do not exist, where no directory of the plan is made:
// they get no entries until they do and apply runs again (plan and apply say so).
std::vector<std::string> MissingWritableRoots(const Plan& plan);
// Says on err, as `command`, which writable roots MissingWritableRoots finds.
void SayMissingWritableRoots(const std::string& command, const std::vector<std::string>& missing, Io io);

// The commands RunningSandboxCommands(changes) listed as `running`: refused when not
// `yes` (listed on err as `command`'s refusal: false), else ended, said on out unless
// `quiet` (false, said on err, if they could not be; `undone` tells what was not done).
bool SettleRunningSandboxCommands(const std::string& command, const ChangeSet& changes,
                                  const std::vector<std::string>& running, bool yes, bool quiet,
                                  const std::string& undone, Io io);

// Per OS: marks, and after a successful run unmarks, that machine changes are under way
// (on Linux the runner starts nothing meanwhile).
Result<Ok> MarkChangesStarting(const StateStore& store);
void MarkChangesDone(const StateStore& store);

}  // namespace sbx::cli
