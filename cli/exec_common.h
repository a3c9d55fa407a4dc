// What `sandboxctl exec` does alike on Linux (cmd_exec.cc) and Windows
// (cmd_exec_windows.cc): its options, where the command begins, which profile's launch it
// runs, and the check that what the profile restricts is what apply recorded.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/machine.h"

namespace sbx::cli {

inline constexpr int kExitTimeout = 124;
inline constexpr int kExitSetup = 125;
inline constexpr int kExitNotFound = 127;

struct ExecOptions {
  std::string isolation = "auto";
  std::optional<double> timeout;
  std::optional<std::string> cwd, json_status;
  bool verbose = false;
  bool quiet = false;  // no line when auto picks namespace isolation
  std::optional<std::string> trust_store;  // --trust-store (cli/trust_store.h)
};

// Refuses (exit 125) with what is missing and how to fix it.
struct Refusal {
  std::string message;
};

// The options end where the command begins: after "--", or at the first word that is not
// an option or an option's value.
std::pair<std::vector<std::string>, std::vector<std::string>> SplitCommand(const std::vector<std::string>& args);

// Parses exec's options (`args`, the machine's included) and checks them and `command`;
// false after printing `usage` for --help. Usage errors are thrown with exit 125, like
// env's and timeout's.
bool ParseExecOptions(const std::vector<std::string>& args, const std::vector<std::string>& command,
                      const std::string& usage, GlobalOptions& g, MachineOptions& m, ExecOptions& x, Io io);

// The plan as apply makes it (the workspace's own profiles), or a profile of another layer
// that the workspace does not use, compiled alone; and which profile runs: the one named,
// or the workspace's only one (a UsageError with exit 125 otherwise). nullopt after the
// diagnostics of an invalid profile are printed.
struct ExecPlan {
  Plan plan;
  std::string profile;
  const LaunchSpec& spec() const;
};
std::optional<ExecPlan> CompileExecPlan(const GlobalOptions& g, const MachineOptions& m,
                                        const std::filesystem::path& ws, Io io);

// How CheckAppliedAsPlanned looks at a resource of the profile.
enum class AppliedCheck {
  kNot,         // not at all (what lets others use the runner restricts nothing)
  kIfRecorded,  // if apply recorded it, with the same attributes: grants that only give access
  kAlways,      // recorded, with the same attributes: what restricts the sandbox
};

// Refuses while an apply or destroy is changing (or was interrupted changing) anything but
// background read grants, and when a resource of the profile is not recorded as `check`
// says. Grants that only give access may be missing (apply found them in place, or a new
// root is not granted yet: the sandbox is then refused there, which is stricter); a deny
// grant on a path that does not exist has nothing to protect yet (apply records none),
// and once the path exists apply must give it its entry first.
void CheckAppliedAsPlanned(const Plan& plan, const State& state, const std::string& profile,
                           const std::function<AppliedCheck(const Resource&)>& check);

}  // namespace sbx::cli
