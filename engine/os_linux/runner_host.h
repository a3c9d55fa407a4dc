// What lets a user who is not root run commands as a sandbox user (resource types
// group_member, runner, launch_record):
//  * group_member: the invoking user in the runner group (gpasswd, which locks
//    /etc/group and /etc/gshadow); membership is the permission to use the sandbox.
//  * runner: sandboxctl-runner copied into the runner directory, owner root, group the
//    runner group, mode 0750, file capabilities cap_setuid and cap_setgid (not setuid
//    root), and runner.conf beside it naming the state directory.
//  * launch_record: <state-dir>/launch/<key>.json (launch_record.h), the launch spec the
//    runner trusts, with the uids resolved and the boot the firewall rules were made in.
#pragma once

#include <filesystem>

#include "engine/reconcile/host.h"

namespace sbx {

struct RunnerConfig {
  std::filesystem::path dir = "/usr/local/libexec/sandboxctl";  // where the runner goes
  std::filesystem::path source;     // the runner built with this sandboxctl
  std::filesystem::path state_dir;  // named in runner.conf; holds the launch records
};

Result<Observation> ObserveGroupMember(const Resource& resource);
Result<Ok> EnsureGroupMember(const Resource& resource);
Result<Ok> RemoveGroupMember(const OwnedRecord& record);

Result<Observation> ObserveRunner(const Resource& resource, const RunnerConfig& config);
Result<Ok> EnsureRunner(const Resource& resource, const RunnerConfig& config);
Result<Ok> RemoveRunner(const OwnedRecord& record, const RunnerConfig& config);

Result<Observation> ObserveLaunchRecord(const Resource& resource, const RunnerConfig& config);
Result<Ok> EnsureLaunchRecord(const Resource& resource, const RunnerConfig& config);
Result<Ok> RemoveLaunchRecord(const OwnedRecord& record, const RunnerConfig& config);

}  // namespace sbx
