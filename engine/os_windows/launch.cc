#include "engine/os_windows/launch.h"

#include <windows.h>
#include <shellapi.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

#include "engine/os_windows/command_line.h"
#include "engine/os_windows/nt_file.h"
#include "engine/os_windows/state_store.h"
#include "engine/os_windows/text.h"

namespace sbx {
namespace {

namespace fs = std::filesystem;

constexpr int kExitTimeout = 124, kExitInterrupted = 130;

// What the console handler may reach: the runner, to end it when the console closes, and
// the event that tells the wait of an interrupt. Set before the handler is installed.
std::atomic<HANDLE> g_runner{nullptr};
std::atomic<HANDLE> g_interrupt{nullptr};

BOOL WINAPI OnConsoleEvent(DWORD event) {
  if (event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT) {
    if (HANDLE e = g_interrupt.load()) SetEvent(e);
    return TRUE;  // the command got it as well: it decides, the wait gives it time
  }
  // The console closes, the user logs off or the machine shuts down: this process is
  // ended when the handler returns, and the command with the runner.
  if (HANDLE r = g_runner.load()) TerminateProcess(r, kExitInterrupted);
  return FALSE;
}

// The runner and its directory: opened themselves (OpenPathNoFollow), owned and changeable
// only by `trusted`. The handles are held until the runner has started.
struct OpenedRunner {
  OwnedHandle file, dir;
};

Result<OpenedRunner> OpenRunner(const std::string& runner, const std::vector<Sid>& trusted) {
  const fs::path path = fs::path(Wide(runner));
  OpenedRunner opened;
  auto dir = OpenPathNoFollow(Utf8(path.parent_path().wstring()), READ_CONTROL);
  if (!dir.ok()) return dir.error();
  if (auto checked = CheckOpenedSecurity(dir->get(), path.parent_path(), StoreItem::kProgramDir, trusted); !checked.ok()) {
    return checked.error();
  }
  auto file = OpenPathNoFollow(runner, READ_CONTROL | GENERIC_READ);
  if (!file.ok()) return file.error();
  if (auto checked = CheckOpenedSecurity(file->get(), path, StoreItem::kProgram, trusted); !checked.ok()) {
    return checked.error();
  }
  opened.dir = std::move(*dir);
  opened.file = std::move(*file);
  return opened;
}

// A job that ends every process in it when its last handle closes: this process's, so
// the runner ends with the front end, however that ends.
Result<OwnedHandle> KillOnCloseJob() {
  OwnedHandle job(CreateJobObjectW(nullptr, nullptr));
  if (!job.get()) return Win32Failed("CreateJobObjectW", "the runner's job", GetLastError());
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (!SetInformationJobObject(job.get(), JobObjectExtendedLimitInformation, &limits, sizeof limits)) {
    return Win32Failed("SetInformationJobObject", "the runner's job", GetLastError());
  }
  return job;
}

// The runner as the sandbox user, suspended, with the console and standard handles of
// this process and no user profile loaded: HOME, USERPROFILE and the temporary
// directories are the profile's ${tmp} (set by exec), and no profile directory is left
// on the machine for destroy to miss.
Result<PROCESS_INFORMATION> StartAsUser(const RunnerLaunch& l, std::wstring& line) {
  const std::wstring user = Wide(l.user), runner = Wide(l.runner), cwd = Wide(l.cwd);
  std::wstring environment = Wide(l.environment);  // NULs and all
  std::wstring password = Wide(l.password);
  STARTUPINFOW si{};
  si.cb = sizeof si;
  const HANDLE in = GetStdHandle(STD_INPUT_HANDLE), out = GetStdHandle(STD_OUTPUT_HANDLE),
               err = GetStdHandle(STD_ERROR_HANDLE);
  if (in && in != INVALID_HANDLE_VALUE && out && out != INVALID_HANDLE_VALUE && err && err != INVALID_HANDLE_VALUE) {
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = in;
    si.hStdOutput = out;
    si.hStdError = err;
  }
  PROCESS_INFORMATION pi{};
  const BOOL started = CreateProcessWithLogonW(user.c_str(), L".", password.c_str(), 0, runner.c_str(), line.data(),
                                               CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT, environment.data(),
                                               cwd.empty() ? nullptr : cwd.c_str(), &si, &pi);
  const DWORD code = GetLastError();
  SecureZeroMemory(password.data(), password.size() * sizeof(wchar_t));
  if (!started) {
    if (code == ERROR_LOGON_FAILURE) {
      return Error{"host_error", "CreateProcessWithLogonW", l.user,
                   "the stored password is not the account's (" + Win32Message(code) + ")"};
    }
    return Win32Failed("CreateProcessWithLogonW", l.user + ", " + l.runner, code);
  }
  return pi;
}

double SecondsSince(ULONGLONG start) { return static_cast<double>(GetTickCount64() - start) / 1000.0; }

}  // namespace

Result<std::vector<std::string>> ProcessArguments() {
  int argc = 0;
  wchar_t** argv = CommandLineToArgvW(GetCommandLineW(), &argc);
  if (!argv) return Win32Failed("CommandLineToArgvW", "this process's command line", GetLastError());
  std::vector<std::string> out;
  for (int i = 0; i < argc; ++i) out.push_back(Utf8(argv[i]));
  LocalFree(argv);
  return out;
}

std::vector<std::string> ProcessEnvironment() {
  std::vector<std::string> out;
  wchar_t* block = GetEnvironmentStringsW();
  if (!block) return out;
  for (const wchar_t* e = block; *e; e += wcslen(e) + 1) out.push_back(Utf8(e));
  FreeEnvironmentStringsW(block);
  return out;
}

Result<Sid> CurrentUserSid() {
  HANDLE token = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
    return Win32Failed("OpenProcessToken", "this process", GetLastError());
  }
  OwnedHandle hold(token);
  BYTE buf[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
  DWORD size = 0;
  if (!GetTokenInformation(token, TokenUser, buf, sizeof buf, &size)) {
    return Win32Failed("GetTokenInformation(TokenUser)", "this process", GetLastError());
  }
  PSID sid = reinterpret_cast<TOKEN_USER*>(buf)->User.Sid;
  return SidFromBytes(static_cast<const uint8_t*>(sid), GetLengthSid(sid));
}

Result<RunnerOutcome> LaunchRunner(const RunnerLaunch& l) {
  auto opened = OpenRunner(l.runner, l.trusted);  // held open until it runs
  if (!opened.ok()) return opened.error();
  std::vector<std::string> argv{l.runner};
  argv.insert(argv.end(), l.arguments.begin(), l.arguments.end());
  auto line = WindowsCommandLine(argv);
  if (!line.ok()) return line.error();
  std::wstring wide_line = Wide(*line);
  auto job = KillOnCloseJob();
  if (!job.ok()) return job.error();
  OwnedHandle interrupt(CreateEventW(nullptr, FALSE, FALSE, nullptr));
  if (!interrupt.get()) return Win32Failed("CreateEventW", "the interrupt event", GetLastError());

  const ULONGLONG start = GetTickCount64();
  auto started = StartAsUser(l, wide_line);
  if (!started.ok()) return started.error();
  OwnedHandle process(started->hProcess), thread(started->hThread);
  RunnerOutcome outcome;
  // Not fatal: the runner's own job ends the command when the runner ends; this one only
  // ends the runner with the front end. (Seclogon may have put it in a job that does not
  // allow another.)
  outcome.contained = AssignProcessToJobObject(job->get(), process.get()) != 0;
  g_runner = process.get();
  g_interrupt = interrupt.get();
  SetConsoleCtrlHandler(OnConsoleEvent, TRUE);
  if (ResumeThread(thread.get()) == static_cast<DWORD>(-1)) {
    const DWORD err = GetLastError();
    TerminateProcess(process.get(), 125);
    SetConsoleCtrlHandler(OnConsoleEvent, FALSE);
    g_runner = nullptr;
    return Win32Failed("ResumeThread", l.runner, err);
  }

  const ULONGLONG limit = l.timeout ? static_cast<ULONGLONG>((*l.timeout + kGraceSeconds) * 1000) : 0;
  std::optional<ULONGLONG> interrupted_at;
  HANDLE waits[2] = {process.get(), interrupt.get()};
  std::optional<int> forced;  // the exit code when this process ended the runner
  while (!forced) {
    const ULONGLONG now = GetTickCount64() - start;
    ULONGLONG wait = INFINITE;
    if (limit) wait = now >= limit ? 0 : limit - now;
    if (interrupted_at) {
      const ULONGLONG grace = static_cast<ULONGLONG>(kGraceSeconds * 1000), since = GetTickCount64() - *interrupted_at;
      wait = std::min<ULONGLONG>(wait, since >= grace ? 0 : grace - since);
    }
    const DWORD w = WaitForMultipleObjects(2, waits, FALSE, wait == INFINITE ? INFINITE : static_cast<DWORD>(wait));
    if (w == WAIT_OBJECT_0) break;
    if (w == WAIT_OBJECT_0 + 1) {
      outcome.interrupted = true;
      if (interrupted_at) forced = kExitInterrupted;  // a second one: now
      else interrupted_at = GetTickCount64();
    } else if (w == WAIT_TIMEOUT) {
      forced = interrupted_at ? kExitInterrupted : kExitTimeout;
    } else {
      const DWORD err = GetLastError();
      TerminateProcess(process.get(), 125);
      SetConsoleCtrlHandler(OnConsoleEvent, FALSE);
      g_runner = nullptr;
      return Win32Failed("WaitForMultipleObjects", l.runner, err);
    }
  }
  if (forced) {
    TerminateProcess(process.get(), static_cast<UINT>(*forced));
    WaitForSingleObject(process.get(), 5000);
    outcome.ended_by_launcher = true;
  }
  SetConsoleCtrlHandler(OnConsoleEvent, FALSE);
  g_runner = nullptr;
  g_interrupt = nullptr;
  outcome.seconds = SecondsSince(start);
  DWORD code = 0;
  if (!GetExitCodeProcess(process.get(), &code)) return Win32Failed("GetExitCodeProcess", l.runner, GetLastError());
  outcome.exit_code = forced ? *forced : static_cast<int>(code);
  return outcome;
}

Result<Ok> WriteFileNoFollow(const std::string& path, std::string_view text) {
  const std::wstring wide = Wide(path);
  OwnedHandle h(CreateFileW(wide.c_str(), GENERIC_READ | GENERIC_WRITE | DELETE, FILE_SHARE_READ, nullptr, OPEN_ALWAYS,
                            FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
  if (h.get() == INVALID_HANDLE_VALUE) return Win32Failed("CreateFileW", path, GetLastError());
  const bool made = GetLastError() != ERROR_ALREADY_EXISTS;
  // Reopened through OpenPathNoFollow's checks (no reparse point, one link, the final
  // path is `path`): the handle above is only what made the file.
  auto checked = OpenPathNoFollow(path, READ_CONTROL);
  BY_HANDLE_FILE_INFORMATION a{}, b{};
  const bool same = checked.ok() && GetFileInformationByHandle(h.get(), &a) &&
                    GetFileInformationByHandle(checked->get(), &b) &&
                    a.dwVolumeSerialNumber == b.dwVolumeSerialNumber && a.nFileIndexHigh == b.nFileIndexHigh &&
                    a.nFileIndexLow == b.nFileIndexLow && !(a.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT);
  if (!same) {
    if (made) {
      FILE_DISPOSITION_INFO gone{TRUE};
      SetFileInformationByHandle(h.get(), FileDispositionInfo, &gone, sizeof gone);
    }
    if (!checked.ok()) return checked.error();
    return Error{"host_error", "", path, "is not the file it names (a junction or symbolic link on the way)"};
  }
  if (!SetEndOfFile(h.get())) return Win32Failed("SetEndOfFile", path, GetLastError());
  size_t done = 0;
  while (done < text.size()) {
    DWORD wrote = 0;
    const DWORD chunk = static_cast<DWORD>(std::min<size_t>(text.size() - done, 1u << 20));
    if (!WriteFile(h.get(), text.data() + done, chunk, &wrote, nullptr)) {
      return Win32Failed("WriteFile", path, GetLastError());
    }
    done += wrote;
  }
  return Ok{};
}

}  // namespace sbx
