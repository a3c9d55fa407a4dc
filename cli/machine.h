// Shared by plan, apply, status and destroy: the options that say where the machine's
// state and audit log live, compiling the workspace's plan, and the audit log.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/common.h"
#include "engine/os_linux/linux_host.h"
#include "engine/os_linux/state_store.h"
#include "engine/reconcile/diff.h"

namespace sbx::cli {

struct MachineOptions {
  std::string state_dir = kDefaultStateDir;
  std::string log_dir = "/var/log/sandboxctl";
  int lock_timeout = 300;
  std::string nft_table = "sandboxctl";
  std::string tmp_root;  // empty: the default
  std::string unit_dir = "/etc/systemd/system";
  std::string runner_group = "sandboxctl";
  std::string runner_dir = "/usr/local/libexec/sandboxctl";
  std::vector<std::string> profiles;
};

// --state-dir, --log-dir, --lock-timeout (and --profile when `with_profiles`).
boost::program_options::options_description MachineOptionsDescription(MachineOptions& m, bool with_profiles);

// Compiles the Linux plan of the workspace's profiles (or those named); prints the
// diagnostics. nullopt when a profile is invalid.
std::optional<Plan> CompileWorkspacePlan(const GlobalOptions& g, const MachineOptions& m,
                                         const std::filesystem::path& workspace, Io io);

// The Linux host, with the boot unit pointing at this executable and state directory.
BootUnitConfig BootConfig(const MachineOptions& m);
// Where the runner goes, the one built with this executable, and the state directory.
RunnerConfig RunnerSetup(const MachineOptions& m);

// Fails (exit 1) before anything is touched when not root.
bool RequireRoot(const std::string& command, Io io);

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

// Starts `sandboxctl apply --background-worker` for this workspace, detached; records
// the pending work in the progress record. Returns the worker's pid.
Result<int> StartBackgroundWorker(const GlobalOptions& g, const MachineOptions& m, const std::filesystem::path& workspace,
                                  size_t grants);

}  // namespace sbx::cli
