// POSIX ACL grants (resource type posix_acl): named-user entries on a path or a whole
// tree, in the access and the default ACL, applied and removed so that the tree ends
// exactly as it began.
//
// Ownership: an entry belongs to sandboxctl when its user is a sandbox account (created
// by sandboxctl, comment "sandboxctl sandbox user"), or, for the invoking user's default
// entry, when it was not there before. Removing a grant removes its own entries; a mask
// that no longer guards any named entry goes with them, so no stray "mask::" is left.
// The prior value recorded for a grant lists only the exceptions: files whose mask had
// been narrowed by hand, directories that already had a default ACL, and directories
// where the invoking user's default entry already existed.
//
// Walking never follows a symlink, and a grant's own path may not be or pass through one:
// directories are opened with O_NOFOLLOW relative to their parent; the access ACLs of
// files are read by name relative to that descriptor without following (getxattrat,
// Linux 6.13 on) or, on older kernels, through a descriptor of the file opened the same
// way. A file's ACL is changed only through such a descriptor, read again through it: a
// name may be swapped for another file (one linked from outside the tree) at any time.
// A file with more than one name gets no entry that gives access. Default ACLs of
// directories are read and written through the directory's descriptor.
#pragma once

#include "engine/reconcile/host.h"

namespace sbx {

// `shallow` looks at the grant's own path only, not the tree beneath it.
Result<Observation> ObserveAclGrant(const Resource& resource, bool shallow = false);
Result<Ok> EnsureAclGrant(const Resource& resource, const NotePrior& note_prior);
Result<Ok> RemoveAclGrant(const OwnedRecord& record);

// Tests: whether files are reached by name (getxattrat/setxattrat) where the kernel has
// those calls; false takes the descriptor path of older kernels.
void UseAclCallsByName(bool use);

}  // namespace sbx
