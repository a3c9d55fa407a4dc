#include "engine/os_windows/ntfs_acl.h"

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <optional>
#include <utility>
#include <vector>

#include "engine/os_windows/nt_file.h"
#include "engine/os_windows/text.h"

namespace sbx {
namespace {

// Objects done between two calls of a walk's progress.
constexpr size_t kProgressEvery = 256;

// What the walk needs of an object's security descriptor.
struct Security {
  DaclState state;
  Sid owner, group;
};

Result<Security> ReadFrom(HANDLE h, const std::string& path) {
  PACL dacl = nullptr;
  PSID owner = nullptr, group = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  DWORD rc = GetSecurityInfo(h, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION | OWNER_SECURITY_INFORMATION |
                                                    GROUP_SECURITY_INFORMATION,
                             &owner, &group, &dacl, nullptr, &sd);
  if (rc != ERROR_SUCCESS) return Win32Failed("GetSecurityInfo", path, rc);
  Security out;
  DaclState& state = out.state;
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  if (GetSecurityDescriptorControl(sd, &control, &revision)) state.is_protected = (control & SE_DACL_PROTECTED) != 0;
  auto sid_of = [](PSID sid) -> Sid {
    if (sid == nullptr || !IsValidSid(sid)) return Sid{};
    auto parsed = SidFromBytes(static_cast<const uint8_t*>(sid), GetLengthSid(sid));
    return parsed.ok() ? *parsed : Sid{};
  };
  out.owner = sid_of(owner);
  out.group = sid_of(group);
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
    return Win32Failed("ConvertSecurityDescriptorToStringSecurityDescriptorW", path, err);
  }
  state.sddl = Utf8(text);
  LocalFree(text);
  LocalFree(sd);
  return out;
}

// Writes a whole DACL to this object alone. SetKernelObjectSecurity sets the descriptor
// of the object the handle is open on and nothing else: unlike SetSecurityInfo, it neither
// recomputes the object's inherited ACEs from its parent nor propagates anything to what
// a directory holds (that is the walk's job, below), so `aces` must be the whole DACL,
// inherited ACEs included. The protection and auto-inherited bits are the ones given.
Result<Ok> WriteDacl(HANDLE h, const std::string& path, const std::vector<Ace>& aces, bool is_protected) {
  auto acl_bytes = AclToBytes(aces);
  if (!acl_bytes.ok()) return Error{"host_error", "", path, acl_bytes.error().message};
  std::vector<uint8_t> acl = *acl_bytes;
  SECURITY_DESCRIPTOR sd;
  const SECURITY_DESCRIPTOR_CONTROL bits = SE_DACL_AUTO_INHERITED | (is_protected ? SE_DACL_PROTECTED : 0);
  if (!InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION) ||
      !SetSecurityDescriptorDacl(&sd, TRUE, reinterpret_cast<PACL>(acl.data()), FALSE) ||
      !SetSecurityDescriptorControl(&sd, SE_DACL_AUTO_INHERITED | SE_DACL_PROTECTED, bits)) {
    const DWORD err = GetLastError();
    return Win32Failed("InitializeSecurityDescriptor", path, err);
  }
  const SECURITY_INFORMATION what = DACL_SECURITY_INFORMATION | (is_protected ? PROTECTED_DACL_SECURITY_INFORMATION
                                                                              : UNPROTECTED_DACL_SECURITY_INFORMATION);
  if (!SetKernelObjectSecurity(h, what, &sd)) {
    const DWORD err = GetLastError();
    return Win32Failed("SetKernelObjectSecurity", path, err);
  }
  return Ok{};
}

bool PassesOnForeignAce(const std::vector<Ace>& aces) {
  for (const Ace& a : aces) {
    if (!a.other.empty() && (a.flags & (ntfs::kObjectInherit | ntfs::kContainerInherit))) return true;
  }
  return false;
}

Error ForeignAceRefused(const std::string& path) {
  return Error{"host_error", "", path,
               "has an inheritable ACE of a type sandboxctl does not pass on (not allow or deny); "
               "sandboxctl leaves what is inside it alone rather than drop that ACE there"};
}

// How a walk treats what it cannot handle. Ensure and restore walks stop at the first
// failure. A removal walk (`removal`) goes on past each object it cannot change, and
// takes from the objects it otherwise leaves alone (reparse points, files with several
// hard links) every ACE whose trustee is one of `strip`: taking ACEs away only reduces
// access, so it is safe on an object that also lives elsewhere; nothing is added there.
struct WalkMode {
  bool removal = false;
  std::vector<Sid> strip;
  std::vector<Error> failures;  // removal only, in the order met
};

// The trustees of sandboxctl's ACEs being removed.
std::vector<Sid> TrusteesOf(const std::vector<Ace>& owned) {
  std::vector<Sid> out;
  for (const Ace& a : owned) {
    if (a.other.empty() && std::find(out.begin(), out.end(), a.trustee) == out.end()) out.push_back(a.trustee);
  }
  return out;
}

// Deepest a walk goes below its root, as RemoveTree's.
constexpr size_t kMaxDepth = 512;
// Failures a removal walk names in its error (it counts them all).
constexpr size_t kFailuresShown = 3;

std::string Describe(const Error& e) {
  std::string out = e.object.empty() ? std::string() : e.object + ": ";
  if (!e.call.empty()) out += e.call + ": ";
  return out + e.message;
}

// One error for every object a removal walk below `root` could not change.
Error RemovalFailed(const std::string& root, const std::vector<Error>& failures) {
  std::string message = "sandboxctl could not take its ACEs from " + std::to_string(failures.size()) +
                        (failures.size() == 1 ? " object" : " objects") +
                        " in the tree (or from what is below them); fix them and destroy again: ";
  for (size_t i = 0; i < failures.size() && i < kFailuresShown; ++i) {
    if (i > 0) message += "; ";
    message += Describe(failures[i]);
  }
  if (failures.size() > kFailuresShown) message += "; and " + std::to_string(failures.size() - kFailuresShown) + " more";
  return Error{failures.front().code, "", root, message};
}

std::string Child(const std::string& dir, const std::wstring& name) {
  return dir + (!dir.empty() && dir.back() == '\\' ? "" : "\\") + Utf8(name);
}

// A directory the walk is in: its handle, its DACL as it now is (what its entries inherit
// from) and the entries still to do.
struct Level {
  OwnedHandle handle;
  std::string path;
  std::vector<Ace> dacl;
  std::vector<DirectoryEntry> entries;
  size_t next = 0;
};

struct Visited {
  bool gone = false;           // no longer there: not counted
  std::optional<Level> enter;  // a directory to walk next
};

// A removal walk's treatment of an object it does not otherwise change: every ACE whose
// trustee is one of `strip` taken out, explicit or inherited; nothing else changes.
Result<Ok> StripAces(HANDLE h, const std::string& path, const std::vector<Sid>& strip, bool* changed) {
  auto security = ReadFrom(h, path);
  if (!security.ok()) return security.error();
  const DaclState& state = security->state;
  if (!state.dacl) return Ok{};  // no DACL: nothing of sandboxctl's to take away
  std::vector<Ace> kept;
  for (const Ace& a : *state.dacl) {
    const bool ours = a.other.empty() && std::find(strip.begin(), strip.end(), a.trustee) != strip.end();
    if (!ours) kept.push_back(a);
  }
  if (kept == *state.dacl) return Ok{};
  auto written = WriteDacl(h, path, kept, state.is_protected);
  if (!written.ok()) return written.error();
  *changed = true;
  return Ok{};
}

// One entry of `parent`: opened by its name relative to the parent's handle, never
// following a reparse point; left alone when it is a reparse point, a file with several
// hard links or an object with a protected DACL (a removal walk strips the first two,
// StripAces); otherwise its inherited ACEs are made what `parent`'s DACL gives it.
Result<Visited> VisitEntry(const Level& parent, const DirectoryEntry& entry, const WalkMode& mode, bool* changed) {
  const std::string path = Child(parent.path, entry.name);
  const ACCESS_MASK access = READ_CONTROL | WRITE_DAC | FILE_READ_ATTRIBUTES | SYNCHRONIZE |
                             (entry.is_directory() ? FILE_LIST_DIRECTORY : 0);
  auto opened = OpenChild(parent.handle.get(), entry.name, access, path);
  // Gone since the listing (the sandbox may be deleting): nothing to do there.
  if (!opened.ok() && opened.error().code == "not_found") return Visited{true, std::nullopt};
  if (!opened.ok()) return opened.error();
  OwnedHandle h = std::move(*opened);

  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(h.get(), &info)) {
    const DWORD err = GetLastError();
    return Win32Failed("GetFileInformationByHandle", path, err);
  }
  const bool is_directory = (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  // A junction or symbolic link leads out of the tree: neither it nor its target is ours;
  // a file with another name elsewhere may be a file from outside the tree. (Opened with
  // FILE_OPEN_REPARSE_POINT, the handle is on the link itself, not on its target.)
  if ((info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) || (!is_directory && info.nNumberOfLinks > 1)) {
    if (mode.removal) {
      if (auto stripped = StripAces(h.get(), path, mode.strip, changed); !stripped.ok()) return stripped.error();
    }
    return Visited{};
  }
  // Replaced by a directory since the listing: opened without the right to list it.
  if (is_directory && !entry.is_directory()) {
    return Error{"host_error", "", path, "became a directory while sandboxctl walked its parent; apply again"};
  }

  auto security = ReadFrom(h.get(), path);
  if (!security.ok()) return security.error();
  const DaclState& state = security->state;
  if (state.is_protected) return Visited{};  // inherits nothing, so passes nothing of ours on
  const std::vector<Ace> current = state.dacl.value_or(std::vector<Ace>{});
  std::vector<Ace> wanted =
      WithInherited(current, InheritedAces(parent.dacl, is_directory, security->owner, security->group));
  // Refused before writing, except in a removal, where what is written only takes
  // sandboxctl's inherited ACEs away: written, then not entered.
  const bool foreign = is_directory && PassesOnForeignAce(wanted);
  if (foreign && !mode.removal) return ForeignAceRefused(path);
  // An object without a DACL that inherits nothing keeps having none.
  if (state.dacl ? wanted != current : !wanted.empty()) {
    auto written = WriteDacl(h.get(), path, wanted, false);
    if (!written.ok()) return written.error();
    *changed = true;
  }
  if (foreign) return ForeignAceRefused(path);
  if (is_directory) {
    auto entries = ListDirectory(h.get(), path);
    if (!entries.ok()) return entries.error();
    return Visited{false, Level{std::move(h), path, std::move(wanted), std::move(*entries), 0}};
  }
  return Visited{};
}

Result<bool> IsDirectory(HANDLE h, const std::string& path) {
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(h, &info)) {
    const DWORD err = GetLastError();
    return Win32Failed("GetFileInformationByHandle", path, err);
  }
  return (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
}

// Everything below `root` (open, with the right to list it if it is a directory), whose
// DACL is now `root_dacl`: depth first, one open handle per level, so the depth costs
// handles but no stack; at most kMaxDepth levels. A removal walk (`mode`) goes on past
// the objects it cannot change and fails at the end with one error naming them.
Result<Ok> WalkBelow(OwnedHandle root, const std::string& root_path, std::vector<Ace> root_dacl, WalkMode& mode,
                     bool* changed, const TreeProgress& progress) {
  size_t done = 1;  // the root
  auto finish = [&]() -> Result<Ok> {
    if (progress) progress(done);
    if (!mode.failures.empty()) return RemovalFailed(root_path, mode.failures);
    return Ok{};
  };
  auto is_directory = IsDirectory(root.get(), root_path);
  if (!is_directory.ok()) return is_directory.error();
  if (!*is_directory) return finish();
  if (PassesOnForeignAce(root_dacl)) return ForeignAceRefused(root_path);
  auto entries = ListDirectory(root.get(), root_path);
  if (!entries.ok()) return entries.error();
  std::vector<Level> levels;
  levels.push_back(Level{std::move(root), root_path, std::move(root_dacl), std::move(*entries), 0});
  while (!levels.empty()) {
    if (levels.back().next == levels.back().entries.size()) {
      levels.pop_back();  // closes its handle
      continue;
    }
    const DirectoryEntry entry = levels.back().entries[levels.back().next++];
    auto visited = VisitEntry(levels.back(), entry, mode, changed);
    if (!visited.ok() && !mode.removal) return visited.error();
    if (visited.ok() && visited->gone) continue;
    if (++done % kProgressEvery == 0 && progress) progress(done);
    if (!visited.ok()) {
      mode.failures.push_back(visited.error());
      continue;
    }
    if (!visited->enter) continue;
    if (levels.size() >= kMaxDepth) {
      Error deep{"host_error", "", visited->enter->path,
                 "is nested more than " + std::to_string(kMaxDepth) + " levels below " + root_path +
                     "; sandboxctl does not walk deeper"};
      if (!mode.removal) return deep;
      mode.failures.push_back(std::move(deep));
      continue;
    }
    levels.push_back(std::move(*visited->enter));
  }
  return finish();
}

constexpr DWORD kRootAccess = READ_CONTROL | WRITE_DAC | FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES | SYNCHRONIZE;

// The root of EnsureAces(OnTree): sandboxctl's ACEs merged into its DACL, the inherited
// ones kept as they are, written only when one was missing.
// With `tree`, a directory whose ACEs the walk could not pass on is refused before
// anything is written.
Result<DaclState> EnsureRoot(HANDLE h, const std::string& path, const std::vector<Ace>& wanted, bool tree,
                             bool* changed, std::vector<Ace>* now) {
  auto before = ReadFrom(h, path);
  if (!before.ok()) return before.error();
  const DaclState& state = before->state;
  // MergeAces puts each new (explicit) ACE before the inherited ones, so the DACL keeps
  // what the root inherits; a protected DACL keeps every ACE it has too.
  *now = MergeAces(state.dacl.value_or(std::vector<Ace>{}), wanted, changed);
  if (tree && PassesOnForeignAce(*now)) {
    auto is_directory = IsDirectory(h, path);
    if (!is_directory.ok()) return is_directory.error();
    if (*is_directory) return ForeignAceRefused(path);
  }
  if (*changed) {
    auto written = WriteDacl(h, path, *now, state.is_protected);
    if (!written.ok()) return written.error();
  }
  return state;
}

struct RestoreDescriptor {
  PSECURITY_DESCRIPTOR sd = nullptr;
  Dacl dacl;
  bool is_protected = false;
};

// The recorded SDDL as a descriptor to write, refusing one without a DACL part.
Result<RestoreDescriptor> ParseRecorded(const std::string& path, const std::string& sddl) {
  RestoreDescriptor out;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(Wide(sddl).c_str(), SDDL_REVISION_1, &out.sd, nullptr)) {
    const DWORD err = GetLastError();
    return Win32Failed("ConvertStringSecurityDescriptorToSecurityDescriptorW", path, err);
  }
  BOOL present = FALSE, defaulted = FALSE;
  PACL dacl = nullptr;
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  // A descriptor without a DACL part would write no DACL at all, which grants everyone
  // everything: never that. ("D:NO_ACCESS_CONTROL" is a DACL part.)
  if (!GetSecurityDescriptorDacl(out.sd, &present, &dacl, &defaulted) || !present ||
      !GetSecurityDescriptorControl(out.sd, &control, &revision)) {
    LocalFree(out.sd);
    return Error{"invalid_state", "", path, "the recorded DACL '" + sddl + "' has no DACL part"};
  }
  out.is_protected = (control & SE_DACL_PROTECTED) != 0;
  if (dacl) {
    auto aces = AclFromBytes(reinterpret_cast<const uint8_t*>(dacl), dacl->AclSize);
    if (!aces.ok()) {
      LocalFree(out.sd);
      return Error{"invalid_state", "", path, "the recorded DACL '" + sddl + "': " + aces.error().message};
    }
    out.dacl = *aces;
  }
  return out;
}

// Writes the recorded descriptor's DACL, protection and auto-inherited bits as they are
// in it, to this object alone (SetKernelObjectSecurity: see WriteDacl).
Result<Ok> WriteRecorded(HANDLE h, const std::string& path, const RestoreDescriptor& recorded) {
  const SECURITY_INFORMATION what = DACL_SECURITY_INFORMATION | (recorded.is_protected ? PROTECTED_DACL_SECURITY_INFORMATION
                                                                                       : UNPROTECTED_DACL_SECURITY_INFORMATION);
  if (!SetKernelObjectSecurity(h, what, recorded.sd)) {
    const DWORD err = GetLastError();
    return Win32Failed("SetKernelObjectSecurity", path, err);
  }
  return Ok{};
}

}  // namespace

Result<DaclState> ReadDacl(const std::string& path) {
  auto h = OpenPathNoFollow(path, READ_CONTROL);
  if (!h.ok()) return h.error();
  auto security = ReadFrom(h->get(), path);
  if (!security.ok()) return security.error();
  return security->state;
}

Result<DaclState> EnsureAces(const std::string& path, const std::vector<Ace>& wanted, bool* changed) {
  *changed = false;
  auto h = OpenPathNoFollow(path, READ_CONTROL | WRITE_DAC);
  if (!h.ok()) return h.error();
  std::vector<Ace> now;
  return EnsureRoot(h->get(), path, wanted, false, changed, &now);
}

Result<Ok> RestoreDacl(const std::string& path, const std::string& sddl) {
  auto recorded = ParseRecorded(path, sddl);
  if (!recorded.ok()) return recorded.error();
  auto h = OpenPathNoFollow(path, READ_CONTROL | WRITE_DAC);
  if (!h.ok()) {
    LocalFree(recorded->sd);
    return h.error();
  }
  auto written = WriteRecorded(h->get(), path, *recorded);
  LocalFree(recorded->sd);
  return written;
}

Result<DaclState> EnsureAcesOnTree(const std::string& root, const std::vector<Ace>& wanted, bool* changed,
                                   const TreeProgress& progress) {
  *changed = false;
  auto h = OpenPathNoFollow(root, kRootAccess);
  if (!h.ok()) return h.error();
  OwnedHandle owned = std::move(*h);
  std::vector<Ace> now;
  auto before = EnsureRoot(owned.get(), root, wanted, true, changed, &now);
  if (!before.ok()) return before;
  WalkMode fail_fast;
  auto walked = WalkBelow(std::move(owned), root, std::move(now), fail_fast, changed, progress);
  if (!walked.ok()) return walked.error();
  return before;
}

Result<Ok> RemoveAcesOnTree(const std::string& root, const std::vector<Ace>& owned, bool* changed,
                            const TreeProgress& progress) {
  *changed = false;
  auto h = OpenPathNoFollow(root, kRootAccess);
  if (!h.ok()) return h.error();
  OwnedHandle handle = std::move(*h);
  auto before = ReadFrom(handle.get(), root);
  if (!before.ok()) return before.error();
  const DaclState& state = before->state;
  const std::vector<Ace> current = state.dacl.value_or(std::vector<Ace>{});
  std::vector<Ace> now = RemoveAces(current, owned);
  auto is_directory = IsDirectory(handle.get(), root);
  if (!is_directory.ok()) return is_directory.error();
  // Written even when the root passes on a foreign ACE (taking ACEs away only reduces
  // access), but then nothing below it is walked (WalkBelow refuses it).
  if (now != current) {
    auto written = WriteDacl(handle.get(), root, now, state.is_protected);
    if (!written.ok()) return written.error();
    *changed = true;
  }
  WalkMode removal{true, TrusteesOf(owned), {}};
  return WalkBelow(std::move(handle), root, std::move(now), removal, changed, progress);
}

Result<Ok> RestoreDaclOnTree(const std::string& root, const std::string& sddl, const TreeProgress& progress) {
  auto recorded = ParseRecorded(root, sddl);
  if (!recorded.ok()) return recorded.error();
  auto h = OpenPathNoFollow(root, kRootAccess);
  if (!h.ok()) {
    LocalFree(recorded->sd);
    return h.error();
  }
  OwnedHandle owned = std::move(*h);
  auto is_directory = IsDirectory(owned.get(), root);
  if (!is_directory.ok() || (*is_directory && PassesOnForeignAce(recorded->dacl.value_or(std::vector<Ace>{})))) {
    LocalFree(recorded->sd);
    return is_directory.ok() ? Result<Ok>(ForeignAceRefused(root)) : Result<Ok>(is_directory.error());
  }
  auto written = WriteRecorded(owned.get(), root, *recorded);
  LocalFree(recorded->sd);
  if (!written.ok()) return written;
  bool changed = false;
  WalkMode fail_fast;
  return WalkBelow(std::move(owned), root, recorded->dacl.value_or(std::vector<Ace>{}), fail_fast, &changed, progress);
}

}  // namespace sbx
