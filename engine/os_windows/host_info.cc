// Host facts on Windows (engine/core/host_info.h). "Root" is an elevated Administrator:
// what apply and destroy need.
#include "engine/core/host_info.h"

#include <windows.h>
#include <userenv.h>

#include <string>
#include <vector>

#include "engine/os_windows/text.h"

namespace sbx {
namespace {

// `code` is taken by the caller right after the failed call: building the strings here
// could change the thread's last error.
Error Win32Error(const std::string& call, const std::string& object, DWORD code) {
  return Error{code == ERROR_ACCESS_DENIED ? "permission_denied" : "host_error", call, object, Win32Message(code)};
}

}  // namespace

Result<InvokingUser> QueryInvokingUser() {
  wchar_t name[257];
  DWORD size = static_cast<DWORD>(std::size(name));
  if (!GetUserNameW(name, &size)) {
    const DWORD err = GetLastError();
    return Win32Error("GetUserNameW", "this process", err);
  }
  HANDLE token = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
    const DWORD err = GetLastError();
    return Win32Error("OpenProcessToken", "this process", err);
  }
  std::vector<wchar_t> home(MAX_PATH);
  DWORD home_size = static_cast<DWORD>(home.size());
  BOOL ok = GetUserProfileDirectoryW(token, home.data(), &home_size);
  if (!ok && GetLastError() == ERROR_INSUFFICIENT_BUFFER) {
    home.resize(home_size);
    ok = GetUserProfileDirectoryW(token, home.data(), &home_size);
  }
  const DWORD err = GetLastError();
  CloseHandle(token);
  if (!ok) return Win32Error("GetUserProfileDirectoryW", "this process", err);
  return InvokingUser{Utf8(name), Utf8(home.data()), false};
}

// Elevated and a member of Administrators (an elevated Backup Operator is not).
bool RunningAsRoot() {
  HANDLE token = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return false;
  TOKEN_ELEVATION elevation{};
  DWORD size = 0;
  const BOOL ok = GetTokenInformation(token, TokenElevation, &elevation, sizeof elevation, &size);
  CloseHandle(token);
  if (!ok || elevation.TokenIsElevated == 0) return false;
  BYTE admins[SECURITY_MAX_SID_SIZE];
  DWORD admins_size = sizeof admins;
  BOOL member = FALSE;
  return CreateWellKnownSid(WinBuiltinAdministratorsSid, nullptr, admins, &admins_size) &&
         CheckTokenMembership(nullptr, admins, &member) && member;
}

std::string_view HostTargetName() { return "windows"; }

int CurrentPid() { return static_cast<int>(GetCurrentProcessId()); }

bool StdinIsTerminal() {
  DWORD mode = 0;
  return GetConsoleMode(GetStdHandle(STD_INPUT_HANDLE), &mode) != 0;
}

Result<std::filesystem::path> ExecutablePath() {
  std::vector<wchar_t> buf(MAX_PATH);
  for (;;) {
    const DWORD n = GetModuleFileNameW(nullptr, buf.data(), static_cast<DWORD>(buf.size()));
    if (n == 0) {
      const DWORD err = GetLastError();
      return Win32Error("GetModuleFileNameW", "this process", err);
    }
    if (n < buf.size()) return std::filesystem::path(std::wstring(buf.data(), n));
    if (buf.size() >= 32768) return Error{"host_error", "GetModuleFileNameW", "this process", "path too long"};
    buf.resize(buf.size() * 2);
  }
}

}  // namespace sbx
