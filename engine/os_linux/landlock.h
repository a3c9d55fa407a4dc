// Landlock: the process-level write restriction of `exec`. The ruleset is built in the
// parent, before fork; the child only applies it (RestrictSelf), last but one before
// execve (seccomp comes last).
//
// Landlock rules add rights beneath a directory and cannot take them away again below it,
// so a read-only carve-out inside a writable root is not expressed here: in user mode the
// carve-out's ACL entry (r-X for the sandbox user) refuses the write, in namespace mode a
// read-only bind mount does.
#pragma once

#include <string>
#include <vector>

#include "engine/core/result.h"
#include "engine/reconcile/host.h"

namespace sbx {

// The Landlock ABI version of the running kernel; 0 when Landlock is absent or disabled.
int LandlockAbi();

// What `exec` needs of Landlock at least: writes restricted (ABI 1); in namespace mode,
// where the command runs as the invoking user, also signals and abstract unix sockets
// scoped to the sandbox (ABI 6).
inline constexpr int kLandlockAbiForUser = 1;
inline constexpr int kLandlockAbiForNamespace = 6;

struct LandlockPolicy {
  std::vector<std::string> writable;  // directories (or files) the command may change beneath
  bool scope = true;                  // scope signals and abstract unix sockets (ABI 6)
};

// A ruleset descriptor (close-on-exec) for `policy`: every write right is handled, and
// granted only beneath the writable roots and on the usual character devices (/dev/null,
// /dev/tty, the pty of the session...). Paths that do not exist are skipped.
Result<int> PrepareLandlock(const LandlockPolicy& policy, int abi);

// In the child: adds to the ruleset the right to write beneath `dir_fd`, a directory the
// launch made after the ruleset was built (the view's private /tmp and /dev/shm), or with
// `files_only` to the existing files in it (the ptys of a new devpts). The rights are those
// PrepareLandlock handles for `abi`. Async-signal-safe.
int LandlockAllowWrites(int ruleset_fd, int dir_fd, bool files_only, int abi);

// In the child: enforces the ruleset. Async-signal-safe; needs no_new_privs first.
int LandlockRestrictSelf(int ruleset_fd);

}  // namespace sbx
