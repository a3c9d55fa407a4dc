// The environment a sandboxed command sees, from the launch spec and the caller's
// environment. Pure: `exec` passes the caller's variables in.
//
// Order of the rules: start from nothing (inherit = "none"), the core list, or everything
// (inherit = "all"); add the variables env.allow matches; remove every variable env.deny
// or the default secret list matches, without regard to case on every target (deny wins
// over allow and inherit: the default list is a floor); then env.set,
// which the profile's author wrote out and so is kept; finally what sandboxctl itself
// sets (TMPDIR, HOME unless env.set has it, USER and LOGNAME).
//
// For Windows (`target`), names are matched without regard to case, as Windows compares
// them: "Path" is the core list's PATH, "github_token" meets the "*_TOKEN" deny pattern,
// and env.set's or sandboxctl's "PATH" replaces the caller's "Path" instead of standing
// beside it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/plan/plan.h"

namespace sbx {

// Shell-style matching of an environment variable name: '*' any run, '?' one character.
bool MatchEnvPattern(std::string_view pattern, std::string_view name);

// "NAME=value" strings, sorted by name. `caller`: NAME=value strings as in environ;
// malformed ones (no '=') are dropped. `fixed`: the variables sandboxctl sets.
std::vector<std::string> SandboxEnvironment(const LaunchSpec& spec, const std::vector<std::string>& caller,
                                            const std::map<std::string, std::string>& fixed,
                                            Target target = Target::kLinux);

// Whether the command may start in `cwd`: inside something the sandbox may read (a
// writable, read-only or readable root, the workspace, its ${tmp}) and not in a deny-read
// path. Paths are compared as `target` compares them (on Windows without regard to case).
bool MayRunIn(const LaunchSpec& spec, const std::string& workspace, const std::string& tmp, const std::string& cwd,
              Target target = Target::kLinux);

// Where the command runs, for the command: SANDBOXCTL_PROFILE (the profile's name) and
// SANDBOXCTL_ISOLATION ("user" or "namespace").
std::map<std::string, std::string> RunVariables(const LaunchSpec& spec, std::string_view isolation);

// What sandboxctl sets for a command run as the sandbox user: RunVariables with "user", USER, LOGNAME, and git's
// trust of `repository` (the top of the repository holding the workspace, or the workspace:
// it belongs to someone else than the sandbox user, so git would refuse it as a "dubious
// ownership" repository) unless the profile sets git's config.
// On Windows USERNAME instead of USER and LOGNAME.
std::map<std::string, std::string> SandboxUserVariables(const LaunchSpec& spec, const std::string& repository,
                                                        Target target = Target::kLinux);

}  // namespace sbx
