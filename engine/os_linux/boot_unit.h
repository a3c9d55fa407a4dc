// The systemd unit that restores sandboxctl's nftables table at boot (resource type
// boot_unit): sandboxctl-firewall.service runs `sandboxctl restore` from the state file
// before the network comes up, after nftables.service (which flushes the ruleset).
#pragma once

#include <filesystem>
#include <string>

#include "engine/reconcile/host.h"

namespace sbx {

struct BootUnitConfig {
  std::filesystem::path unit_dir = "/etc/systemd/system";
  std::filesystem::path executable;  // this sandboxctl
  std::filesystem::path state_dir;
};

Result<Observation> ObserveBootUnit(const Resource& resource, const BootUnitConfig& config);
Result<Ok> EnsureBootUnit(const Resource& resource, const BootUnitConfig& config);
Result<Ok> RemoveBootUnit(const OwnedRecord& record, const BootUnitConfig& config);

}  // namespace sbx
