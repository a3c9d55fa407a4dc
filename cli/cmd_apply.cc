// sandboxctl apply: make the machine match the workspace's profiles.
#include <iostream>

#include "cli/machine.h"
#include "engine/core/strings.h"
#include "engine/core/host_info.h"

namespace sbx::cli {

namespace po = boost::program_options;

int RunApply(GlobalOptions g, const std::vector<std::string>& args, Io io) {
  MachineOptions m;
  bool yes = false, wait = false, worker = false;
  po::options_description specific = MachineOptionsDescription(m, true);
  specific.add_options()("yes,y", po::bool_switch(&yes), "apply without asking")(
      "wait", po::bool_switch(&wait), "wait for the read grants too, with a progress bar on a terminal")(
      "background-worker", po::bool_switch(&worker), "internal: finish the read grants of an earlier apply");
  if (!ParseCommandLine("apply", args, specific, {}, g,
                        "sandboxctl apply [--profile NAME]... [--yes]\n\n"
                        "Creates, updates and removes sandbox users, ACL entries, directories and firewall\n"
                        "rules so that the machine matches the workspace's profiles; asks first on a\n"
                        "terminal. Running it again changes nothing. Needs root.",
                        io.out)) {
    return kExitOk;
  }
  if (!RequireRoot("apply", io)) return kExitFailure;
  const auto ws = ResolveWorkspace(g);
  if (!BackgroundWorkersSupported()) {
    if (worker) throw UsageError{"apply", "--background-worker: read grants run within apply on this OS"};
    wait = true;  // the read grants come after the rest, in this run
  }
  std::shared_ptr<void> background_lock;
  if (worker) {  // one worker at a time; a second one has nothing to add
    background_lock = LockBackgroundWorker(m);
    if (!background_lock) return kExitOk;
  }
  auto plan = CompileWorkspacePlan(g, m, ws, io);
  if (!plan) return kExitFailure;
  auto loaded = LoadState("apply", m, true, io);
  if (!loaded) return kExitFailure;
  auto host = MakeHost(m, loaded->store, false);
  auto examined = Examine("apply", *plan, ws.string(), loaded->state, *host, false, false, io);
  if (!examined) return kExitFailure;
  // Read grants on large trees run in the background (or with --wait, here, after the
  // rest): identities, firewall rules and write grants come first and apply returns.
  ChangeSet changes = examined->changes;
  ChangeSet background;
  std::erase_if(changes.changes, [&](const Change& c) {
    bool later = c.action != Action::kDelete && c.resource.kind == ResourceKind::kFileGrant &&
                 c.resource.attributes.value("background", false);
    if (later) background.changes.push_back(c);
    return later;
  });
  if (worker) changes = ChangeSet{};
  if (!examined->changes.conflicts.empty()) {
    changes = examined->changes;
    if (g.json) io.out << ChangesToJson(changes).dump(2) << "\n";
    else io.out << RenderChangesText(changes);
    io.err << "sandboxctl apply: refusing to take over objects sandboxctl did not create (marked !): remove each "
              "(a directory someone else made, a link or a file where sandboxctl keeps its directories), or, for a "
              "user or group, rename the sandbox user in [identity].user\n";
    return kExitFailure;
  }
  if (!g.json && !worker) {
    io.out << RenderChangesText(examined->changes);
    SayMissingWritableRoots("apply", MissingWritableRoots(*plan), io);
  }
  // A profile that goes, or whose firewall rules go: its running commands end first
  // (--yes), or the apply is refused.
  const auto running = RunningSandboxCommands(changes);
  if (!yes && !SettleRunningSandboxCommands("apply", changes, running, false, g.json, "", io)) return kExitFailure;
  if (examined->changes.HasMachineChanges() && !yes) {
    if (!StdinIsTerminal()) {
      io.err << "sandboxctl apply: not on a terminal; pass --yes to apply without asking\n";
      return kExitFailure;
    }
    io.out << "\nApply these changes? Only 'yes' is accepted: " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "yes") {
      io.out << "Apply cancelled.\n";
      return kExitFailure;
    }
  }
  AuditLog audit(m.log_dir, "apply", ws.string());
  if (!SettleRunningSandboxCommands("apply", changes, running, true, g.json, "nothing was changed", io)) {
    return kExitFailure;
  }
  auto result = ExecuteChanges(changes, ws.string(), examined->observed, *plan, *host, loaded->state, loaded->store, audit,
                               io, g.json);
  nlohmann::json summary = ChangesToJson(changes)["summary"];
  if (!result.ok()) {
    audit.Run("failed", summary);
    io.err << "sandboxctl apply: " << result.error().Render()
           << "\nWhat was done is recorded; run 'sandboxctl apply' again to finish, or 'sandboxctl destroy' to undo.\n";
    return kExitFailure;
  }
  if (!background.changes.empty()) {
    if (wait || worker) {
      auto done = RunBackground(background, ws.string(), examined->observed, *plan, *host, loaded->state, loaded->store,
                                audit, io, g.json || worker);
      background_lock.reset();
      if (!done.ok()) {
        audit.Run("failed", summary);
        io.err << "sandboxctl apply: " << done.error().Render() << "\n";
        return kExitFailure;
      }
    } else {
      auto pid = StartBackgroundWorker(g, m, ws, background.changes.size());
      if (!pid.ok()) {
        io.err << "sandboxctl apply: cannot start the background worker: " << pid.error().Render()
               << "; run " << PrivilegedCommand("apply --wait") << " to finish\n";
        return kExitFailure;
      }
      if (!g.json) {
        io.out << "\n" << background.changes.size() << " read grants continue in the background (pid " << *pid
               << "); 'sandboxctl status' shows their progress, 'sandboxctl apply --wait' waits for them.\n";
      }
    }
  }
  audit.Run("ok", summary);
  const ChangeSet& all = examined->changes;
  if (g.json) {
    nlohmann::json j = ChangesToJson(all);
    j["background"] = !background.changes.empty() && !wait && !worker;
    io.out << j.dump(2) << "\n";
  } else if (all.HasMachineChanges() && !worker) {
    io.out << "\nApply complete: " << all.Count(Action::kCreate) << " added, " << all.Count(Action::kUpdate)
           << " changed, " << all.Count(Action::kDelete) << " destroyed"
           << (!background.changes.empty() && !wait ? " (read grants still running)" : "") << ".\n";
  }
  return kExitOk;
}

}  // namespace sbx::cli
