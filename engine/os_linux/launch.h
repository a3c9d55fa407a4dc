// Launch: runs one command inside the sandbox and waits for it, the way `timeout`, `env`
// and `podman run` do: the command's own exit status, 128+N when killed by signal N,
// signals forwarded to its process group, the terminal handed over and taken back.
//
// Everything is prepared before fork (argument and environment arrays, the Landlock
// ruleset, the seccomp programs, the id maps); between fork and execve the child makes
// only async-signal-safe system calls, in the order of Step below, and reports a failed
// step as {step, errno} over a close-on-exec pipe.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/result.h"
#include "engine/launch/decide.h"
#include "engine/launch/view.h"
#include "engine/plan/plan.h"
#include "engine/reconcile/host.h"
#include "engine/os_linux/seccomp.h"

namespace sbx {


struct LaunchRequest {
  Isolation isolation = Isolation::kNamespace;
  std::string executable;  // absolute, resolved before the launch
  std::vector<std::string> argv, env;
  std::string cwd;
  uid_t uid = 0;  // user mode: the sandbox user; namespace mode: the invoking user (mapped to itself)
  gid_t gid = 0;
  // Become uid/gid first and make the namespaces as that user: namespace mode started by
  // root for a sudo user, and user mode started by the runner (no CAP_SYS_ADMIN).
  bool switch_first = false;
  // The runner: the waiting side keeps no capability. It takes the sandbox user's uid as
  // its real uid, which lets it signal the command (forwarding, timeout), and keeps the
  // caller's as its effective uid for the files it writes afterwards (status, audit log).
  bool unprivileged_supervisor = false;
  bool private_network = false;   // a network namespace of its own, with only loopback, up
  bool unix_only_fallback = false;  // no network namespace possible: allow AF_UNIX sockets only
  // Bind-mounted read-only over themselves, in a mount namespace of the command's own, and
  // their parents up to the innermost writable root holding them made mount points, so
  // that they cannot be renamed away and replaced by a writable copy.
  std::vector<std::string> read_only;
  std::vector<std::string> writable_roots;  // for the parents above
  // User mode: those inside a writable root covered by an empty read-only object in the
  // same mount namespace, their parents made mount points as the carve-outs' are.
  std::vector<std::string> deny_read;
  // Carve-outs missing at the start inside a writable root (a fresh workspace's .git): the
  // kernel cannot keep a name from being made, so whatever the command made there is moved
  // aside when it has ended, before anyone runs git in it (LaunchOutcome::quarantined).
  std::vector<std::string> absent_carve_outs;
  // Namespace mode: the filesystem the command sees (engine/launch/view.h), built in a
  // new root; the command's PID namespace gets a /proc of its own. Empty: the host's tree
  // with the carve-outs and covers above (user mode, where permissions do the rest).
  std::vector<MountOp> view;
  int landlock_fd = -1;
  int landlock_abi = 0;
  SeccompProgram seccomp, seccomp_unix_only;
  std::optional<uint64_t> memory_bytes, processes;  // RLIMIT_AS, RLIMIT_NPROC
  std::optional<double> timeout_seconds;
};

struct LaunchOutcome {
  int exit_code = 0;      // as a shell reports it: the status, 128+signal, 124 on timeout
  int signal = 0;         // the signal that ended the command, if one did
  bool timed_out = false;
  bool network_fallback = false;  // the network was cut by the AF_UNIX-only filter instead
  double seconds = 0;
  uint64_t peak_memory_bytes = 0;  // largest resident set of the command and its waited-for children
  // Carve-outs the command made where they were missing, and where each went; those that
  // could not be moved aside, with the reason.
  std::vector<std::pair<std::string, std::string>> quarantined;
  std::vector<std::string> quarantine_failed;
};

// The top of the git repository the workspace lies in: the nearest directory at or above
// it holding a `.git` (a directory or a worktree's file), else the workspace. User
// isolation tells the sandbox user's git to trust it (safe.directory): the developer owns
// it, and a workspace inside a larger repository is "dubious" to git otherwise.
std::string RepositoryTop(const std::string& workspace);

// What to run and where, for root's exec and the runner alike.
struct CommandInputs {
  std::vector<std::string> command;          // argv; command[0] is looked up on the sandbox's PATH
  std::string cwd;                           // absolute: where it runs
  std::vector<std::string> caller_env;       // the caller's environment, NAME=value
  std::map<std::string, std::string> fixed;  // what the sandbox's environment sets whatever the caller has
  std::string workspace, tmp;                // this run's
};

// Fills in q's command: the environment (engine/plan/launch_env.h SandboxEnvironment),
// the executable found on its PATH, argv and the working directory. Errors: code
// "not_found" (no such command: 127), "refused" (the profile may not read the working
// directory: 125).
Result<Ok> SetCommand(LaunchRequest& q, const LaunchSpec& spec, const CommandInputs& in);

// Errors: code "not_found" (127), "not_executable" (126), anything else is a setup
// failure (125) naming the step's system call and object.
Result<LaunchOutcome> Launch(const LaunchRequest& q);

// What namespace isolation's view is made of (engine/launch/view.h), observed on this
// host: the launch's roots (`carve_outs` as CarveOutsOfRun has them, `writable` as the run
// has them), the command itself, /etc/resolv.conf's target where it lies in /run, what a
// group of the developer's grants (lxd, incus, libvirt and docker state, the logs, the
// password hashes) and an agent's socket directory of theirs outside /tmp and /run, all
// covered; the home of `uid` (hidden), and what each of these paths is.
ViewInput ObserveView(const LaunchSpec& spec, const std::vector<std::string>& carve_outs, const std::string& workspace,
                      const std::vector<std::string>& writable, const std::string& executable, uid_t uid);

// The carve-outs of a run: the launch spec's and, for each `.git` file among them (a
// worktree's or a submodule's pointer), the git directory it points to and that one's
// common directory, where they are git directories and lie in no deny-read path: git
// works in a worktree whose repository the view would hide, and neither can be written.
std::vector<std::string> CarveOutsOfRun(const LaunchSpec& spec);

// Fills in what every mode takes from the profile's launch spec the same way: the
// read-only carve-outs (CarveOutsOfRun) and those still missing, the Landlock ruleset for `writable` (the writable roots as this
// run has them, ${tmp} included), the seccomp filters, the limits, and the timeout (the
// shorter of the profile's and `timeout`). Set private_network and unix_only_fallback
// first: the AF_UNIX-only filter is compiled only where it may serve.
Result<Ok> PrepareConfinement(LaunchRequest& q, const LaunchSpec& spec, const std::vector<std::string>& writable,
                              int abi, std::optional<double> timeout);

// The exit status of a launch, as `sandboxctl exec` reports it (the command's own; 127 not
// found, 126 not executable, 125 setup failed), after saying on `err` what went wrong
// ("sandboxctl exec: ..."; `userns_hint` after a failed unshare) and recording the result
// in `status` (the --json-status and audit fields).
int ReportLaunch(const Result<LaunchOutcome>& outcome, nlohmann::json& status, std::ostream& err,
                 const std::string& userns_hint);

// Launch(q), then closes q's Landlock ruleset and returns what ReportLaunch says: the
// last step of root's exec and of the runner alike.
int LaunchAndReport(LaunchRequest& q, nlohmann::json& status, std::ostream& err, const std::string& userns_hint);

// Drops every capability of this process (capset with empty sets); the bounding set stays.
void DropAllCapabilities();

// The absolute path `command` runs: looked up in `path` (a PATH value) when it has no
// slash, else taken relative to `cwd`, where the command will run; nullopt if there is no
// such file.
std::optional<std::string> FindExecutable(const std::string& command, const std::string& path,
                                          const std::string& cwd);

}  // namespace sbx
