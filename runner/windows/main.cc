// sandboxctl-runner.exe: the last step of `sandboxctl exec` on Windows. The front end
// starts it as the profile's sandbox user (CreateProcessWithLogonW, with the password
// apply stored), with the profile's filtered environment as its own; it starts the
// command under a write-restricted copy of its own token, in a job object that ends
// every process of the command with it.
//
// Threat model. The runner holds nothing its caller does not: it runs as the sandbox
// user, an account with no privileges, and it only takes rights away (the restricted
// token, the job). So its arguments need not be trusted for safety, only checked for
// sense: the capability SID must have the form apply gives it and be neither the user nor
// one of its groups, so it can only narrow where the command writes (a write of data must
// be allowed both to the user and to a restricting SID; DELETE and WRITE_DAC are not
// restricted by Windows, so carve-outs deny those to the user itself). The job keeps the
// command from the user's desktop, clipboard and windows. It refuses to run elevated or as a
// member of Administrators, so a misconfigured caller cannot turn it into a way to run a
// command with an administrator's token under the name of a sandbox.
//
// Usage: sandboxctl-runner.exe --capability SID [--timeout SECONDS] [--cwd DIR] [--memory BYTES]
//        [--processes N] -- PROGRAM [ARG]...
// --memory limits the memory each process of the command may commit, --processes how many
// may run at once (the profile's limits.memory and limits.processes).
// Exit status: the command's own; 124 timeout; 125 the runner failed; 126 not
// executable; 127 not found.
#include <windows.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/core/strings.h"
#include "engine/os_windows/command_line.h"
#include "engine/os_windows/sid.h"
#include "engine/os_windows/text.h"

namespace {

constexpr int kExitTimeout = 124, kExitSetup = 125, kExitNotExecutable = 126, kExitNotFound = 127;

struct Options {
  std::string capability;
  double timeout = 0;
  std::string cwd;
  unsigned long long memory = 0;    // bytes; 0: no limit
  unsigned long processes = 0;      // 0: no limit
  std::vector<std::string> command;
};

// `code` is taken right after the failed call, before any string is built.
int Fail(const std::string& what, DWORD code) {
  std::fprintf(stderr, "sandboxctl-runner: %s: %s\n", what.c_str(), sbx::Win32Message(code).c_str());
  return kExitSetup;
}

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "sandboxctl-runner: %s\nusage: sandboxctl-runner.exe --capability SID [--timeout SECONDS] [--cwd DIR] "
               "[--memory BYTES] [--processes N] -- PROGRAM [ARG]...\n",
               why.c_str());
  return kExitSetup;
}

bool ParseOptions(const std::vector<std::string>& args, Options& o, std::string& why) {
  size_t i = 0;
  for (; i < args.size() && args[i] != "--"; ++i) {
    const std::string& a = args[i];
    if (i + 1 >= args.size()) {
      why = "option " + a + " needs a value";
      return false;
    }
    const std::string& v = args[++i];
    if (a == "--capability") {
      o.capability = v;
    } else if (a == "--timeout") {
      char* end = nullptr;
      o.timeout = std::strtod(v.c_str(), &end);
      if (*end || !(o.timeout > 0 && o.timeout < 4294967)) {  // milliseconds in a DWORD, below INFINITE
        why = "--timeout must be a positive number of seconds below 4294967";
        return false;
      }
    } else if (a == "--cwd") {
      o.cwd = v;
    } else if (a == "--memory" || a == "--processes") {
      char* end = nullptr;
      const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      const unsigned long long most = a == "--memory" ? (1ull << 50) : 1000000ull;
      if (v.empty() || v[0] == '-' || *end || n == 0 || n > most) {
        why = a + " must be a positive whole number up to " + std::to_string(most);
        return false;
      }
      if (a == "--memory") o.memory = n;
      else o.processes = static_cast<unsigned long>(n);
    } else {
      why = "unknown option " + a;
      return false;
    }
  }
  if (i >= args.size()) {
    why = "no '--' before the command";
    return false;
  }
  o.command.assign(args.begin() + static_cast<long>(i) + 1, args.end());
  if (o.command.empty()) {
    why = "no command";
    return false;
  }
  if (o.capability.empty()) {
    why = "no --capability";
    return false;
  }
  return true;
}

// The groups of a token; empty if they cannot be read.
std::vector<BYTE> TokenGroupsOf(HANDLE token) {
  DWORD needed = 0;
  GetTokenInformation(token, TokenGroups, nullptr, 0, &needed);
  std::vector<BYTE> buf(needed);
  if (needed == 0 || !GetTokenInformation(token, TokenGroups, buf.data(), needed, &needed)) buf.clear();
  return buf;
}

// An administrator's token, even a filtered one (Administrators for deny only), is not
// what a sandbox runs with. Unknown counts as yes.
bool RunsAsAdministrator(HANDLE token) {
  TOKEN_ELEVATION elevation{};
  DWORD size = 0;
  if (!GetTokenInformation(token, TokenElevation, &elevation, sizeof elevation, &size) || elevation.TokenIsElevated) {
    return true;
  }
  BYTE admins[SECURITY_MAX_SID_SIZE];
  DWORD admins_size = sizeof admins;
  if (!CreateWellKnownSid(WinBuiltinAdministratorsSid, nullptr, admins, &admins_size)) return true;
  const std::vector<BYTE> buf = TokenGroupsOf(token);
  if (buf.empty()) return true;
  const auto* groups = reinterpret_cast<const TOKEN_GROUPS*>(buf.data());
  for (DWORD i = 0; i < groups->GroupCount; ++i) {
    if (EqualSid(groups->Groups[i].Sid, admins)) return true;
  }
  return false;
}

// The logon SID of the token: the command needs it to use its own window station,
// desktop and console, which are granted to that SID.
bool LogonSid(HANDLE token, std::vector<BYTE>& sid) {
  const std::vector<BYTE> buf = TokenGroupsOf(token);
  if (buf.empty()) return false;
  const auto* groups = reinterpret_cast<const TOKEN_GROUPS*>(buf.data());
  for (DWORD i = 0; i < groups->GroupCount; ++i) {
    if ((groups->Groups[i].Attributes & SE_GROUP_LOGON_ID) == SE_GROUP_LOGON_ID) {
      const DWORD length = GetLengthSid(groups->Groups[i].Sid);
      sid.assign(static_cast<BYTE*>(groups->Groups[i].Sid), static_cast<BYTE*>(groups->Groups[i].Sid) + length);
      return true;
    }
  }
  return false;
}

// The program by PATH and PATHEXT's .exe, never from the current directory (where the
// sandboxed workspace could plant one).
bool ResolveProgram(const std::string& program, const std::string& cwd, std::wstring& path) {
  if (program.find_first_of("\\/:") != std::string::npos) {
    const bool absolute = program.size() > 2 && (program[1] == ':' || (program[0] == '\\' && program[1] == '\\'));
    path = sbx::Wide(absolute || cwd.empty() ? program : cwd + "\\" + program);  // relative: to --cwd
    return GetFileAttributesW(path.c_str()) != INVALID_FILE_ATTRIBUTES;
  }
  std::vector<wchar_t> env(32768);
  const DWORD n = GetEnvironmentVariableW(L"PATH", env.data(), static_cast<DWORD>(env.size()));
  if (n == 0 || n >= env.size()) return false;
  // Only absolute entries: "." or a relative one would search the current directory.
  std::wstring search;
  for (const auto& entry : sbx::Split(sbx::Utf8(std::wstring_view(env.data(), n)), ';')) {
    const bool absolute = entry.size() > 2 && ((entry[1] == ':' && (entry[2] == '\\' || entry[2] == '/')) ||
                                               (entry[0] == '\\' && entry[1] == '\\'));
    if (!absolute) continue;
    if (!search.empty()) search += L';';
    search += sbx::Wide(entry);
  }
  if (search.empty()) return false;
  std::vector<wchar_t> found(32768);
  const std::wstring name = sbx::Wide(program);
  const DWORD m = SearchPathW(search.c_str(), name.c_str(), L".exe", static_cast<DWORD>(found.size()), found.data(), nullptr);
  if (m == 0 || m >= found.size()) return false;
  path.assign(found.data(), m);
  return true;
}

BOOL WINAPI IgnoreConsoleSignals(DWORD) { return TRUE; }  // the command gets them itself

}  // namespace

int wmain(int argc, wchar_t** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.push_back(sbx::Utf8(argv[i]));
  Options o;
  std::string why;
  if (!ParseOptions(args, o, why)) return Usage(why);
  // Only a capability SID of the form apply makes (S-1-5-21-a-b-c-d): a well-known group
  // (Users, Authenticated Users) as restricting SID would let the command write wherever
  // that group may.
  auto capability = sbx::ParseSid(o.capability);
  if (!capability.ok()) return Usage("--capability: " + capability.error().message);
  if (capability->authority != 5 || capability->subauthorities.size() != 5 || capability->subauthorities[0] != 21) {
    return Usage("--capability " + o.capability + " is not a capability SID (S-1-5-21-a-b-c-d)");
  }

  HANDLE token = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(),
                        TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY | TOKEN_ADJUST_DEFAULT, &token)) {
    const DWORD err = GetLastError();
    return Fail("OpenProcessToken", err);
  }
  if (RunsAsAdministrator(token)) {
    std::fprintf(stderr, "sandboxctl-runner: refusing to run as an administrator; it runs as a sandbox user\n");
    return kExitSetup;
  }

  {
    const std::vector<BYTE> groups_buf = TokenGroupsOf(token);
    std::vector<BYTE> cap = sbx::SidBytes(*capability);
    BYTE user_buf[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    DWORD user_size = 0;
    bool clash = groups_buf.empty() || !GetTokenInformation(token, TokenUser, user_buf, sizeof user_buf, &user_size) ||
                 EqualSid(reinterpret_cast<TOKEN_USER*>(user_buf)->User.Sid, cap.data());
    if (!groups_buf.empty()) {
      const auto* groups = reinterpret_cast<const TOKEN_GROUPS*>(groups_buf.data());
      for (DWORD i = 0; i < groups->GroupCount; ++i) clash = clash || EqualSid(groups->Groups[i].Sid, cap.data());
    }
    if (clash) return Usage("--capability " + o.capability + " is this user or one of its groups, not a capability");
  }

  // Restricting SIDs: the profile's capability, the logon session (window station,
  // desktop, console) and Everyone (what anyone may write anyway). A write needs one of
  // them as well as the user: the capability's ACEs are on the writable roots only.
  std::vector<BYTE> cap_sid = sbx::SidBytes(*capability);
  std::vector<BYTE> logon;
  if (!LogonSid(token, logon)) return Fail("GetTokenInformation(TokenGroups): no logon SID", ERROR_NO_SUCH_LOGON_SESSION);
  BYTE everyone[SECURITY_MAX_SID_SIZE];
  DWORD everyone_size = sizeof everyone;
  if (!CreateWellKnownSid(WinWorldSid, nullptr, everyone, &everyone_size)) {
    const DWORD err = GetLastError();
    return Fail("CreateWellKnownSid(Everyone)", err);
  }
  SID_AND_ATTRIBUTES restricting[3] = {{cap_sid.data(), 0}, {logon.data(), 0}, {everyone, 0}};
  HANDLE restricted = nullptr;
  if (!CreateRestrictedToken(token, DISABLE_MAX_PRIVILEGE | LUA_TOKEN | WRITE_RESTRICTED, 0, nullptr, 0, nullptr, 3,
                             restricting, &restricted)) {
    const DWORD err = GetLastError();
    return Fail("CreateRestrictedToken", err);
  }

  // Every process of the command in one job, ended when the runner ends.
  HANDLE job = CreateJobObjectW(nullptr, nullptr);
  if (!job) {
    const DWORD err = GetLastError();
    return Fail("CreateJobObjectW", err);
  }
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
  if (o.memory) {
    limits.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_PROCESS_MEMORY;
    limits.ProcessMemoryLimit = static_cast<SIZE_T>(o.memory);
  }
  if (o.processes) {
    limits.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_ACTIVE_PROCESS;
    limits.BasicLimitInformation.ActiveProcessLimit = static_cast<DWORD>(o.processes);
  }
  // The logon SID lets the command use the desktop: not to reach the user's windows,
  // hooks, clipboard or display settings.
  JOBOBJECT_BASIC_UI_RESTRICTIONS ui{JOB_OBJECT_UILIMIT_HANDLES | JOB_OBJECT_UILIMIT_READCLIPBOARD |
                                     JOB_OBJECT_UILIMIT_WRITECLIPBOARD | JOB_OBJECT_UILIMIT_GLOBALATOMS |
                                     JOB_OBJECT_UILIMIT_SYSTEMPARAMETERS | JOB_OBJECT_UILIMIT_DESKTOP |
                                     JOB_OBJECT_UILIMIT_DISPLAYSETTINGS | JOB_OBJECT_UILIMIT_EXITWINDOWS};
  if (!SetInformationJobObject(job, JobObjectBasicUIRestrictions, &ui, sizeof ui)) {
    const DWORD err = GetLastError();
    return Fail("SetInformationJobObject(JobObjectBasicUIRestrictions)", err);
  }
  if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits)) {
    const DWORD err = GetLastError();
    return Fail("SetInformationJobObject", err);
  }

  std::wstring program;
  if (!ResolveProgram(o.command[0], o.cwd, program)) {
    std::fprintf(stderr, "sandboxctl-runner: %s: command not found\n", o.command[0].c_str());
    return kExitNotFound;
  }
  std::vector<std::string> command = o.command;
  command[0] = sbx::Utf8(program);
  auto line = sbx::WindowsCommandLine(command);
  if (!line.ok()) {
    std::fprintf(stderr, "sandboxctl-runner: %s: %s\n", line.error().object.c_str(), line.error().message.c_str());
    return kExitNotExecutable;
  }
  std::wstring wide_line = sbx::Wide(*line);
  const std::wstring cwd = sbx::Wide(o.cwd);

  SetConsoleCtrlHandler(IgnoreConsoleSignals, TRUE);
  STARTUPINFOW si{};
  si.cb = sizeof si;
  PROCESS_INFORMATION pi{};
  if (!CreateProcessAsUserW(restricted, program.c_str(), wide_line.data(), nullptr, nullptr, TRUE,
                            CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT, nullptr, cwd.empty() ? nullptr : cwd.c_str(),
                            &si, &pi)) {
    const DWORD err = GetLastError();
    if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND) return kExitNotFound;
    if (err == ERROR_ACCESS_DENIED || err == ERROR_BAD_EXE_FORMAT) {
      std::fprintf(stderr, "sandboxctl-runner: %s: %s\n", o.command[0].c_str(), sbx::Win32Message(err).c_str());
      return kExitNotExecutable;
    }
    return Fail("CreateProcessAsUserW(" + o.command[0] + ")", err);
  }
  if (!AssignProcessToJobObject(job, pi.hProcess)) {
    const DWORD err = GetLastError();
    TerminateProcess(pi.hProcess, kExitSetup);
    return Fail("AssignProcessToJobObject", err);
  }
  ResumeThread(pi.hThread);
  CloseHandle(pi.hThread);

  const DWORD wait = o.timeout > 0 ? static_cast<DWORD>(o.timeout * 1000) : INFINITE;
  if (WaitForSingleObject(pi.hProcess, wait) == WAIT_TIMEOUT) {
    TerminateJobObject(job, kExitTimeout);
    WaitForSingleObject(pi.hProcess, 5000);
    std::fprintf(stderr, "sandboxctl-runner: timed out after %g s; the command's processes were ended\n", o.timeout);
    return kExitTimeout;
  }
  DWORD code = kExitSetup;
  if (!GetExitCodeProcess(pi.hProcess, &code)) {
    const DWORD err = GetLastError();
    return Fail("GetExitCodeProcess", err);
  }
  return static_cast<int>(code);
}
