// sandboxctl exec: runs one command inside a profile's sandbox.
//
// Isolation "user" runs the command as the profile's sandbox user, which `apply` made
// (users, ACL entries, firewall rules); it needs root here. Isolation "namespace" needs
// neither apply nor root: the invoking user in a user + mount namespace. Both add
// Landlock, seccomp, the environment filter and limits; offline profiles get a network
// namespace of their own with only loopback. What cannot be enforced right now is
// refused with exit 125 and the command that fixes it (DESIGN.md §2, invariant 4).
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <tuple>

#include "cli/exec_common.h"
#include "cli/machine_linux.h"
#include "cli/trust_store.h"
#include "engine/core/host_info.h"
#include "engine/core/strings.h"
#include "engine/os_linux/accounts.h"
#include "engine/os_linux/files.h"
#include "engine/os_linux/landlock.h"
#include "engine/os_linux/launch.h"
#include "engine/os_linux/launch_record.h"
#include "engine/os_linux/nftables.h"
#include "engine/os_linux/seccomp.h"
#include "engine/plan/launch_env.h"
#include "engine/profile/paths.h"

namespace sbx::cli {

namespace fs = std::filesystem;

namespace {

// User isolation's ${tmp}, which apply made: never a symlink, owned by the sandbox user
// (or by root, with an ACL entry), closed to others.
void CheckPrivateDir(const fs::path& dir, uid_t uid) {
  struct stat st {};
  if (lstat(dir.c_str(), &st) != 0) {
    throw Refusal{dir.string() + " is missing; run 'sudo sandboxctl apply' to make it"};
  }
  if (!S_ISDIR(st.st_mode) || (st.st_uid != uid && st.st_uid != 0) || (st.st_mode & 007) != 0) {
    throw Refusal{dir.string() + " is not a private directory (owner uid " + std::to_string(st.st_uid) +
                  "); remove it and run 'sudo sandboxctl apply'"};
  }
}

}  // namespace

int RunExec(GlobalOptions g, const std::vector<std::string>& all_args, Io io) {
  // Not a structured binding: lambdas below capture `command`, which clang before 16 refuses.
  std::vector<std::string> args, command;
  std::tie(args, command) = SplitCommand(all_args);
  MachineOptions m;
  ExecOptions x;
  if (!ParseExecOptions(args, command,
                        "sandboxctl exec [--profile NAME] [options] -- COMMAND [ARG]...\n\n"
                        "Runs COMMAND inside the profile's sandbox: writes only beneath the writable\n"
                        "roots, no network when offline, only the allowed environment, within the\n"
                        "profile's limits. Isolation 'user' (after apply, as root) runs it as the\n"
                        "sandbox user; 'namespace' (no apply, no root) as you, in namespaces; 'auto'\n"
                        "picks user where the profile is applied for this workspace.\n\n"
                        "Exit status: the command's own; 128+N if killed by signal N; 124 timeout;\n"
                        "125 the sandbox could not be set up; 126 not executable; 127 not found.",
                        g, m, x, io)) {
    return kExitOk;
  }

  // A run belongs to the nearest trusted workspace above the current directory: what a
  // sandbox planted below it (a .sandboxctl, a .git) does not make a workspace of its own.
  std::string trust_error;
  const fs::path trust_path = TrustStorePath(x.trust_store);
  const std::optional<TrustStore> trust = LoadTrustStore(trust_path, trust_error);
  fs::path ws = ResolveWorkspace(g);
  if (!g.workspace && trust) ws = TrustedWorkspaceFor(ws.string(), *trust);
  const std::string sx = "sandboxctl exec: ";
  // No project found above the current directory: say which directory the profile's
  // ${workspace} is, and how to choose another.
  if (std::error_code ec; !g.workspace && !x.quiet && !fs::exists(ws / ".sandboxctl", ec) && !fs::exists(ws / ".git", ec)) {
    io.err << sx << "no workspace (.sandboxctl or .git) at or above " << ws.string() << "; it is the workspace now. "
           << "Run exec in a project directory, or give --workspace DIR\n";
  }
  // What happened, launched or refused: to the audit log (as root) and --json-status.
  nlohmann::json status = {{"command", command}};
  // Root's runs go to the machine's audit log; a user's to their own, unless --log-dir says.
  std::string log_dir = m.log_dir;
  if (!RunningAsRoot() && log_dir == MachineOptions{}.log_dir) {
    const char* state = std::getenv("XDG_STATE_HOME");
    const char* home = std::getenv("HOME");
    log_dir = state && state[0] == '/' ? std::string(state) + "/sandboxctl"
              : home && home[0] == '/'  ? std::string(home) + "/.local/state/sandboxctl"
                                        : "";
  }
  auto Finish = [&](nlohmann::json& status, int code) {
    status["exit_code"] = code;
    if (x.json_status) {
      // Never through a symbolic link, never into a FIFO or device planted there: as root,
      // the file may sit where the sandbox writes. Asked for and not written: exit 125.
      auto written = WriteOwnFileReplacing(fs::absolute(*x.json_status).lexically_normal().string(),
                                           status.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                                           0644);
      if (!written.ok()) {
        io.err << sx << "cannot write --json-status: " << written.error().Render() << "\n";
        status["json_status_error"] = true;
        code = kExitSetup;
      }
    }
    if (!log_dir.empty()) {
      AuditLog audit(log_dir, "exec", ws.string());
      nlohmann::json entry = status;
      entry.erase("command");  // the audit line's "command" is sandboxctl's own
      entry["argv"] = command;
      audit.Exec(entry);
    }
    return code;
  };
  try {
    auto compiled = CompileExecPlan(g, m, ws, io);
    if (!compiled) return kExitSetup;
    const Plan* plan = &compiled->plan;
    const std::string& name = compiled->profile;
    const LaunchSpec& spec = compiled->spec();
    status["profile"] = name;

    // An enclosing workspace where the profile is applied (for this caller): auto refuses
    // rather than fall back to namespace isolation below it (DecideIsolation).
    auto applied_above = [&](const State* root_state) -> std::optional<std::string> {
      for (fs::path p = ws.parent_path(); p.has_relative_path(); p = p.parent_path()) {
        if (root_state) {
          if (std::any_of(root_state->records.begin(), root_state->records.end(),
                          [&](const auto& r) { return r.second.workspaces.contains(p.string()); })) {
            return p.string();
          }
        } else if (auto r = ReadLaunchRecord(m.state_dir, p.string(), name);
                   r.ok() && std::find(r->users.begin(), r->users.end(), getuid()) != r->users.end()) {
          return p.string();
        }
      }
      return std::nullopt;
    };

    // Not root: user isolation goes through the runner, which re-derives everything from
    // the launch record root wrote (readable by the runner group's members).
    if (!RunningAsRoot() && x.isolation != "namespace") {
      // auto: the runner where a record of this workspace and profile is for this user.
      auto applied = ReadLaunchRecord(m.state_dir, ws.string(), name);
      const bool mine = applied.ok() && std::find(applied->users.begin(), applied->users.end(), getuid()) !=
                                            applied->users.end();
      if (x.isolation == "user" || mine) {
        // The runner enforces what was applied; a profile edited since would not be what
        // the user reads in the repository, so that is refused here, as for root. (Only for
        // the user who applied it: ${home} and ${user} are someone else's for the others.)
        if (mine && applied->applied_by == getuid() && LaunchSpecToJson(applied->spec) != LaunchSpecToJson(spec)) {
          throw Refusal{"profile '" + name + "' changed since it was applied; run 'sudo sandboxctl apply' to bring the "
                        "machine in step"};
        }
        const fs::path runner = fs::path(m.runner_dir) / kRunnerName;
        std::vector<std::string> argv{runner.string(), ws.string(), name};
        if (x.timeout) argv.insert(argv.end(), {"--timeout", std::to_string(*x.timeout)});
        argv.insert(argv.end(), {"--lock-timeout", std::to_string(m.lock_timeout)});
        if (x.cwd) argv.insert(argv.end(), {"--cwd", fs::absolute(*x.cwd).lexically_normal().string()});
        if (x.json_status) argv.insert(argv.end(), {"--json-status", fs::absolute(*x.json_status).string()});
        if (!log_dir.empty()) argv.insert(argv.end(), {"--log-dir", fs::absolute(log_dir).string()});
        if (x.verbose) argv.emplace_back("--verbose");
        argv.emplace_back("--");
        argv.insert(argv.end(), command.begin(), command.end());
        std::vector<char*> exec_argv;
        exec_argv.reserve(argv.size() + 1);
        for (auto& a : argv) exec_argv.push_back(a.data());
        exec_argv.push_back(nullptr);
        io.out.flush();
        io.err.flush();
        execv(runner.c_str(), exec_argv.data());
        const int err = errno;
        if (err == EACCES || err == EPERM) {
          throw Refusal{"you may not start " + runner.string() + " (" + std::strerror(err) + "): only members of group '" +
                        m.runner_group + "' may; 'sudo sandboxctl apply' adds the user who runs it, and a new login "
                        "(or 'newgrp " + m.runner_group + "') brings the membership into effect"};
        }
        throw Refusal{"cannot start the runner " + runner.string() + ": " + std::strerror(err) +
                      (err == ENOENT ? "; run 'sudo sandboxctl apply' to install it" : "")};
      }
    }

    // Which isolation: user where this profile's user is applied for this workspace.
    std::optional<State> state;  // root's; not needed when namespace isolation is asked for
    if (x.isolation != "namespace" && RunningAsRoot()) {
      // An apply or destroy changing users, grants and rules: wait for it, then take the
      // state it left.
      if (!WaitWhileChanging(m.state_dir, std::chrono::seconds(m.lock_timeout), isatty(STDERR_FILENO) ? &io.err : nullptr)) {
        throw Refusal{"an apply or destroy is changing this machine (or was interrupted), still after " +
                      std::to_string(m.lock_timeout) + " s; wait for it, or run 'sudo sandboxctl apply'"};
      }
      if (auto store = StateStore::Open(m.state_dir, false, std::chrono::seconds(0), nullptr); store.ok()) {
        if (auto s = store->Load(); s.ok()) state = std::move(*s);
      }
    }
    const std::string user_id = "user:" + spec.user;
    IsolationFacts facts;
    facts.requested = x.isolation;
    facts.profile = name;
    facts.origin = spec.origin;
    facts.workspace = ws.string();
    facts.as_root = RunningAsRoot();
    facts.runner_group = m.runner_group;
    facts.require_user = spec.require_user_isolation;
    facts.applied_here = state && state->records.contains(user_id) && state->records.at(user_id).workspaces.contains(ws.string());
    if (x.isolation == "auto" && !facts.applied_here) {
      const State none;
      facts.applied_above = applied_above(facts.as_root ? (state ? &*state : &none) : nullptr);
    }
    const IsolationDecision decision = DecideIsolation(facts);
    const Isolation isolation = decision.isolation;
    if (decision.refusal) throw Refusal{*decision.refusal};
    if (x.verbose) {
      io.err << sx << "isolation " << IsolationName(isolation) << " (" << decision.why << ")\n";
    } else if (decision.announce && !x.quiet) {
      io.err << sx << "namespace isolation: " << decision.why << "\n";  // never a weaker mode without a word
    }
    status["isolation"] = IsolationName(isolation);

    LaunchRequest q;
    q.isolation = isolation;
    const int abi = LandlockAbi();
    std::string tmp = spec.tmp;
    std::map<std::string, std::string> fixed;
    if (isolation == Isolation::kUser) {
      // Applied through sudo for a developer, the profile's ${home} and ${user} are theirs:
      // root's exec without SUDO_USER compiles it for root and finds it "changed". Say for
      // whom it was applied instead of asking for an apply that would take their grants.
      auto applied_for_another = [&]() -> std::optional<std::string> {
        auto record = ReadLaunchRecord(m.state_dir, ws.string(), name);
        auto me = QueryInvokingUser();
        if (!record.ok() || !me.ok()) return std::nullopt;
        if (auto mine = LookupUser(me->name); mine && mine->uid == record->applied_by) return std::nullopt;
        const auto them = LookupUserById(record->applied_by);
        const std::string who = them ? them->name : "uid " + std::to_string(record->applied_by);
        return "profile '" + name + "' was applied for " + who + ", not for " + me->name + ": its ${home} and ${user} " +
               "are " + who + "'s. Run exec with sudo from " + who + "'s session (SUDO_USER says whom it runs for), or " +
               "as " + who + " through the runner; 'sudo sandboxctl apply' by " + me->name + " would apply it for " +
               me->name + " instead";
      };
      const auto how_checked = [](const Resource& r) {
        // What lets others use the runner depends on who applied; it restricts nothing here.
        if (r.kind == ResourceKind::kLaunch || r.type == "group_member") return AppliedCheck::kNot;
        const std::string access = r.attributes.value("access", "");
        const bool deny = r.type == "posix_acl" && (access == "deny_read" || access == "deny_write");
        struct stat st {};
        if (deny && lstat(r.attributes.value("path", "").c_str(), &st) != 0 && errno == ENOENT) {
          return AppliedCheck::kIfRecorded;
        }
        const bool restricts = r.type == "user" || r.type == "group" || r.type.rfind("nft_", 0) == 0 || deny;
        return restricts ? AppliedCheck::kAlways : AppliedCheck::kIfRecorded;
      };
      try {
        CheckAppliedAsPlanned(*plan, *state, name, how_checked);
      } catch (const Refusal&) {
        if (auto other = applied_for_another()) throw Refusal{*other};
        throw;
      }
      // The user and the firewall rules must be in place. The rules need not be listed
      // again when an earlier exec found them in place at the ruleset's generation now:
      // read before listing, so a change made meanwhile makes the next exec list again.
      std::string expected_rules;
      for (const auto& r : plan->resources) {
        if (std::find(r.profiles.begin(), r.profiles.end(), name) == r.profiles.end()) continue;
        if (r.type.rfind("nft_", 0) == 0) expected_rules += r.id + "\n" + r.attributes.dump() + "\n";
      }
      const fs::path checked_path = FirewallCheckedPath(m.state_dir, ws.string(), name);
      std::optional<FirewallChecked> now;
      if (auto generation = NftRulesetGeneration(); generation.ok() && !expected_rules.empty()) {
        now = FirewallChecked{ws.string(), name, CurrentBootId(), CurrentNetns(), *generation,
                              Hex(Fnv1a64(expected_rules), 16)};
        if (now->boot_id.empty() || now->netns == 0) now.reset();
      }
      const bool rules_known = now && ReadFirewallChecked(checked_path) == now;
      LinuxHost host(BootConfig(m), RunnerSetup(m));
      host.set_cache_listings(true);
      for (const auto& r : plan->resources) {
        if (std::find(r.profiles.begin(), r.profiles.end(), name) == r.profiles.end()) continue;
        if (r.type != "user" && r.type != "nft_table" && r.type != "nft_chain" && r.type != "nft_rule") continue;
        if (r.type != "user" && rules_known) continue;
        auto o = host.Observe(r);
        if (!o.ok()) throw Refusal{"cannot check " + r.id + ": " + o.error().Render()};
        if (!o->present || !o->in_sync) {
          const bool firewall = r.type != "user";
          throw Refusal{r.id + " is " + (o->present ? "not as applied" : "missing") +
                        (o->detail.empty() ? "" : " (" + o->detail + ")") + "; run 'sudo sandboxctl " +
                        (firewall ? "restore" : "apply") + "' to put it back"};
        }
      }
      // Under the state lock (tried once: a run holding it may be removing the record), so
      // that destroy never leaves the mark behind.
      if (now && !rules_known) {
        if (auto store = StateStore::Open(m.state_dir, true, std::chrono::seconds(0), nullptr);
            store.ok() && fs::exists(LaunchRecordPath(m.state_dir, ws.string(), name))) {
          (void)WriteFileReplacing(checked_path, FirewallCheckedText(*now), 0, 0600, nullptr);
        }
      }
      auto account = LookupUser(spec.user);
      if (!account) throw Refusal{"sandbox user " + spec.user + " does not exist; run 'sudo sandboxctl apply'"};
      q.uid = account->uid;
      q.gid = account->gid;
      if (abi < kLandlockAbiForUser) throw Refusal{"Landlock is not available in this kernel; exec needs it"};
      q.private_network = spec.network == NetworkMode::kOffline;
      q.unix_only_fallback = !spec.require_namespace;  // the nft rules cut the network as well
      fixed = SandboxUserVariables(spec, RepositoryTop(ws.string()));  // git trusts the repository holding it
    } else {
      if (abi < kLandlockAbiForNamespace) {
        throw Refusal{"namespace isolation needs Landlock ABI " + std::to_string(kLandlockAbiForNamespace) +
                      " (signal and socket scoping); this kernel has " + std::to_string(abi) +
                      "; apply the profile and use user isolation"};
      }
      if (spec.network == NetworkMode::kAllowlist) {
        throw Refusal{"an allowlist network needs the firewall rules of apply; run 'sudo sandboxctl apply' and "
                      "use user isolation"};
      }
      q.uid = getuid();
      q.gid = getgid();
      fixed = RunVariables(spec, IsolationName(isolation));
      if (geteuid() == 0) {
        // As root the command would own every root file (no capability needed to chmod
        // them): it runs as the user sudo was run by, or not at all.
        auto invoking = QueryInvokingUser();
        auto account = invoking.ok() && invoking->via_sudo ? LookupUser(invoking->name) : std::nullopt;
        if (!account || account->uid == 0) {
          throw Refusal{"namespace isolation does not run commands as root; apply the profile and use user "
                        "isolation, or run exec as your own user"};
        }
        q.uid = account->uid;
        q.gid = account->gid;
        q.switch_first = true;
      }
      // Namespace isolation runs only what the developer trusted, exactly (cmd_trust.cc).
      if (const TrustedFiles now = ReadPolicyFiles(*plan, name, ws, g); !now.empty()) {
        if (!trust) throw Refusal{"cannot read the trust store: " + trust_error};
        const auto it = trust->workspaces.find(ws.string());
        const auto changes = TrustDifferences(it == trust->workspaces.end() ? nullptr : &it->second, now);
        if (!changes.empty()) {
          throw Refusal{"the profiles of " + ws.string() + " are not trusted for namespace isolation: " +
                        Join(changes, ", ") + "; see what they allow and trust them with 'sandboxctl trust --workspace " +
                        ws.string() + "'"};
        }
      }
      // Supplementary groups stay in a user namespace (they cannot be dropped there), and
      // with them what a group may read or use; the view hides what makes a group
      // root-equivalent (ObserveView), and no_new_privs makes sudo inert.
      // ${tmp} is the run's own, in the view's private /tmp: nothing another local user
      // could make beforehand (and so block or plant), nothing one run leaves for the next.
      // A profile without ${tmp} (the built-in base) gets the view's /tmp itself.
      tmp = spec.tmp.empty() ? "/tmp" : "/tmp/" + fs::path(spec.tmp).filename().string();
      q.private_network = spec.network == NetworkMode::kOffline;
    }
    const bool view_tmp = isolation == Isolation::kNamespace;  // made in the view, not on the host
    if (!view_tmp) CheckPrivateDir(tmp, q.uid);
    fixed["TMPDIR"] = tmp;
    fixed["HOME"] = tmp;

    // Where it runs (somewhere the sandbox may read), with what environment.
    CommandInputs what{command, x.cwd ? fs::absolute(*x.cwd).lexically_normal().string() : CurrentDirectory().string(),
                       {}, fixed, ws.string(), tmp};
    for (char** e = environ; *e; ++e) what.caller_env.emplace_back(*e);
    if (auto set = SetCommand(q, spec, what); !set.ok()) {
      if (set.error().code != "not_found") throw Refusal{set.error().message};
      io.err << sx << set.error().message << "\n";
      status["error"] = set.error().message;
      return Finish(status, kExitNotFound);
    }

    std::vector<std::string> writable;
    for (const auto& w : spec.writable) {
      if (w != spec.tmp) writable.push_back(w);
    }
    if (!view_tmp) writable.push_back(tmp);  // the view's ${tmp} is a tmpfs with a Landlock rule of its own
    // Carve-outs are read-only mounts in both modes: ACL entries alone would let the
    // sandbox rename a carve-out away and put a writable copy in its place.
    if (auto prepared = PrepareConfinement(q, spec, writable, abi, x.timeout); !prepared.ok()) {
      throw Refusal{prepared.error().Render()};
    }
    if (isolation == Isolation::kNamespace) {
      // The command as the kernel finds it: a link to it may lie where the view hides.
      std::error_code ec;
      if (auto real = fs::canonical(q.executable, ec); !ec) q.executable = real.string();
      ViewInput in = ObserveView(spec, q.read_only, ws.string(), writable, q.executable, q.uid);
      if (tmp != "/tmp") in.scratch = tmp;
      if (auto refusal = ViewRefusal(spec, ws.string(), tmp, trust_path.string(), in)) {
        close(q.landlock_fd);
        throw Refusal{*refusal};
      }
      q.view = PlanView(in);
      if (x.verbose) io.err << sx << "view:\n" << RenderView(q.view);
    }

    const int code = LaunchAndReport(q, status, io.err,
                                     "user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone, "
                                     "user.max_user_namespaces); apply the profile and use user isolation");
    return Finish(status, code);
  } catch (const Refusal& r) {
    io.err << sx << r.message << "\n";
    status["error"] = r.message;
    return Finish(status, kExitSetup);
  }
}

}  // namespace sbx::cli
