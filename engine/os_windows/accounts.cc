#include "engine/os_windows/accounts.h"

#include <windows.h>
#include <lm.h>
#include <userenv.h>

#include <vector>

#include "engine/os_windows/text.h"

namespace sbx {
namespace {

constexpr const wchar_t* kHiddenUsersKey = L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\SpecialAccounts\\UserList";

Error NetError(const char* call, const std::string& object, NET_API_STATUS status) {
  return Error{status == ERROR_ACCESS_DENIED ? "permission_denied" : "host_error", call, object,
               Win32Message(status)};
}

// Hides the account from the sign-in screen (a DWORD 0 under UserList), or shows it again.
Result<Ok> SetHidden(const std::string& name, bool hidden) {
  HKEY key = nullptr;
  LSTATUS rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, kHiddenUsersKey, 0, nullptr, 0, KEY_SET_VALUE, nullptr, &key, nullptr);
  if (rc != ERROR_SUCCESS) return Error{"host_error", "RegCreateKeyExW", "HKLM\\...\\UserList", Win32Message(rc)};
  const std::wstring value = Wide(name);
  if (hidden) {
    const DWORD zero = 0;
    rc = RegSetValueExW(key, value.c_str(), 0, REG_DWORD, reinterpret_cast<const BYTE*>(&zero), sizeof zero);
  } else {
    rc = RegDeleteValueW(key, value.c_str());
    if (rc == ERROR_FILE_NOT_FOUND) rc = ERROR_SUCCESS;
  }
  RegCloseKey(key);
  if (rc != ERROR_SUCCESS) return Error{"host_error", hidden ? "RegSetValueExW" : "RegDeleteValueW", name, Win32Message(rc)};
  return Ok{};
}

}  // namespace

Result<std::optional<LocalAccount>> LookupLocalUser(const std::string& name) {
  const std::wstring wide = Wide(name);
  USER_INFO_1* info = nullptr;
  const NET_API_STATUS status = NetUserGetInfo(nullptr, wide.c_str(), 1, reinterpret_cast<BYTE**>(&info));
  if (status == NERR_UserNotFound) return std::optional<LocalAccount>{};
  if (status != NERR_Success) return NetError("NetUserGetInfo", name, status);
  LocalAccount account;
  account.name = name;
  account.comment = info->usri1_comment ? Utf8(info->usri1_comment) : "";
  NetApiBufferFree(info);
  // The SID, from this machine's account database only (not a domain's).
  std::vector<BYTE> sid(SECURITY_MAX_SID_SIZE);
  DWORD sid_size = static_cast<DWORD>(sid.size());
  std::vector<wchar_t> domain(256);
  DWORD domain_size = static_cast<DWORD>(domain.size());
  SID_NAME_USE use{};
  wchar_t computer[MAX_COMPUTERNAME_LENGTH + 1];
  DWORD computer_size = MAX_COMPUTERNAME_LENGTH + 1;
  if (!GetComputerNameW(computer, &computer_size)) return Error{"host_error", "GetComputerNameW", "", Win32Message(GetLastError())};
  const std::wstring qualified = std::wstring(computer) + L"\\" + wide;
  if (!LookupAccountNameW(nullptr, qualified.c_str(), sid.data(), &sid_size, domain.data(), &domain_size, &use)) {
    const DWORD err = GetLastError();
    return Error{"host_error", "LookupAccountNameW", name, Win32Message(err)};
  }
  if (use != SidTypeUser) return Error{"host_error", "LookupAccountNameW", name, "is not a user account"};
  auto parsed = SidFromBytes(sid.data(), GetLengthSid(sid.data()));
  if (!parsed.ok()) return parsed.error();
  account.sid = *parsed;
  return std::optional<LocalAccount>{account};
}

Result<LocalAccount> CreateSandboxUser(const std::string& name, const std::string& password) {
  std::wstring wide = Wide(name), secret = Wide(password), comment = Wide(kSandboxUserComment);
  USER_INFO_1 info{};
  info.usri1_name = wide.data();
  info.usri1_password = secret.data();
  info.usri1_priv = USER_PRIV_USER;
  info.usri1_comment = comment.data();
  info.usri1_flags = UF_SCRIPT | UF_DONT_EXPIRE_PASSWD | UF_PASSWD_CANT_CHANGE | UF_NORMAL_ACCOUNT;
  DWORD bad_field = 0;
  const NET_API_STATUS status = NetUserAdd(nullptr, 1, reinterpret_cast<BYTE*>(&info), &bad_field);
  SecureZeroMemory(secret.data(), secret.size() * sizeof(wchar_t));
  if (status == NERR_UserExists) return Error{"exists", "NetUserAdd", name, "a local user of that name exists"};
  if (status != NERR_Success) return NetError("NetUserAdd", name, status);
  if (auto h = SetHidden(name, true); !h.ok()) {
    NetUserDel(nullptr, wide.c_str());  // nothing half made
    return h.error();
  }
  auto found = LookupLocalUser(name);
  if (!found.ok() || !*found) {
    NetUserDel(nullptr, wide.c_str());  // nothing half made
    SetHidden(name, false).ok();  // best effort: the error that matters is returned below
    if (!found.ok()) return found.error();
    return Error{"host_error", "NetUserGetInfo", name, "the account just made is not there"};
  }
  return **found;
}

Result<Ok> SetSandboxUserPassword(const std::string& name, const std::string& password) {
  auto found = LookupLocalUser(name);
  if (!found.ok()) return found.error();
  if (!*found || (*found)->comment != kSandboxUserComment) {
    return Error{"not_owned", "", name, "not an account sandboxctl made; its password stays as it is"};
  }
  std::wstring wide = Wide(name), secret = Wide(password);
  USER_INFO_1003 info{secret.data()};
  const NET_API_STATUS status = NetUserSetInfo(nullptr, wide.c_str(), 1003, reinterpret_cast<BYTE*>(&info), nullptr);
  SecureZeroMemory(secret.data(), secret.size() * sizeof(wchar_t));
  if (status != NERR_Success) return NetError("NetUserSetInfo", name, status);
  return Ok{};
}

Result<bool> SandboxUserHidden(const std::string& name) {
  DWORD value = 1, size = sizeof value;
  const LSTATUS rc = RegGetValueW(HKEY_LOCAL_MACHINE, kHiddenUsersKey, Wide(name).c_str(), RRF_RT_REG_DWORD, nullptr,
                                  &value, &size);
  if (rc == ERROR_FILE_NOT_FOUND) return false;
  if (rc != ERROR_SUCCESS) return Error{"host_error", "RegGetValueW", "HKLM\\...\\UserList\\" + name, Win32Message(rc)};
  return value == 0;
}

Result<Ok> HideSandboxUser(const std::string& name) { return SetHidden(name, true); }

Result<Ok> DeleteSandboxUser(const std::string& name) {
  auto found = LookupLocalUser(name);
  if (!found.ok()) return found.error();
  if (*found) {
    if ((*found)->comment != kSandboxUserComment) {
      return Error{"not_owned", "", name, "this account was not made by sandboxctl; remove it yourself if you mean to"};
    }
    // Its profile (C:\Users\<name> and the ProfileList entry), if it ever logged on;
    // first, while the account still names its SID: a run stopped after the account went
    // could no longer find the profile.
    const std::wstring sid = Wide(FormatSid((*found)->sid));
    if (!DeleteProfileW(sid.c_str(), nullptr, nullptr)) {
      const DWORD err = GetLastError();
      if (err != ERROR_FILE_NOT_FOUND && err != ERROR_PATH_NOT_FOUND) {
        return Error{"host_error", "DeleteProfileW", name, Win32Message(err)};
      }
    }
    const NET_API_STATUS status = NetUserDel(nullptr, Wide(name).c_str());
    if (status != NERR_Success && status != NERR_UserNotFound) return NetError("NetUserDel", name, status);
  }
  return SetHidden(name, false);
}

}  // namespace sbx
