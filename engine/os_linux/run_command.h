// Runs a system tool (useradd, groupadd, ...) with an exact argument vector, no shell,
// a minimal environment, and its error output captured for the message.
#pragma once

#include <string>
#include <vector>

#include "engine/core/result.h"
#include "engine/reconcile/host.h"

namespace sbx {

// argv[0] is looked up in /usr/sbin, /usr/bin, /sbin, /bin only. Fails with
// "<tool> exited with status N: <its stderr>".
Result<Ok> RunCommand(const std::vector<std::string>& argv);

// Starts `argv` (argv[0] an absolute path) detached from this process: its own session,
// standard streams on /dev/null, no inherited descriptors. Returns its pid.
Result<int> SpawnDetached(const std::vector<std::string>& argv);

}  // namespace sbx
