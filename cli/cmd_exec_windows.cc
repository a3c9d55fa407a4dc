// sandboxctl exec on Windows: runs one command as the profile's sandbox user, which
// `apply` made (a hidden local user, its capability SID, NTFS ACEs, firewall rules).
//
// It runs as an elevated administrator: it reads the sandbox user's password, which apply
// stored where only SYSTEM and Administrators can. It takes nothing from the workspace
// that widens the sandbox: the profile is compiled as apply compiles it and every
// restriction it asks for must be one apply recorded; the user, its capability SID, its
// ${tmp} and its firewall rules must be in place and in step; the firewall must enforce
// them. Then it starts sandboxctl-runner.exe as the sandbox user with the profile's
// environment (engine/os_windows/launch.h), which starts the command under a
// write-restricted token in a job object (runner/windows/main.cc). What cannot be
// enforced is refused with exit 125 and what fixes it (DESIGN.md §2, invariant 4).
#include <algorithm>
#include <iostream>

#include "cli/exec_common.h"
#include "engine/core/host_info.h"
#include "engine/os_windows/accounts.h"
#include "engine/os_windows/env_block.h"
#include "engine/os_windows/firewall.h"
#include "engine/os_windows/launch.h"
#include "engine/os_windows/windows_host.h"
#include "engine/plan/launch_env.h"

namespace sbx::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRunnerName = "sandboxctl-runner.exe";
constexpr const char* kTrustedInstallerSid = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464";

// main's arguments are in the ANSI code page, where a character outside it becomes '?'
// or a look-alike (a full-width quote a '"', which can even split the line otherwise): the
// command and the paths are taken again from Windows' own command line, in UTF-8. An
// argument that is ASCII there must be the same here, or the two did not split alike.
// ("sandboxctl help exec" gives exec "--help" of its own.)
std::vector<std::string> ArgumentsInUtf8(const std::vector<std::string>& narrow) {
  if (narrow == std::vector<std::string>{"--help"}) return narrow;
  auto wide = ProcessArguments();
  if (!wide.ok()) throw Refusal{wide.error().Render()};
  const Refusal differ{"the command line reads otherwise in the ANSI code page than in Unicode, so which "
                       "command was meant is not clear"};
  if (wide->size() < narrow.size()) throw differ;
  std::vector<std::string> tail(wide->end() - static_cast<long>(narrow.size()), wide->end());
  for (size_t i = 0; i < tail.size(); ++i) {
    const bool ascii = std::all_of(tail[i].begin(), tail[i].end(), [](char c) { return (c & 0x80) == 0; });
    if (ascii && tail[i] != narrow[i]) throw differ;
  }
  return tail;
}

// The variables that point the command at its ${tmp}: no user profile is loaded for the
// sandbox user (launch.h), so its home and application data are there too.
std::map<std::string, std::string> TmpVariables(const std::string& tmp) {
  return {{"TMPDIR", tmp},
          {"TEMP", tmp},
          {"TMP", tmp},
          {"HOME", tmp},
          {"USERPROFILE", tmp},
          {"APPDATA", tmp + "\\AppData\\Roaming"},
          {"LOCALAPPDATA", tmp + "\\AppData\\Local"}};
}

bool OfProfile(const Resource& r, const std::string& profile) {
  return std::find(r.profiles.begin(), r.profiles.end(), profile) != r.profiles.end();
}

// The profile's user, capability SID, ${tmp} and firewall rules, as the host sees them
// now: each present, sandboxctl's and in step; and the firewall enforcing local rules when
// the profile has any.
void CheckInPlace(const Plan& plan, const std::string& profile, const std::string& tmp, Host& host) {
  bool rules = false;
  for (const auto& r : plan.resources) {
    if (!OfProfile(r, profile)) continue;
    const bool dir = r.type == "directory" && r.attributes.value("path", "") == tmp;
    if (r.type != "local_user" && r.type != "capability_sid" && r.type != "firewall_rule" && !dir) continue;
    rules = rules || r.type == "firewall_rule";
    auto o = host.Observe(r);
    if (!o.ok()) throw Refusal{"cannot check " + r.id + ": " + o.error().Render()};
    if (!o->present || !o->in_sync || o->foreign) {
      const bool firewall = r.type == "firewall_rule";
      throw Refusal{r.id + " is " + (!o->present ? "missing" : o->foreign ? "not sandboxctl's" : "not as applied") +
                    (o->detail.empty() ? "" : " (" + o->detail + ")") + "; run " +
                    PrivilegedCommand(firewall ? "restore" : "apply") + " to put it back"};
    }
  }
  if (rules) {
    if (auto enforced = CheckFirewallEnforcesLocalRules(); !enforced.ok()) {
      throw Refusal{"the profile's firewall rules would not take effect: " + enforced.error().Render()};
    }
  }
}

}  // namespace

int RunExec(GlobalOptions g, const std::vector<std::string>& narrow_args, Io io) {
  const std::string sx = "sandboxctl exec: ";
  std::vector<std::string> all_args;
  try {
    all_args = ArgumentsInUtf8(narrow_args);
  } catch (const Refusal& r) {
    io.err << sx << r.message << "\n";
    return kExitSetup;
  }
  auto [args, command] = SplitCommand(all_args);
  MachineOptions m;
  ExecOptions x;
  if (!ParseExecOptions(args, command,
                        "sandboxctl exec [--profile NAME] [options] -- COMMAND [ARG]...\n\n"
                        "Runs COMMAND as the profile's sandbox user, which 'sandboxctl apply' made:\n"
                        "writes only beneath the writable roots (a write-restricted token), no network\n"
                        "when offline (the firewall rules of that user), only the allowed environment,\n"
                        "in a job object that ends every process of the command with it. Runs as an\n"
                        "administrator, elevated; isolation is 'user' ('namespace' is Linux's).\n\n"
                        "Exit status: the command's own; 124 timeout; 125 the sandbox could not be set\n"
                        "up; 126 not executable; 127 not found; 130 interrupted.",
                        g, m, x, io)) {
    return kExitOk;
  }
  if (x.isolation == "namespace") {
    throw UsageError{"exec",
                     "namespace isolation is Linux's; on Windows exec runs the command as the profile's sandbox "
                     "user, after apply (--isolation user)",
                     kExitSetup};
  }

  const auto ws = ResolveWorkspace(g);
  nlohmann::json status = {{"command", command}, {"isolation", "user"}};
  auto Finish = [&](nlohmann::json& status, int code) {
    status["exit_code"] = code;
    if (!m.log_dir.empty() && RunningAsRoot()) {
      AuditLog audit(m.log_dir, "exec", ws.string());
      nlohmann::json entry = status;
      entry.erase("command");  // the audit line's "command" is sandboxctl's own
      entry["argv"] = command;
      audit.Exec(entry);
    }
    if (x.json_status) {
      // Never through a junction or symbolic link: the file may sit where the sandbox writes.
      const std::string path = fs::absolute(fs::path(*x.json_status)).string();
      if (auto written = WriteFileNoFollow(path, status.dump(2) + "\n"); !written.ok()) {
        io.err << sx << "cannot write --json-status: " << written.error().Render() << "\n";
      }
    }
    return code;
  };
  try {
    if (!RunningAsRoot()) {
      throw Refusal{"on Windows exec runs as an administrator, elevated: it starts the command as the sandbox "
                    "user with the password apply stored, which only administrators may read; start the "
                    "terminal with 'Run as administrator' and try again"};
    }
    auto compiled = CompileExecPlan(g, m, ws, io);
    if (!compiled) return kExitSetup;
    const Plan& plan = compiled->plan;
    const std::string& name = compiled->profile;
    const LaunchSpec& spec = compiled->spec();
    status["profile"] = name;
    if (x.verbose) io.err << sx << "isolation user (the profile's sandbox user " << spec.user << ")\n";

    auto store = StateStore::Open(m.state_dir, false, std::chrono::seconds(0), nullptr);
    if (!store.ok()) throw Refusal{"cannot read the state: " + store.error().Render()};
    auto state = store->Load();
    if (!state.ok()) throw Refusal{"cannot read the state: " + state.error().Render()};
    const std::string user_id = "user:" + spec.user;
    if (!state->records.count(user_id) || !state->records.at(user_id).workspaces.count(ws.string())) {
      throw Refusal{"profile '" + name + "' is not applied for this workspace; run " + PrivilegedCommand("apply") +
                    " first"};
    }
    CheckAppliedAsPlanned(plan, *state, name, [](const Resource& r) {
      const std::string access = r.attributes.value("access", "");
      const bool deny = r.type == "ntfs_ace" && (access == "deny_read" || access == "deny_write");
      std::error_code ec;
      if (deny && !fs::exists(fs::symlink_status(fs::path(r.attributes.value("path", "")), ec))) {
        return AppliedCheck::kIfRecorded;
      }
      const bool restricts =
          r.type == "local_user" || r.type == "capability_sid" || r.type == "firewall_rule" || deny;
      return restricts ? AppliedCheck::kAlways : AppliedCheck::kIfRecorded;
    });
    WindowsHostConfig config;
    config.store = &*store;
    WindowsHost host(config);
    CheckInPlace(plan, name, spec.tmp, host);

    auto capability = ReadCapabilitySid(config, name);
    if (!capability.ok()) throw Refusal{"cannot read the capability SID: " + capability.error().Render()};
    if (!*capability) throw Refusal{"profile '" + name + "' has no capability SID; run " + PrivilegedCommand("apply")};
    auto account = LookupLocalUser(spec.user);
    if (!account.ok()) throw Refusal{account.error().Render()};
    if (!*account || (*account)->comment != kSandboxUserComment) {
      throw Refusal{"sandbox user " + spec.user + " is not sandboxctl's; run " + PrivilegedCommand("apply")};
    }
    auto password = LoadSandboxPassword(*store, spec.user);
    if (!password.ok()) {
      throw Refusal{"cannot read the password of " + spec.user + ": " + password.error().Render() + "; run " +
                    PrivilegedCommand("apply")};
    }

    // Where it runs: somewhere the sandbox may read.
    const std::string cwd = x.cwd ? fs::absolute(fs::path(*x.cwd)).lexically_normal().string()
                                  : CurrentDirectory().string();
    if (!MayRunIn(spec, ws.string(), spec.tmp, cwd, Target::kWindows)) {
      throw Refusal{"--cwd " + cwd + " is outside what profile '" + name + "' may read"};
    }
    std::map<std::string, std::string> fixed = SandboxUserVariables(spec, ws.string(), Target::kWindows);
    for (const auto& [k, v] : TmpVariables(spec.tmp)) fixed[k] = v;
    std::map<std::string, std::string> env;
    for (const auto& e : SandboxEnvironment(spec, ProcessEnvironment(), fixed, Target::kWindows)) {
      env[e.substr(0, e.find('='))] = e.substr(e.find('=') + 1);
    }
    auto block = EnvironmentBlock(env);
    if (!block.ok()) throw Refusal{"the environment cannot be given to the command: " + block.error().Render()};

    auto self = ExecutablePath();
    if (!self.ok()) throw Refusal{self.error().Render()};
    auto me = CurrentUserSid();
    if (!me.ok()) throw Refusal{me.error().Render()};
    RunnerLaunch launch;
    launch.runner = (self->parent_path() / kRunnerName).string();
    // The runner starts as the sandbox user with its password: only those who could change
    // sandboxctl.exe itself may change it.
    launch.trusted = {LocalSystemSid(), AdministratorsSid(), *me};
    // Program Files passes its directories to TrustedInstaller, which services Windows.
    if (auto installer = ParseSid(kTrustedInstallerSid); installer.ok()) launch.trusted.push_back(*installer);
    launch.user = spec.user;
    launch.password = std::move(*password);
    launch.arguments = {"--capability", FormatSid(**capability), "--cwd", cwd};
    // The profile's limits; --timeout may shorten its timeout.
    std::optional<double> timeout = x.timeout;
    if (spec.timeout_seconds) {
      const double own = static_cast<double>(*spec.timeout_seconds);
      timeout = timeout ? std::min(*timeout, own) : own;
    }
    if (timeout) {
      timeout = std::min(*timeout, 4294966.0);  // the most a wait of Windows' takes; shorter is stricter
      launch.timeout = *timeout;
      launch.arguments.insert(launch.arguments.end(), {"--timeout", std::to_string(*timeout)});
    }
    if (spec.memory_bytes) launch.arguments.insert(launch.arguments.end(), {"--memory", std::to_string(*spec.memory_bytes)});
    if (spec.processes) launch.arguments.insert(launch.arguments.end(), {"--processes", std::to_string(*spec.processes)});
    launch.arguments.push_back("--");
    launch.arguments.insert(launch.arguments.end(), command.begin(), command.end());
    launch.environment = std::move(*block);
    launch.cwd = cwd;
    io.out.flush();
    io.err.flush();
    auto outcome = LaunchRunner(launch);
    if (!outcome.ok()) throw Refusal{"cannot start the runner: " + outcome.error().Render()};
    status["duration_seconds"] = outcome->seconds;
    status["interrupted"] = outcome->interrupted;
    status["timed_out"] = timeout && outcome->exit_code == kExitTimeout;
    if (outcome->ended_by_launcher) {
      io.err << sx << "the runner did not end in time and was ended, with the command's processes\n";
    }
    return Finish(status, outcome->exit_code);
  } catch (const Refusal& r) {
    io.err << sx << r.message << "\n";
    status["error"] = r.message;
    return Finish(status, kExitSetup);
  }
}

}  // namespace sbx::cli
