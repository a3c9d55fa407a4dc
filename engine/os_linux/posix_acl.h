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
// Walking never follows a symlink: every entry is opened with O_NOFOLLOW relative to its
// parent; access ACLs are read and written through that descriptor, default ACLs of
// directories through /proc/self/fd/N of it.
#pragma once

#include "engine/reconcile/host.h"

namespace sbx {

// `shallow` looks at the grant's own path only, not the tree beneath it.
Result<Observation> ObserveAclGrant(const Resource& resource, bool shallow = false);
Result<Ok> EnsureAclGrant(const Resource& resource);
Result<Ok> RemoveAclGrant(const OwnedRecord& record);

}  // namespace sbx
