#include <windows.h>
#include <aclapi.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "test_util.h"

namespace sbx::testing {

// The C++ library of mingw-w64 makes no symbolic links on Windows: CreateSymbolicLinkW
// does (unprivileged in developer mode, else as an administrator).
void MakeSymlink(const std::filesystem::path& target, const std::filesystem::path& link) {
  if (!CreateSymbolicLinkW(link.c_str(), target.c_str(), SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE)) {
    throw std::runtime_error("CreateSymbolicLinkW(" + link.string() + "): error " + std::to_string(GetLastError()));
  }
}

void MakeWritableByEveryone(const std::filesystem::path& dir) {
  EXPLICIT_ACCESS_W everyone{};
  BuildExplicitAccessWithNameW(&everyone, const_cast<wchar_t*>(L"Everyone"), FILE_GENERIC_WRITE | FILE_ADD_FILE,
                               GRANT_ACCESS, NO_INHERITANCE);
  PACL dacl = nullptr;
  if (SetEntriesInAclW(1, &everyone, nullptr, &dacl) != ERROR_SUCCESS) throw std::runtime_error("SetEntriesInAclW");
  std::wstring path = dir.wstring();
  const DWORD rc = SetNamedSecurityInfoW(path.data(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr,
                                         dacl, nullptr);
  LocalFree(dacl);
  if (rc != ERROR_SUCCESS) throw std::runtime_error("SetNamedSecurityInfoW(" + dir.string() + "): error " + std::to_string(rc));
}

}  // namespace sbx::testing
