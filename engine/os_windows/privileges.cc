#include "engine/os_windows/privileges.h"

#include <windows.h>

#include "engine/os_windows/text.h"

namespace sbx {

Result<Ok> EnableBackupAndRestorePrivileges() {
  HANDLE token = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &token)) {
    return Error{"host_error", "OpenProcessToken", "this process", Win32Message(GetLastError())};
  }
  Result<Ok> result = Ok{};
  for (const wchar_t* name : {L"SeBackupPrivilege", L"SeRestorePrivilege"}) {
    TOKEN_PRIVILEGES p{};
    p.PrivilegeCount = 1;
    p.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
    if (!LookupPrivilegeValueW(nullptr, name, &p.Privileges[0].Luid)) {
      result = Error{"host_error", "LookupPrivilegeValueW", Utf8(name), Win32Message(GetLastError())};
      break;
    }
    // Succeeds without enabling a privilege the token lacks: GetLastError tells.
    if (!AdjustTokenPrivileges(token, FALSE, &p, 0, nullptr, nullptr) || GetLastError() != ERROR_SUCCESS) {
      const DWORD err = GetLastError();
      result = Error{err == ERROR_NOT_ALL_ASSIGNED ? "permission_denied" : "host_error", "AdjustTokenPrivileges",
                     Utf8(name), Win32Message(err)};
      break;
    }
  }
  CloseHandle(token);
  return result;
}

}  // namespace sbx
