// The Linux side of the machine commands: what exec and restore need besides machine.h.
#pragma once

#include "cli/machine.h"
#include "engine/os_linux/linux_host.h"

namespace sbx::cli {

// The Linux host, with the boot unit pointing at this executable and state directory.
BootUnitConfig BootConfig(const MachineOptions& m);
// Where the runner goes, the one built with this executable, and the state directory.
RunnerConfig RunnerSetup(const MachineOptions& m);

}  // namespace sbx::cli
