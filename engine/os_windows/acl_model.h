// NTFS discretionary ACLs as data, for the Windows host to decide what to write and for
// tests to check what a token could do: ACEs with their inheritance flags, the canonical
// order Windows expects, the access check Windows makes (for a normal and for a
// write-restricted token), merging sandboxctl's ACEs into a DACL without touching the
// others, and SDDL text for display. Pure: built and tested on every platform.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/result.h"
#include "engine/os_windows/sid.h"

namespace sbx {

// Access rights and ACE flags, as in winnt.h.
namespace ntfs {
inline constexpr uint32_t kReadData = 0x0001, kWriteData = 0x0002, kAppendData = 0x0004, kReadEa = 0x0008,
                          kWriteEa = 0x0010, kExecute = 0x0020, kDeleteChild = 0x0040, kReadAttributes = 0x0080,
                          kWriteAttributes = 0x0100, kDelete = 0x10000, kReadControl = 0x20000, kWriteDac = 0x40000,
                          kWriteOwner = 0x80000, kSynchronize = 0x100000;
inline constexpr uint32_t kGenericRead = 0x120089, kGenericWrite = 0x120116, kGenericExecute = 0x1200A0,
                          kFullControl = 0x1F01FF;
// What a write-restricted token checks against its restricting SIDs: the rights
// GENERIC_WRITE maps to for files (FILE_GENERIC_WRITE). DELETE, FILE_DELETE_CHILD,
// WRITE_DAC and WRITE_OWNER are not among them, so a write-restricted token deletes
// wherever its user may: carve-outs therefore deny the user those rights as well as the
// capability.
// (READ_CONTROL and SYNCHRONIZE, also in FILE_GENERIC_WRITE, are left out here: reading
// works under such tokens.) WindowsRestrictedToken.* checks this model against
// AccessCheck on real Windows.
inline constexpr uint32_t kWriteRights = kWriteData | kAppendData | kWriteEa | kWriteAttributes;
// The masks the Windows lowering writes (engine/plan/lower_windows.cc).
inline constexpr uint32_t kReadExecuteMask = 0x001200A9, kModifyMask = 0x001301BF, kDenyWriteMask = 0x00010156,
                          kDenyReadMask = 0x00000029;
// The generic rights (GENERIC_READ, _WRITE, _EXECUTE, _ALL), which an ACE that takes
// effect on a file or directory holds as the rights above (kGenericRead ... kFullControl).
inline constexpr uint32_t kGenericReadBit = 0x80000000u, kGenericWriteBit = 0x40000000u,
                          kGenericExecuteBit = 0x20000000u, kGenericAllBit = 0x10000000u;
inline constexpr uint8_t kObjectInherit = 0x01, kContainerInherit = 0x02, kNoPropagate = 0x04, kInheritOnly = 0x08,
                         kInherited = 0x10;
}  // namespace ntfs

struct Ace {
  bool allow = true;
  uint8_t flags = 0;
  uint32_t mask = 0;
  Sid trustee;
  // An ACE of another type (callback, object, ...) found in a DACL, kept byte for byte so
  // that writing the DACL back changes nothing of it; the access check skips it.
  std::vector<uint8_t> other;
  bool operator==(const Ace&) const = default;
};

// No DACL at all (nullopt) grants everyone everything; an empty one grants nothing.
using Dacl = std::optional<std::vector<Ace>>;

// Explicit deny ACEs first, then explicit allow ACEs, then the inherited ones in the order
// they came: the order the ACL editor and SetEntriesInAcl produce.
std::vector<Ace> CanonicalOrder(std::vector<Ace> aces);
bool IsCanonical(const std::vector<Ace>& aces);

// Whether a token with these SIDs gets all of `desired` on an object with this DACL, by
// the rules of AccessCheck: ACEs in order, inherit-only ones skipped, a deny of any bit
// still wanted refuses. No privileges, no owner rights.
bool AccessGranted(const Dacl& dacl, const std::vector<Sid>& token, uint32_t desired);
// The same for a write-restricted token: the write rights in `desired` must also be
// granted to the restricting SIDs alone.
bool RestrictedAccessGranted(const Dacl& dacl, const std::vector<Sid>& token, const std::vector<Sid>& restricting,
                             uint32_t desired);

// The DACL with `wanted` in place: each ACE not there already is added where the canonical
// order puts it; every other ACE stays as it was. `changed` is false when nothing was
// missing, so an apply that finds its ACEs writes nothing.
std::vector<Ace> MergeAces(const std::vector<Ace>& dacl, const std::vector<Ace>& wanted, bool* changed);
// The DACL without these explicit ACEs (what destroy takes away); inherited ones stay.
std::vector<Ace> RemoveAces(const std::vector<Ace>& dacl, const std::vector<Ace>& owned);

// What a new or existing child inherits from its parent's DACL, by Windows' rules of ACE
// inheritance, in the parent's order:
//   to a file:      each ACE with OBJECT_INHERIT, taking effect (flags: INHERITED only);
//   to a directory: each ACE with CONTAINER_INHERIT, taking effect and keeping OI and CI
//                   (INHERIT_ONLY cleared), or with no inheritance flag left when it has
//                   NO_PROPAGATE; each OBJECT_INHERIT ACE without CONTAINER_INHERIT as
//                   INHERIT_ONLY|OI, to pass on to the files below, unless it has
//                   NO_PROPAGATE (then it does not reach directories at all).
// Every inherited ACE carries INHERITED_ACE. Where an inherited ACE takes effect, generic
// rights become the file rights they stand for and CREATOR OWNER / CREATOR GROUP the
// child's owner / primary group; where it is only passed on they stay as they are, so a
// directory gets two ACEs from an ACE that both takes effect there and passes on and holds
// generic rights or a creator SID: the effective one (mapped) first, then the inherit-only
// one. ACEs of other types (Ace::other) are not passed on: sandboxctl never writes them,
// and the host refuses to walk below a directory whose own ACEs would pass one on.
std::vector<Ace> InheritedAces(const std::vector<Ace>& parent, bool child_is_directory, const Sid& owner,
                               const Sid& group);
// The same where the child's owner and group do not matter: CREATOR OWNER and CREATOR
// GROUP stay what they are in effective ACEs too, where they grant nobody anything.
std::vector<Ace> InheritedAces(const std::vector<Ace>& parent, bool child_is_directory);
// The child's DACL with its inherited part replaced by `inherited`: its explicit ACEs
// (those without INHERITED_ACE) first, in their order, then `inherited` (what Windows
// writes when it propagates).
std::vector<Ace> WithInherited(const std::vector<Ace>& child, const std::vector<Ace>& inherited);

// The binary ACL of the Windows API (ACL header, then each ACE: type, flags, size, mask,
// SID, padded to 4 bytes) and back. Reading checks every size against the buffer.
Result<std::vector<Ace>> AclFromBytes(const uint8_t* data, size_t size);
// Revision 4 when a foreign ACE needs it (object ACEs, types 5 to 8); fails beyond the
// 64 KiB an ACL can hold.
Result<std::vector<uint8_t>> AclToBytes(const std::vector<Ace>& aces);

// "D:(A;OICI;0x1301bf;;;S-1-5-21-...)"; "D:NO_ACCESS_CONTROL" without a DACL.
std::string DaclToSddl(const Dacl& dacl);

// The ACEs of a plan's ntfs_ace resource (attributes "aces": trustee, trustee_kind,
// type, mask, inheritance), with each trustee's SID from `sid_of` (a user's from the
// account database, a capability's from the state). Every field is checked: the
// privileged side reads plans back.
Result<std::vector<Ace>> AcesOfResource(const nlohmann::json& attributes,
                                        const std::function<Result<Sid>(const std::string& trustee,
                                                                        const std::string& kind)>& sid_of);

}  // namespace sbx
