// NTFS DACLs of the Windows host: read a path's DACL, put sandboxctl's ACEs into it (and
// nothing else), and restore the DACL it had before. Every path is opened once and read and
// written through that handle (OpenPathNoFollow): it is refused when it or a parent is a
// junction or symbolic link (the handle's final path must be the path), and a file with
// several hard links is refused. Windows only; the tests that keep a DACL need real Windows (label windows-real).
//
// Nothing here lets Windows propagate inheritable ACEs: SetSecurityInfo would pass them to
// everything already inside a directory by name, as the administrator, over a tree the
// sandbox may write, so a hard link or junction planted there would receive them. Every
// DACL is written with SetKernelObjectSecurity, to the one object its handle is open on.
// EnsureAces and RestoreDacl therefore change the object itself and nothing inside it (on
// a directory, what is inside keeps the inherited ACEs it has); EnsureAcesOnTree and
// RestoreDaclOnTree walk the tree themselves and guarantee:
//   * every object is opened by its name relative to its parent directory's handle, never
//     through a path, and never through a reparse point (FILE_OPEN_REPARSE_POINT);
//   * a junction, symbolic link or other reparse point is neither changed nor entered, a
//     file with more than one hard link is not changed, and an object with a protected
//     DACL is neither changed nor entered (it inherits nothing): so nothing outside the
//     tree is reached, and those objects do not get sandboxctl's ACEs;
//   * every other object gets, after its explicit ACEs, exactly what it inherits from its
//     parent's DACL as now written (InheritedAces), and is written only when that differs;
//   * errors name the call and the full path of the object; objects that vanish while the
//     walk runs are passed over; the walk goes at most 512 levels below the root.
// EnsureAcesOnTree and RestoreDaclOnTree stop at the first object they cannot handle.
// RemoveAcesOnTree does not: the sandbox may plant objects it cannot change (a file whose
// DACL keeps the administrator out, an inheritable ACE of another type, an entry swapped
// for a directory after the listing), so it goes on past each and fails at the end with
// one error that counts them and names the first few. It also takes from the reparse
// points and files with several hard links it otherwise leaves alone every ACE, explicit
// or inherited, whose trustee is the trustee of one of the ACEs removed: taking ACEs away
// only reduces access, so that is safe on an object that lives elsewhere too; nothing is
// added to them.
#pragma once

#include <functional>
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

// Adds each of `wanted` not there yet to this object's DACL, its inherited ACEs kept as
// they are; `changed` says whether anything was written (a converged apply writes
// nothing). Returns the DACL as it was before. For a file, or a directory nothing
// inside of which should inherit: use EnsureAcesOnTree for a directory tree.
Result<DaclState> EnsureAces(const std::string& path, const std::vector<Ace>& wanted, bool* changed);

// Puts back a DACL recorded by EnsureAces (its SDDL), protection included, on this object
// alone.
Result<Ok> RestoreDacl(const std::string& path, const std::string& sddl);

// Called with the number of objects done so far while a tree is walked (the root and every
// object below it the walk reached, those left alone included): every 256 and at the end.
using TreeProgress = std::function<void(size_t done)>;

// EnsureAces for a directory tree: the root's DACL is written without Windows' own
// propagation (SetKernelObjectSecurity), then the inherited ACEs of everything below are
// recomputed from their parent (InheritedAces) by a walk that opens each entry relative
// to its parent's handle (NtCreateFile with RootDirectory, FILE_OPEN_REPARSE_POINT). The
// walk does not enter or change reparse points, files with several hard links, or
// objects with a protected DACL (they inherit nothing); an object whose DACL already is
// what it would write is not written. `changed` says whether anything was written, the
// root or below. Returns the root's DACL as it was before. A directory holding an
// inheritable ACE of a type sandboxctl does not pass on is refused before anything is
// written (InheritedAces would drop it below).
Result<DaclState> EnsureAcesOnTree(const std::string& root, const std::vector<Ace>& wanted, bool* changed,
                                   const TreeProgress& progress);

// RestoreDacl for a tree: the root gets `sddl` back (a descriptor without a DACL part is
// refused), then the same walk recomputes the inherited ACEs below it, so nothing
// sandboxctl's ACEs passed down is left.
Result<Ok> RestoreDaclOnTree(const std::string& root, const std::string& sddl, const TreeProgress& progress);

// Takes exactly these explicit ACEs out of the root's DACL (RemoveAces), written and
// passed down like EnsureAcesOnTree; every other ACE stays, another grant's on the same
// path included. Reparse points and files with several hard links below lose every ACE
// whose trustee is one of `owned`'s. Goes on past the objects it cannot change and then
// fails naming how many and the first few (see above); the root is written even when it
// passes on an ACE of another type, and then nothing below it is walked. `changed` says
// whether anything was written, the root or below.
Result<Ok> RemoveAcesOnTree(const std::string& root, const std::vector<Ace>& owned, bool* changed,
                            const TreeProgress& progress);

}  // namespace sbx
