// sandboxctl-runner: runs one command as a profile's sandbox user for a user who is not
// root. `sandboxctl exec` starts it; people do not call it themselves.
//
// Threat model. `sandboxctl apply` installs this program owned by root, group sandboxctl
// (the runner group), mode 0750, with the file capabilities cap_setuid and cap_setgid: it
// is not setuid root, and only members of the runner group can start it. Everything about
// the caller is hostile: arguments, environment (the dynamic loader already ignores LD_*
// for a program with file capabilities), current directory, descriptors, signals, and
// what the caller can write in the file system. So:
//  * From its arguments it takes only which launch record to use (workspace and profile)
//    and the command with its own options (timeout, working directory, status file, log
//    directory). Who the command runs as, where it may write, what environment it keeps
//    and its limits come from the launch record that root wrote for that workspace and
//    profile; there is no option for a uid, a path list or a policy.
//  * The record is found through runner.conf beside this program, and both are read only
//    through directories owned by root that no one else may write to, never through a
//    symbolic link (ReadRootOwnedFile). Copies of this program lose their capabilities;
//    hard links to it cannot be made by others (fs.protected_hardlinks).
//  * It refuses unless the caller's uid is one the record grants and the caller is in
//    the record's group; unless the sandbox user still exists as recorded; unless the
//    firewall rules were put in place during this boot; and unless Landlock is there.
//  * The capabilities serve only the identity switch: the child sets its groups, gid and
//    uid to the sandbox user's and drops every capability before anything else; the
//    waiting parent drops them right after fork, keeping the sandbox user as its real uid
//    (so that it may signal the command) and the caller as its effective uid. The caller's environment is wiped from
//    memory before the fork, so a sandbox process cannot read it from the child.
//  * It holds no capability to create namespaces: the child makes them as the sandbox
//    user in a user namespace of its own; where user namespaces are disabled it refuses.
//
// Exit status as `sandboxctl exec`: the command's own, 128+N on signal N, 124 timeout,
// 125 refused or setup failed, 126 not executable, 127 not found.
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/os_linux/landlock.h"
#include "engine/os_linux/files.h"
#include "engine/os_linux/launch.h"
#include "engine/os_linux/launch_record.h"
#include "engine/os_linux/seccomp.h"
#include "engine/plan/launch_env.h"

namespace {

namespace fs = std::filesystem;

constexpr int kExitSetup = 125;
constexpr int kExitNotFound = 127;

struct Options {
  std::string workspace, profile;
  std::optional<double> timeout;
  int lock_timeout = 300;  // seconds to wait for an apply or destroy
  std::optional<std::string> cwd, json_status, log_dir;
  bool verbose = false;
  std::vector<std::string> command;
};

struct Refusal {
  std::string message;
};

const char* kUsage =
    "usage: sandboxctl-runner WORKSPACE PROFILE [--timeout S] [--lock-timeout S] [--cwd DIR] [--json-status FILE]\n"
    "                         [--log-dir DIR] [--verbose] -- COMMAND [ARG]...\n"
    "(started by 'sandboxctl exec'; runs COMMAND as the sandbox user of an applied profile)";

Options ParseArguments(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  size_t i = 0;
  auto value = [&](const std::string& flag) {
    if (i + 1 >= args.size()) throw Refusal{flag + " needs a value\n" + kUsage};
    return args[++i];
  };
  std::vector<std::string> positional;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      o.command.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (a == "--timeout") {
      const std::string v = value(a);
      char* end = nullptr;
      const double t = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || !(t > 0) || !(t < 1e9)) {
        throw Refusal{"--timeout must be a positive number of seconds"};
      }
      o.timeout = t;
    } else if (a == "--lock-timeout") {
      const std::string v = value(a);
      if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos) {
        throw Refusal{"--lock-timeout must be a number of seconds"};
      }
      o.lock_timeout = std::stoi(v);
    } else if (a == "--cwd") {
      o.cwd = value(a);
    } else if (a == "--json-status") {
      o.json_status = value(a);
    } else if (a == "--log-dir") {
      o.log_dir = value(a);
    } else if (a == "--verbose") {
      o.verbose = true;
    } else if (!a.empty() && a[0] == '-') {
      throw Refusal{"unknown option '" + a + "'\n" + kUsage};
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2 || o.command.empty()) throw Refusal{kUsage};
  o.workspace = positional[0];
  o.profile = positional[1];
  if (o.workspace.empty() || o.workspace[0] != '/' || fs::path(o.workspace).lexically_normal() != o.workspace) {
    throw Refusal{"the workspace '" + o.workspace + "' is not a normal absolute path"};
  }
  if (!sbx::IsValidProfileName(o.profile)) throw Refusal{"'" + o.profile + "' is not a profile name"};
  return o;
}

// runner.conf beside this program names the state directory.
fs::path StateDir() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw Refusal{std::string("cannot find this program (readlink /proc/self/exe): ") + std::strerror(errno)};
  const fs::path conf = fs::path(std::string(buf, static_cast<size_t>(n))).parent_path() / sbx::kRunnerConf;
  auto text = sbx::ReadRootOwnedFile(conf, 4096);
  if (!text.ok()) throw Refusal{text.error().Render()};
  auto dir = sbx::ParseRunnerConf(*text);
  if (!dir.ok()) throw Refusal{conf.string() + ": " + dir.error().message};
  return *dir;
}

bool InGroup(gid_t gid) {
  if (getgid() == gid || getegid() == gid) return true;
  int n = getgroups(0, nullptr);
  std::vector<gid_t> groups(n > 0 ? static_cast<size_t>(n) : 0);
  if (n > 0) n = getgroups(n, groups.data());
  return n > 0 && std::find(groups.begin(), groups.begin() + n, gid) != groups.begin() + n;
}

// ${tmp} as apply made it: a directory of root's, closed to others (the sandbox user
// reaches it through its ACL entry).
void CheckTmp(const std::string& tmp) {
  struct stat st {};
  if (lstat(tmp.c_str(), &st) != 0) throw Refusal{tmp + " is missing; run 'sudo sandboxctl apply' to make it"};
  if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 007) != 0) {
    throw Refusal{tmp + " is not the private directory apply made; run 'sudo sandboxctl apply'"};
  }
}

// The caller's variables (secrets among them) stay out of the child's memory: the
// environment block and every copy made of it are wiped before the fork.
void Wipe(std::string& s) {
  explicit_bzero(s.data(), s.size());
  s.clear();
}

void WipeCallerEnvironment() {
  for (char** e = environ; e && *e; ++e) explicit_bzero(*e, std::strlen(*e));
}

// Written as the caller, with no capability left: never through a symbolic link, never
// into a FIFO or device planted there. false (said on stderr) if it could not be written.
bool WriteStatus(const std::string& path, const nlohmann::json& status) {
  const std::string text = status.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  auto written = sbx::WriteOwnFileReplacing(path, text, 0644);
  if (!written.ok()) std::cerr << "sandboxctl exec: cannot write --json-status: " << written.error().Render() << "\n";
  return written.ok();
}

// One JSON line per run: to the system log (authpriv) and, with the time, to the caller's
// own audit log.
// Arguments need not be UTF-8: invalid bytes are replaced rather than the line lost.
void Audit(const Options& o, uid_t caller, nlohmann::json entry) {
  entry["event"] = "exec";
  entry["caller_uid"] = caller;
  entry["workspace"] = o.workspace;
  entry["argv"] = o.command;
  entry["via"] = "runner";
  openlog("sandboxctl-runner", LOG_PID, LOG_AUTHPRIV);
  const std::string text = entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  syslog(LOG_INFO, "%s", text.c_str());
  closelog();
  if (!o.log_dir || o.log_dir->empty() || (*o.log_dir)[0] != '/') return;
  char when[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  (void)std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);  // 20 characters fit
  entry["time"] = when;
  std::error_code ec;
  fs::create_directories(*o.log_dir, ec);
  open_how how{};
  how.flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  how.mode = 0600;
  how.resolve = RESOLVE_NO_SYMLINKS;
  const std::string file = *o.log_dir + "/audit.log";
  int fd = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, file.c_str(), &how, sizeof how));
  const std::string line = entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (fd < 0 || write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    std::cerr << "sandboxctl exec: cannot write the audit log " << file << ": " << std::strerror(errno) << "\n";
  }
  if (fd >= 0) close(fd);
}

int Run(const Options& o, nlohmann::json& status) {
  const fs::path state_dir = StateDir();
  // apply and destroy change users, grants and rules step by step: nothing starts then;
  // the run waits for them, then takes what they left.
  if (!sbx::WaitWhileChanging(state_dir, std::chrono::seconds(o.lock_timeout), isatty(STDERR_FILENO) ? &std::cerr : nullptr)) {
    throw Refusal{"an apply or destroy is changing this machine (or was interrupted), still after " +
                  std::to_string(o.lock_timeout) + " s; wait for it, or run 'sudo sandboxctl apply'"};
  }
  auto record = sbx::ReadLaunchRecord(state_dir, o.workspace, o.profile);
  if (!record.ok()) {
    if (record.error().message == std::strerror(ENOENT)) {
      throw Refusal{"profile '" + o.profile + "' is not applied for " + o.workspace +
                    "; run 'sudo sandboxctl apply' there first, or use '--isolation namespace'"};
    }
    throw Refusal{record.error().Render()};
  }
  const sbx::LaunchRecord& r = *record;
  const sbx::LaunchSpec& spec = r.spec;
  status["profile"] = o.profile;
  status["isolation"] = "user";

  // Who may use it.
  const uid_t caller = getuid();
  if (caller != 0 && (std::find(r.users.begin(), r.users.end(), caller) == r.users.end() || !InGroup(r.group_gid))) {
    throw Refusal{"uid " + std::to_string(caller) + " may not run profile '" + o.profile + "' of " + o.workspace +
                  "; the user who runs 'sudo sandboxctl apply' there may"};
  }
  // Everything the record relies on is still there.
  const passwd* pw = getpwuid(r.uid);
  if (!pw || r.user != pw->pw_name || pw->pw_gid != r.gid) {
    throw Refusal{"sandbox user " + r.user + " is not as applied; run 'sudo sandboxctl apply'"};
  }
  if (!r.firewall_boot_id.empty() && r.firewall_boot_id != sbx::CurrentBootId()) {
    throw Refusal{"the firewall rules of profile '" + o.profile + "' have not been put back since the machine started; "
                  "run 'sudo sandboxctl restore'"};
  }
  const int abi = sbx::LandlockAbi();
  if (abi < sbx::kLandlockAbiForUser) throw Refusal{"Landlock is not available in this kernel; exec needs it"};
  if (!spec.tmp.empty()) CheckTmp(spec.tmp);

  sbx::LaunchRequest q;
  q.isolation = sbx::Isolation::kUser;
  q.switch_first = true;
  q.unprivileged_supervisor = true;
  q.uid = r.uid;
  q.gid = r.gid;
  q.private_network = spec.network == sbx::NetworkMode::kOffline;
  q.unix_only_fallback = !spec.require_namespace;

  char cwd_buf[4096];
  std::string cwd;
  if (o.cwd) {
    cwd = fs::path(*o.cwd).is_absolute() ? fs::path(*o.cwd).lexically_normal().string() : "";
    if (cwd.empty()) throw Refusal{"--cwd " + *o.cwd + " is not an absolute path"};
  } else if (getcwd(cwd_buf, sizeof cwd_buf)) {
    cwd = cwd_buf;
  } else {
    throw Refusal{std::string("getcwd: ") + std::strerror(errno)};
  }
  sbx::CommandInputs what{o.command, cwd, {}, sbx::SandboxUserVariables(spec, sbx::RepositoryTop(o.workspace)), o.workspace, spec.tmp};
  if (!spec.tmp.empty()) what.fixed["TMPDIR"] = what.fixed["HOME"] = spec.tmp;
  for (char** e = environ; e && *e; ++e) what.caller_env.emplace_back(*e);
  auto set = sbx::SetCommand(q, spec, what);
  for (auto& e : what.caller_env) Wipe(e);
  if (!set.ok()) {
    if (set.error().code != "not_found") throw Refusal{set.error().message};
    std::cerr << "sandboxctl exec: " << set.error().message << "\n";
    status["error"] = set.error().message;
    return kExitNotFound;
  }

  std::vector<std::string> writable = spec.writable;
  if (!spec.tmp.empty()) writable.push_back(spec.tmp);
  if (auto prepared = sbx::PrepareConfinement(q, spec, writable, abi, o.timeout); !prepared.ok()) {
    throw Refusal{prepared.error().Render()};
  }
  if (o.verbose) std::cerr << "sandboxctl exec: isolation user (through the runner, as " << r.user << ")\n";

  WipeCallerEnvironment();
  return sbx::LaunchAndReport(q, status, std::cerr,
                           "the runner makes its namespaces in a user namespace; user namespaces may be disabled "
                           "(sysctl user.max_user_namespaces); run the command with 'sudo sandboxctl exec'");
}

}  // namespace

// Past the try below only an allocation can throw, and terminating is the answer to that.
int main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape)
  const uid_t caller = getuid();  // the launch makes the sandbox user the real uid
  Options o;
  nlohmann::json status = nlohmann::json::object();
  int code = kExitSetup;
  try {
    o = ParseArguments(argc, argv);
    status["command"] = o.command;
    code = Run(o, status);
  } catch (const Refusal& r) {
    std::cerr << "sandboxctl exec: " << r.message << "\n";
    status["error"] = r.message;
    code = kExitSetup;
  } catch (const std::exception& e) {
    std::cerr << "sandboxctl exec: " << e.what() << "\n";
    status["error"] = e.what();
    code = kExitSetup;
  }
  // From here on this process holds no capability (Launch dropped them; a refusal came
  // before any use): the status file and the log are written with the caller's rights.
  sbx::DropAllCapabilities();
  status["exit_code"] = code;
  // A status the caller asked for and did not get is a failure of the run's setup.
  if (o.json_status && !WriteStatus(*o.json_status, status)) {
    status["json_status_error"] = true;
    code = kExitSetup;
  }
  if (!o.command.empty()) Audit(o, caller, status);
  return code;
}
