#include "engine/core/file_facts.h"

#include <windows.h>
#include <aclapi.h>

namespace sbx {

// The Windows form of a world-writable directory. (A folder made in C:\ is one:
// Authenticated Users may modify it.) No DACL at all grants everyone everything; a DACL
// that cannot be read counts as one that lets others write.
bool OthersMayWrite(const std::filesystem::path& dir) {
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (GetNamedSecurityInfoW(dir.c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr, &dacl, nullptr,
                            &sd) != ERROR_SUCCESS) {
    return true;
  }
  bool others = dacl == nullptr;
  constexpr WELL_KNOWN_SID_TYPE kOthers[] = {WinWorldSid, WinAuthenticatedUserSid, WinBuiltinUsersSid,
                                             WinInteractiveSid, WinAnonymousSid};
  constexpr ACCESS_MASK kWrite = FILE_ADD_FILE | FILE_ADD_SUBDIRECTORY | FILE_DELETE_CHILD | WRITE_DAC | WRITE_OWNER |
                                 GENERIC_WRITE | GENERIC_ALL;
  for (DWORD i = 0; !others && dacl && i < dacl->AceCount; ++i) {
    void* ace = nullptr;
    if (!GetAce(dacl, i, &ace)) continue;
    const auto* header = static_cast<const ACE_HEADER*>(ace);
    if (header->AceType != ACCESS_ALLOWED_ACE_TYPE || (header->AceFlags & INHERIT_ONLY_ACE)) continue;
    auto* allowed = static_cast<ACCESS_ALLOWED_ACE*>(ace);
    if (!(allowed->Mask & kWrite)) continue;
    for (auto kind : kOthers) {
      if (IsWellKnownSid(&allowed->SidStart, kind)) others = true;
    }
  }
  LocalFree(sd);
  return others;
}

// Attributes that cannot be read count as a link: the profile is refused.
bool IsLink(const std::filesystem::path& path) {
  const DWORD attributes = GetFileAttributesW(path.c_str());
  return attributes == INVALID_FILE_ATTRIBUTES || (attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0;
}

}  // namespace sbx
