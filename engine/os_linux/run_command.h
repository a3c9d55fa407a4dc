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

}  // namespace sbx
