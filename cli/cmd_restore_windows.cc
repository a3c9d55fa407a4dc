// sandboxctl restore on Windows: puts back the firewall rules recorded in the state file,
// for every workspace, without reading any profile. Windows Firewall keeps its rules across
// a reboot, so this is for rules removed or changed since apply (by hand, by a tool that
// resets the firewall): exec refuses a profile whose rules are not in place and names
// this command.
#include <iostream>

#include "cli/machine.h"
#include "engine/core/host_info.h"
#include "engine/os_windows/windows_host.h"

namespace sbx::cli {

int RunRestore(GlobalOptions g, const std::vector<std::string>& args, Io io) {
  MachineOptions m;
  boost::program_options::options_description specific = MachineOptionsDescription(m, false);
  if (!ParseCommandLine("restore", args, specific, {}, g,
                        "sandboxctl restore\n\n"
                        "Recreates the Windows Firewall rules recorded in the state file that are missing\n"
                        "or changed, for every workspace, without reading any profile.\n"
                        "Runs as an administrator, elevated.",
                        io.out)) {
    return kExitOk;
  }
  if (!RequireRoot("restore", io)) return kExitFailure;
  auto loaded = LoadState("restore", m, true, io);
  if (!loaded) return kExitFailure;
  std::unique_ptr<Host> host = MakeHost(m, loaded->store, false);
  int restored = 0, in_place = 0;
  // A rule depends on its user only, which restore does not make: rules in any order.
  for (const auto& [id, record] : loaded->state.records) {
    if (record.resource.type != "firewall_rule") continue;
    auto o = host->Observe(record.resource);
    if (!o.ok()) {
      io.err << "sandboxctl restore: " << o.error().Render() << "\n";
      return kExitFailure;
    }
    if (o->present && o->in_sync) {
      ++in_place;
      continue;
    }
    if (auto e = host->Ensure(record.resource, nullptr); !e.ok()) {
      io.err << "sandboxctl restore: " << e.error().Render() << "\n";
      return kExitFailure;
    }
    ++restored;
  }
  if (g.json) {
    io.out << nlohmann::json{{"changed", restored > 0}, {"restored", restored}, {"in_place", in_place}}.dump(2) << "\n";
  } else {
    io.out << "Restored " << restored << " firewall rules; " << in_place << " already in place.\n";
  }
  return kExitOk;
}

}  // namespace sbx::cli

namespace sbx::cli {

// Trust decides what namespace isolation may run, and namespace isolation is Linux's: on
// Windows every exec is user isolation, after apply, which is its review.
int RunTrust(GlobalOptions g, const std::vector<std::string>& args, Io io) {
  boost::program_options::options_description specific("trust options");
  if (!ParseCommandLine("trust", args, specific, {}, g,
                        "sandboxctl trust\n\n"
                        "Trusts a workspace's profiles for namespace isolation, which is Linux's.\n"
                        "On Windows every exec runs in user isolation after apply.",
                        io.out)) {
    return kExitOk;
  }
  throw UsageError{"trust", "namespace isolation is Linux's; on Windows 'sandboxctl apply' reviews the profiles"};
}

}  // namespace sbx::cli
