// The privileges apply and destroy enable for their tree walks. Windows only.
#pragma once

#include "engine/core/result.h"
#include "engine/reconcile/host.h"

namespace sbx {

// Enables SeBackupPrivilege and SeRestorePrivilege in this process's token (an elevated
// administrator holds both, disabled). With them, the handle-relative walks (nt_file.h)
// can read and rewrite the DACL of, or delete, a file a sandbox user made and shut the
// administrator out of; they open every entry relative to its parent and never through a
// reparse point, so the privileges reach nothing outside the tree. Also lets destroy put
// back an owner other than Administrators.
Result<Ok> EnableBackupAndRestorePrivileges();

}  // namespace sbx
