// The machine commands in a Windows build. The Windows host (users, NTFS ACLs, Windows
// Firewall, the runner) is not part of this build yet: each command says so, plainly,
// and points at what does work here. Nothing is changed.
#include <string>

#include "cli/common.h"

namespace sbx::cli {
namespace {

int NotYet(const std::string& command, Io io) {
  io.err << "sandboxctl " << command
         << ": this Windows build does not include the Windows host yet, so it cannot look at or "
            "change this machine. 'sandboxctl compile --target windows' shows the plan that " << command
         << " will carry out; 'validate' and 'list' work as on Linux.\n";
  return kExitFailure;
}

}  // namespace

int RunPlan(GlobalOptions, const std::vector<std::string>&, Io io) { return NotYet("plan", io); }
int RunApply(GlobalOptions, const std::vector<std::string>&, Io io) { return NotYet("apply", io); }
int RunStatus(GlobalOptions, const std::vector<std::string>&, Io io) { return NotYet("status", io); }
int RunDestroy(GlobalOptions, const std::vector<std::string>&, Io io) { return NotYet("destroy", io); }
int RunRestore(GlobalOptions, const std::vector<std::string>&, Io io) { return NotYet("restore", io); }
int RunExec(GlobalOptions, const std::vector<std::string>&, Io io) { return NotYet("exec", io); }

}  // namespace sbx::cli
