// sandboxctl restore: put the firewall rules back from the state file, e.g. at boot
// (sandboxctl-firewall.service runs it), since nftables rules do not survive a reboot.
#include <iostream>

#include "cli/machine_linux.h"

namespace sbx::cli {

namespace po = boost::program_options;

int RunRestore(GlobalOptions g, const std::vector<std::string>& args, Io io) {
  MachineOptions m;
  po::options_description specific = MachineOptionsDescription(m, false);
  if (!ParseCommandLine("restore", args, specific, {}, g,
                        "sandboxctl restore\n\n"
                        "Recreates the nftables table, chain and rules recorded in the state file, for every\n"
                        "workspace, without reading any profile, and marks the runner's launch records as\n"
                        "valid for this boot. Run at boot by sandboxctl-firewall.service.\n"
                        "Needs root.",
                        io.out)) {
    return kExitOk;
  }
  if (!RequireRoot("restore", io)) return kExitFailure;
  auto loaded = LoadState("restore", m, true, io);
  if (!loaded) return kExitFailure;
  // The recorded firewall objects, as a plan of their own: the same ordering rules apply.
  Plan firewall;
  for (const auto& [id, record] : loaded->state.records) {
    const std::string& type = record.resource.type;
    // Launch records say in which boot the rules were last put in place; the runner
    // refuses those of an earlier boot.
    if (type == "nft_table" || type == "nft_chain" || type == "nft_rule" || type == "launch_record") {
      firewall.resources.push_back(record.resource);
    }
  }
  LinuxHost host(BootConfig(m), RunnerSetup(m));
  int restored = 0, in_place = 0;
  std::vector<Change> todo;
  for (const auto& r : firewall.resources) {
    auto o = host.Observe(r);
    if (!o.ok()) {
      io.err << "sandboxctl restore: " << o.error().Render() << "\n";
      return kExitFailure;
    }
    if (!o->present || !o->in_sync) todo.push_back({Action::kUpdate, r, ""});
    else if (r.type != "launch_record") ++in_place;
  }
  // Tables before chains before rules, rules in their order: ids sort that way within a
  // type, and the types are handled in dependency order.
  int marked = 0;
  bool unmarked = false;
  for (const char* type : {"nft_table", "nft_chain", "nft_rule", "launch_record"}) {
    for (const auto& c : todo) {
      if (c.resource.type != type) continue;
      if (auto e = host.Ensure(c.resource, nullptr); !e.ok()) {
        io.err << "sandboxctl restore: " << e.error().Render() << "\n";
        // One record that cannot be written (an account it names is gone) keeps the
        // runner from using that profile only; the others are still marked.
        if (c.resource.type != "launch_record") return kExitFailure;
        unmarked = true;
        continue;
      }
      ++(c.resource.type == "launch_record" ? marked : restored);
    }
  }
  if (g.json) {
    io.out << nlohmann::json{{"changed", restored + marked > 0},
                             {"restored", restored},
                             {"in_place", in_place},
                             {"launch_records_marked", marked}}
                  .dump(2)
           << "\n";
  } else {
    io.out << "Restored " << restored << " firewall objects; " << in_place << " already in place.\n";
    if (marked > 0) io.out << "Marked " << marked << " launch records as valid for this boot.\n";
  }
  if (unmarked) {
    io.err << "sandboxctl restore: the runner refuses the profiles whose records could not be marked; run "
              "'sudo sandboxctl apply' in their workspaces\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace sbx::cli
