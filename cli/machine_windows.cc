// The machine commands on Windows: an elevated administrator, the Windows host (local
// users, capability SIDs, NTFS ACEs, Windows Firewall), and read grants made within
// apply, after the rest. `exec` and `restore` are cmd_exec_windows.cc and
// cmd_restore_windows.cc.
#include <string>

#include "cli/machine.h"
#include "engine/core/host_info.h"
#include "engine/os_windows/privileges.h"
#include "engine/os_windows/windows_host.h"

namespace sbx::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;

MachineOptions::MachineOptions()
    : state_dir(DefaultStateDir().string()), log_dir((DefaultStateDir() / "log").string()) {}

void AddPlatformOptions(po::options_description&, MachineOptions&) {}

Context MachineContext(const MachineOptions& m, const fs::path& ws) {
  Context context = HostContext(Target::kWindows, ws);
  if (!m.tmp_root.empty()) context.tmp_root = m.tmp_root;
  return context;
}

std::unique_ptr<Host> MakeHost(const MachineOptions&, const StateStore& store, bool) {
  // An administrator's walks must get past what a sandbox user shut them out of. Without
  // elevation (plan, status) there is nothing to enable, and a walk that meets such an
  // entry fails naming it.
  if (RunningAsRoot()) EnableBackupAndRestorePrivileges().ok();
  WindowsHostConfig config;
  config.store = &store;
  return std::make_unique<WindowsHost>(config);
}

std::string PrivilegedCommand(const std::string& command) {
  return "'sandboxctl " + command + "' as an administrator";
}

bool RequireRoot(const std::string& command, Io io) {
  if (RunningAsRoot()) return true;
  io.err << "sandboxctl " << command
         << ": must run as an administrator, elevated (it creates users, ACEs and firewall rules); "
            "start the terminal with 'Run as administrator' and try again\n";
  return false;
}

std::vector<std::string> RunningSandboxCommands(const ChangeSet&) { return {}; }
std::vector<std::string> RunningSandboxCommands(const State&) { return {}; }
Result<size_t> EndRunningSandboxCommands(const ChangeSet&) { return size_t{0}; }

Result<Ok> MarkChangesStarting(const StateStore&) { return Ok{}; }
void MarkChangesDone(const StateStore&) {}

bool BackgroundWorkersSupported() { return false; }

Result<int> StartBackgroundWorker(const GlobalOptions&, const MachineOptions&, const fs::path&, size_t) {
  return Error{"not_supported", "", "", "background workers are not part of the Windows build"};
}

std::shared_ptr<void> LockBackgroundWorker(const MachineOptions&) { return nullptr; }

bool WorkerAlive(int) { return false; }

}  // namespace sbx::cli
