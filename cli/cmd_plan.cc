// sandboxctl plan: what apply would change on this machine; changes nothing.
#include <iostream>

#include "cli/machine.h"
#include "engine/core/host_info.h"

namespace sbx::cli {

namespace po = boost::program_options;

int RunPlan(GlobalOptions g, const std::vector<std::string>& args, Io io) {
  MachineOptions m;
  po::options_description specific = MachineOptionsDescription(m, true);
  if (!ParseCommandLine("plan", args, specific, {}, g,
                        "sandboxctl plan [--profile NAME]...\n\n"
                        "Compares the machine with the workspace's profiles and shows what `apply` would do:\n"
                        "+ create, ~ update, - destroy, then a summary or \"No changes.\". Changes nothing and\n"
                        "works without root as far as it can observe.",
                        io.out)) {
    return kExitOk;
  }
  const auto ws = ResolveWorkspace(g);
  auto plan = CompileWorkspacePlan(g, m, ws, io);
  if (!plan) return kExitFailure;
  auto loaded = LoadState("plan", m, false, io);
  if (!loaded) return kExitFailure;
  auto host = MakeHost(m, loaded->store, false);
  auto examined = Examine("plan", *plan, ws.string(), loaded->state, *host, false, !RunningAsRoot(), io);
  if (!examined) return kExitFailure;
  const ChangeSet& changes = examined->changes;
  const auto missing = MissingWritableRoots(*plan);
  if (g.json) {
    nlohmann::json j = ChangesToJson(changes);
    j["missing_writable_roots"] = missing;
    io.out << j.dump(2) << "\n";
  } else {
    io.out << RenderChangesText(changes);
    SayMissingWritableRoots("plan", missing, io);
  }
  return changes.conflicts.empty() ? kExitOk : kExitFailure;
}

}  // namespace sbx::cli
