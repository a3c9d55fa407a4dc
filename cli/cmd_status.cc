// sandboxctl status: is the machine still what the profiles say? Exit 0 in sync, 3 drifted.
#include <iostream>

#include "cli/machine.h"
#include "engine/core/host_info.h"
#include "engine/core/strings.h"

namespace sbx::cli {

namespace po = boost::program_options;

inline constexpr int kExitDrifted = 3;

int RunStatus(GlobalOptions g, const std::vector<std::string>& args, Io io) {
  MachineOptions m;
  bool deep = false;
  po::options_description specific = MachineOptionsDescription(m, true);
  specific.add_options()("deep", po::bool_switch(&deep), "check every file of every granted tree, not only its root");
  if (!ParseCommandLine("status", args, specific, {}, g,
                        "sandboxctl status [--deep]\n\n"
                        "Reports drift between the machine and the workspace's profiles: a sandbox user\n"
                        "deleted, an ACL entry stripped, a firewall rule flushed, a profile changed since\n"
                        "the last apply. Exit status: 0 in sync, 3 drifted, 1 error.",
                        io.out)) {
    return kExitOk;
  }
  const auto ws = ResolveWorkspace(g);
  auto plan = CompileWorkspacePlan(g, m, ws, io);
  if (!plan) return kExitFailure;
  auto loaded = LoadState("status", m, false, io);
  if (!loaded) return kExitFailure;
  auto host = MakeHost(m, loaded->store, !deep);
  auto examined = Examine("status", *plan, ws.string(), loaded->state, *host, false, !RunningAsRoot(), io);
  if (!examined) return kExitFailure;
  const ChangeSet& changes = examined->changes;
  const bool drifted = changes.HasMachineChanges() || !changes.conflicts.empty();
  // Read grants an apply left to its background worker.
  nlohmann::json progress = loaded->store.LoadProgress();
  if (progress.is_object()) progress["running"] = WorkerAlive(progress.value("pid", 0));
  // What the sandbox users run now (root sees every process; others may not).
  const auto running = RunningSandboxCommands(loaded->state);
  if (g.json) {
    nlohmann::json j = ChangesToJson(changes);
    j["running"] = running;
    j["in_sync"] = !drifted;
    j["deep"] = deep;
    j["background"] = progress;
    io.out << j.dump(2) << "\n";
    return drifted ? kExitDrifted : kExitOk;
  }
  if (progress.is_object()) {
    io.out << "Read grants in the background: " << progress.value("done", 0) << " of " << progress.value("total", 0)
           << " done, now " << progress.value("current", "") << " (pid " << progress.value("pid", 0) << ", "
           << (progress["running"].get<bool>() ? "running" : "stopped; run " + PrivilegedCommand("apply") + " to finish")
           << ").\n";
  }
  if (!running.empty()) io.out << "Running sandboxed commands:\n  " << Join(running, "\n  ") << "\n";
  if (drifted) {
    io.out << "Drift between the machine and the profiles (run " << PrivilegedCommand("apply") << " to repair):\n"
           << RenderChangesText(changes);
  } else {
    io.out << "In sync" << (deep ? "" : " (roots of granted trees checked; --deep checks every file)") << ".\n";
  }
  return drifted ? kExitDrifted : kExitOk;
}

}  // namespace sbx::cli
