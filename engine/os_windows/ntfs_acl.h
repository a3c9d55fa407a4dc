// NTFS DACLs of the Windows host: read a path's DACL, put sandboxctl's ACEs into it (and
// nothing else), and restore the DACL it had before. Every path is opened once and read and
// written through that handle; it is refused when it or a parent is a junction or symbolic
// link (the handle's final path must be the path), and a file with several hard links is
// refused. Windows only; the tests that keep a DACL need real Windows (label windows-real).
//
// Open before this is used by apply: SetSecurityInfo propagates inheritable ACEs to what
// is already inside a directory by name, as the administrator, over a tree the sandbox
// may write; a hard link planted there would receive them. Apply must write the root's
// DACL without propagation and walk the tree itself, handle-relative, skipping reparse
// points and files with several links (as the Linux host does).
#pragma once

#include <string>
#include <vector>

#include "engine/core/result.h"
#include "engine/os_windows/acl_model.h"
#include "engine/reconcile/host.h"

namespace sbx {

struct DaclState {
  Dacl dacl;
  bool is_protected = false;  // SE_DACL_PROTECTED: nothing inherited from the parent
  std::string sddl;           // the whole DACL as SDDL, what destroy puts back
};

Result<DaclState> ReadDacl(const std::string& path);

// Adds each of `wanted` not there yet; `changed` says whether anything was written (a
// converged apply writes nothing). Returns the DACL as it was before.
Result<DaclState> EnsureAces(const std::string& path, const std::vector<Ace>& wanted, bool* changed);

// Puts back a DACL recorded by EnsureAces (its SDDL), protection included.
Result<Ok> RestoreDacl(const std::string& path, const std::string& sddl);

}  // namespace sbx
