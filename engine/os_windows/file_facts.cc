#include "engine/core/file_facts.h"

#include <windows.h>
#include <aclapi.h>

#include <cstring>

namespace sbx {

// The Windows form of a world-writable directory: an allow ACE that lets a group of
// everyone or of every signed-in user add or change entries. (A folder made in C:\ is one:
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
  constexpr WELL_KNOWN_SID_TYPE kOthers[] = {WinWorldSid,       WinAuthenticatedUserSid, WinBuiltinUsersSid,
                                             WinInteractiveSid, WinAnonymousSid,         WinLocalSid,
                                             WinConsoleLogonSid, WinBuiltinGuestsSid};
  constexpr ACCESS_MASK kWrite = FILE_ADD_FILE | FILE_ADD_SUBDIRECTORY | FILE_DELETE_CHILD | WRITE_DAC | WRITE_OWNER |
                                 GENERIC_WRITE | GENERIC_ALL;
  for (DWORD i = 0; !others && dacl && i < dacl->AceCount; ++i) {
    void* ace = nullptr;
    if (!GetAce(dacl, i, &ace)) continue;
    const auto* header = static_cast<const ACE_HEADER*>(ace);
    // A conditional (callback) allow counts as an allow: its condition may hold.
    if ((header->AceType != ACCESS_ALLOWED_ACE_TYPE && header->AceType != ACCESS_ALLOWED_CALLBACK_ACE_TYPE) ||
        (header->AceFlags & INHERIT_ONLY_ACE)) {
      continue;
    }
    auto* allowed = static_cast<ACCESS_ALLOWED_ACE*>(ace);  // the same layout up to the SID
    if (!(allowed->Mask & kWrite)) continue;
    PSID sid = &allowed->SidStart;
    for (auto kind : kOthers) {
      if (IsWellKnownSid(sid, kind)) others = true;
    }
    // Domain Users of any domain: S-1-5-21-a-b-c-513.
    const UCHAR count = *GetSidSubAuthorityCount(sid);
    const SID_IDENTIFIER_AUTHORITY* authority = GetSidIdentifierAuthority(sid);
    const SID_IDENTIFIER_AUTHORITY nt = SECURITY_NT_AUTHORITY;
    if (count == 5 && std::memcmp(authority, &nt, sizeof nt) == 0 && *GetSidSubAuthority(sid, 0) == 21 &&
        *GetSidSubAuthority(sid, 4) == DOMAIN_GROUP_RID_USERS) {
      others = true;
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
