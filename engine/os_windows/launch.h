// The Windows side of `sandboxctl exec`: starting sandboxctl-runner.exe as the profile's
// sandbox user. The front end (an elevated administrator: only it can read the password
// apply stored) checks that nobody but the trusted accounts can change the runner or its
// directory, then starts it with CreateProcessWithLogonW and the password, suspended, puts
// it in a kill-on-close job of its own (so the runner, and with it the command's job, ends
// when the front end is killed), resumes it and waits. The runner does the rest
// (runner/windows/main.cc). Windows only; a launch needs a sandbox user, which Wine's stub
// account database cannot hold (label windows-real).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"
#include "engine/os_windows/sid.h"
#include "engine/reconcile/host.h"

namespace sbx {

// This process's arguments as Windows holds them, in UTF-8 (CommandLineToArgvW of
// GetCommandLineW), the program's name first. main's argv is in the ANSI code page, which
// turns every character outside it into '?'.
Result<std::vector<std::string>> ProcessArguments();

// This process's environment as Windows holds it, "NAME=value" in UTF-8
// (GetEnvironmentStringsW), the per-drive entries ("=C:=C:\src") included.
std::vector<std::string> ProcessEnvironment();

// The SID of the account this process runs as.
Result<Sid> CurrentUserSid();

struct RunnerLaunch {
  std::string runner;          // sandboxctl-runner.exe, a full path
  std::vector<Sid> trusted;    // who besides no one else may own and change it
  std::string user;            // the sandbox user, a local account
  std::string password;        // its password, as apply stored it
  std::vector<std::string> arguments;  // the runner's, after its name
  std::string environment;     // the runner's (and the command's) block, EnvironmentBlock's form
  std::string cwd;
  std::optional<double> timeout;  // the runner's --timeout; the launcher ends it kGraceSeconds later
};

inline constexpr double kGraceSeconds = 10;

struct RunnerOutcome {
  int exit_code = 0;
  bool interrupted = false;  // Ctrl+C or Ctrl+Break: the command got it too, sharing the console
  bool ended_by_launcher = false;  // it did not end within kGraceSeconds of an interrupt or its timeout
  bool contained = false;    // in the launcher's job: ended with the launcher
  double seconds = 0;
};

// Checks the runner (StoreItem::kProgram) and its directory (kProgramDir) against
// `trusted`, each opened itself, never through a junction or symbolic link, the runner with
// a single hard link; starts it, waits for it and gives back its exit code. Ctrl+C and
// Ctrl+Break reach the command through the console they share and are ignored here; if the
// runner has not ended kGraceSeconds after one, or after its timeout, or at a second one,
// it is ended (its job ends the command), with exit 130 (interrupt) or 124 (timeout).
// Closing the console ends it at once. Errors name the call: CreateProcessWithLogonW's
// ERROR_LOGON_FAILURE means the stored password is not the account's.
Result<RunnerOutcome> LaunchRunner(const RunnerLaunch& launch);

// Writes `text` to the file `path`, made if missing, replacing what it held: never
// through a junction or symbolic link (the file opened must be `path` itself) and never to
// a file with several hard links. A file it made and then refused is deleted again.
Result<Ok> WriteFileNoFollow(const std::string& path, std::string_view text);

}  // namespace sbx
