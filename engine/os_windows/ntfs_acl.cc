#include "engine/os_windows/ntfs_acl.h"

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <vector>

#include "engine/os_windows/text.h"

namespace sbx {
namespace {

Error Failed(const char* call, const std::string& path, DWORD code) {
  return Error{code == ERROR_ACCESS_DENIED ? "permission_denied" : "host_error", call, path, Win32Message(code)};
}

// The path itself, never what a reparse point in its place points to.
Result<HANDLE> OpenNoFollow(const std::string& path, DWORD access) {
  HANDLE h = CreateFileW(Wide(path).c_str(), access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                         OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    const DWORD err = GetLastError();
    return Failed("CreateFileW", path, err);
  }
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(h, &info)) {
    const DWORD err = GetLastError();
    CloseHandle(h);
    return Failed("GetFileInformationByHandle", path, err);
  }
  if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
    CloseHandle(h);
    return Error{"host_error", "", path, "is a junction or symbolic link; name the real directory in the profile"};
  }
  // A hard link to a file elsewhere would carry the change there.
  if (!(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) && info.nNumberOfLinks > 1) {
    CloseHandle(h);
    return Error{"host_error", "", path, "has more than one hard link; sandboxctl changes no file that lives elsewhere too"};
  }
  // The last component is no reparse point; nor may any parent be: what was opened must be
  // the path itself, not what a junction above it leads to.
  std::vector<wchar_t> full(32768), final_path(32768);
  const DWORD n = GetFullPathNameW(Wide(path).c_str(), static_cast<DWORD>(full.size()), full.data(), nullptr);
  DWORD m = GetFinalPathNameByHandleW(h, final_path.data(), static_cast<DWORD>(final_path.size()),
                                      FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
  if (n == 0 || n >= full.size() || m == 0 || m >= final_path.size()) {
    const DWORD err = GetLastError();
    CloseHandle(h);
    return Failed("GetFinalPathNameByHandleW", path, err);
  }
  std::wstring opened(final_path.data(), m), wanted(full.data(), n);
  if (opened.rfind(L"\\\\?\\UNC\\", 0) == 0) opened = L"\\\\" + opened.substr(8);
  else if (opened.rfind(L"\\\\?\\", 0) == 0) opened = opened.substr(4);
  while (wanted.size() > 3 && wanted.back() == L'\\') wanted.pop_back();
  if (CompareStringOrdinal(opened.c_str(), static_cast<int>(opened.size()), wanted.c_str(), static_cast<int>(wanted.size()),
                           TRUE) != CSTR_EQUAL) {
    CloseHandle(h);
    return Error{"host_error", "", path, "passes through a junction or symbolic link (it leads to " + Utf8(opened) +
                                             "); name the real directory in the profile"};
  }
  return h;
}

Result<DaclState> ReadFrom(HANDLE h, const std::string& path) {
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  DWORD rc = GetSecurityInfo(h, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr, &dacl, nullptr, &sd);
  if (rc != ERROR_SUCCESS) return Failed("GetSecurityInfo", path, rc);
  DaclState state;
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  if (GetSecurityDescriptorControl(sd, &control, &revision)) state.is_protected = (control & SE_DACL_PROTECTED) != 0;
  if (dacl) {
    auto aces = AclFromBytes(reinterpret_cast<const uint8_t*>(dacl), dacl->AclSize);
    if (!aces.ok()) {
      LocalFree(sd);
      return Error{"host_error", "GetSecurityInfo", path, aces.error().message};
    }
    state.dacl = *aces;
  }
  wchar_t* text = nullptr;
  if (!ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text,
                                                            nullptr)) {
    const DWORD err = GetLastError();
    LocalFree(sd);
    return Failed("ConvertSecurityDescriptorToStringSecurityDescriptorW", path, err);
  }
  state.sddl = Utf8(text);
  LocalFree(text);
  LocalFree(sd);
  return state;
}

}  // namespace

Result<DaclState> ReadDacl(const std::string& path) {
  auto h = OpenNoFollow(path, READ_CONTROL);
  if (!h.ok()) return h.error();
  auto state = ReadFrom(*h, path);
  CloseHandle(*h);
  return state;
}

Result<DaclState> EnsureAces(const std::string& path, const std::vector<Ace>& wanted, bool* changed) {
  *changed = false;
  auto h = OpenNoFollow(path, READ_CONTROL | WRITE_DAC);
  if (!h.ok()) return h.error();
  auto before = ReadFrom(*h, path);
  if (!before.ok()) {
    CloseHandle(*h);
    return before;
  }
  // Only the explicit ACEs are written: Windows adds the inherited ones again itself
  // (and propagates the new inheritable ones to what is inside).
  // (A protected DACL inherits nothing again: there every ACE is kept.)
  std::vector<Ace> explicit_aces;
  for (const Ace& a : before->dacl.value_or(std::vector<Ace>{})) {
    if (before->is_protected || !(a.flags & ntfs::kInherited)) explicit_aces.push_back(a);
  }
  std::vector<Ace> merged = MergeAces(explicit_aces, wanted, changed);
  if (*changed) {
    auto acl_bytes = AclToBytes(merged);
    if (!acl_bytes.ok()) {
      CloseHandle(*h);
      return Error{"host_error", "", path, acl_bytes.error().message};
    }
    std::vector<uint8_t> acl = *acl_bytes;
    const SECURITY_INFORMATION what = DACL_SECURITY_INFORMATION | (before->is_protected ? PROTECTED_DACL_SECURITY_INFORMATION
                                                                                        : UNPROTECTED_DACL_SECURITY_INFORMATION);
    const DWORD rc = SetSecurityInfo(*h, SE_FILE_OBJECT, what, nullptr, nullptr, reinterpret_cast<PACL>(acl.data()), nullptr);
    if (rc != ERROR_SUCCESS) {
      CloseHandle(*h);
      return Failed("SetSecurityInfo", path, rc);
    }
  }
  CloseHandle(*h);
  return before;
}

Result<Ok> RestoreDacl(const std::string& path, const std::string& sddl) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(Wide(sddl).c_str(), SDDL_REVISION_1, &sd, nullptr)) {
    const DWORD err = GetLastError();
    return Failed("ConvertStringSecurityDescriptorToSecurityDescriptorW", path, err);
  }
  BOOL present = FALSE, defaulted = FALSE;
  PACL dacl = nullptr;
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  // A descriptor without a DACL part would write no DACL at all, which grants everyone
  // everything: never that. ("D:NO_ACCESS_CONTROL" is a DACL part.)
  if (!GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted) || !present ||
      !GetSecurityDescriptorControl(sd, &control, &revision)) {
    LocalFree(sd);
    return Error{"invalid_state", "", path, "the recorded DACL '" + sddl + "' has no DACL part"};
  }
  auto h = OpenNoFollow(path, READ_CONTROL | WRITE_DAC);
  if (!h.ok()) {
    LocalFree(sd);
    return h.error();
  }
  const SECURITY_INFORMATION what = DACL_SECURITY_INFORMATION | ((control & SE_DACL_PROTECTED)
                                                                     ? PROTECTED_DACL_SECURITY_INFORMATION
                                                                     : UNPROTECTED_DACL_SECURITY_INFORMATION);
  const DWORD rc = SetSecurityInfo(*h, SE_FILE_OBJECT, what, nullptr, nullptr, present ? dacl : nullptr, nullptr);
  CloseHandle(*h);
  LocalFree(sd);
  if (rc != ERROR_SUCCESS) return Failed("SetSecurityInfo", path, rc);
  return Ok{};
}

}  // namespace sbx
