// sandboxctl apply: make the machine match the workspace's profiles.
#include <iostream>

#include "cli/machine.h"
#include "engine/core/host_info.h"

namespace sbx::cli {

namespace po = boost::program_options;

int RunApply(GlobalOptions g, const std::vector<std::string>& args, Io io) {
  MachineOptions m;
  bool yes = false, wait = false;
  po::options_description specific = MachineOptionsDescription(m, true);
  specific.add_options()("yes,y", po::bool_switch(&yes), "apply without asking")(
      "wait", po::bool_switch(&wait), "wait for every grant (all grants are applied before apply returns)");
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
  auto plan = CompileWorkspacePlan(g, m, ws, io);
  if (!plan) return kExitFailure;
  auto loaded = LoadState("apply", m, true, io);
  if (!loaded) return kExitFailure;
  LinuxHost host(BootConfig(m));
  auto examined = Examine("apply", *plan, ws.string(), loaded->state, host, false, false, io);
  if (!examined) return kExitFailure;
  const ChangeSet& changes = examined->changes;
  if (!changes.conflicts.empty()) {
    if (g.json) io.out << ChangesToJson(changes).dump(2) << "\n";
    else io.out << RenderChangesText(changes);
    io.err << "sandboxctl apply: refusing to take over objects sandboxctl did not create (marked !); "
              "rename the sandbox user in [identity].user or remove the object\n";
    return kExitFailure;
  }
  if (!g.json) io.out << RenderChangesText(changes);
  if (changes.HasMachineChanges() && !yes) {
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
  auto result = ExecuteChanges(changes, ws.string(), examined->observed, *plan, host, loaded->state, loaded->store, audit,
                               io, g.json);
  nlohmann::json summary = ChangesToJson(changes)["summary"];
  if (!result.ok()) {
    audit.Run("failed", summary);
    io.err << "sandboxctl apply: " << result.error().Render()
           << "\nWhat was done is recorded; run 'sandboxctl apply' again to finish, or 'sandboxctl destroy' to undo.\n";
    return kExitFailure;
  }
  audit.Run("ok", summary);
  if (g.json) {
    io.out << ChangesToJson(changes).dump(2) << "\n";
  } else if (changes.HasMachineChanges()) {
    io.out << "\nApply complete: " << changes.Count(Action::kCreate) << " added, " << changes.Count(Action::kUpdate)
           << " changed, " << changes.Count(Action::kDelete) << " destroyed.\n";
  }
  (void)wait;  // every grant is in place when apply returns
  return kExitOk;
}

}  // namespace sbx::cli
