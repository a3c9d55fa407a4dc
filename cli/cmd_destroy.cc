// sandboxctl destroy: remove what sandboxctl made for this workspace (or everywhere) and
// restore what it changed.
#include <iostream>

#include "cli/machine.h"
#include "engine/core/host_info.h"
#include "engine/core/strings.h"

namespace sbx::cli {

namespace po = boost::program_options;

int RunDestroy(GlobalOptions g, const std::vector<std::string>& args, Io io) {
  MachineOptions m;
  bool all = false, yes = false;
  po::options_description specific = MachineOptionsDescription(m, false);
  specific.add_options()("all", po::bool_switch(&all), "every workspace applied on this machine")(
      "yes,y", po::bool_switch(&yes), "destroy without asking");
  if (!ParseCommandLine("destroy", args, specific, {}, g,
                        "sandboxctl destroy [--all] [--yes]\n\n"
                        "Removes the users, groups, directories, ACL entries and firewall rules sandboxctl\n"
                        "created for this workspace (with --all: for every workspace) and restores what it\n"
                        "changed. Objects other workspaces still need stay. Needs root.",
                        io.out)) {
    return kExitOk;
  }
  if (!RequireRoot("destroy", io)) return kExitFailure;
  const auto ws = ResolveWorkspace(g);
  auto loaded = LoadState("destroy", m, true, io);
  if (!loaded) return kExitFailure;
  const Plan empty;
  auto host = MakeHost(m, loaded->store, false);
  auto examined = Examine("destroy", empty, ws.string(), loaded->state, *host, all, false, io);
  if (!examined) return kExitFailure;
  const ChangeSet& changes = examined->changes;
  if (!g.json) io.out << RenderChangesText(changes);
  // Commands of the sandbox users that go: ended first (--yes), or the destroy refused;
  // never a firewall rule taken away under a command that still runs.
  const auto running = RunningSandboxCommands(changes);
  if (!yes && !SettleRunningSandboxCommands("destroy", changes, running, false, g.json, "", io)) return kExitFailure;
  if (changes.HasMachineChanges() && !yes) {
    if (!StdinIsTerminal()) {
      io.err << "sandboxctl destroy: not on a terminal; pass --yes to destroy without asking\n";
      return kExitFailure;
    }
    io.out << "\nDestroy these objects? Only 'yes' is accepted: " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "yes") {
      io.out << "Destroy cancelled.\n";
      return kExitFailure;
    }
  }
  AuditLog audit(m.log_dir, "destroy", all ? "*" : ws.string());
  if (!SettleRunningSandboxCommands("destroy", changes, running, true, g.json, "nothing was removed", io)) {
    return kExitFailure;
  }
  auto result = ExecuteChanges(changes, ws.string(), examined->observed, empty, *host, loaded->state, loaded->store, audit,
                               io, g.json);
  nlohmann::json summary = ChangesToJson(changes)["summary"];
  if (!result.ok()) {
    audit.Run("failed", summary);
    io.err << "sandboxctl destroy: " << result.error().Render() << "\nRun 'sandboxctl destroy' again to finish.\n";
    return kExitFailure;
  }
  audit.Run("ok", summary);
  // The progress of read grants that a killed apply left behind: the grants are gone now.
  nlohmann::json progress = loaded->store.LoadProgress();
  if (progress.is_object() && (all || progress.value("workspace", "") == ws.string()) &&
      !WorkerAlive(progress.value("pid", 0))) {
    loaded->store.ClearProgress();
  }
  if (g.json) io.out << ChangesToJson(changes).dump(2) << "\n";
  else if (changes.HasMachineChanges()) io.out << "\nDestroy complete: " << changes.Count(Action::kDelete) << " destroyed.\n";
  return kExitOk;
}

}  // namespace sbx::cli
