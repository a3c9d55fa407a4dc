// Launch records: the root-owned copy of one profile's launch spec for one workspace, as
// apply wrote it, with the identities resolved. sandboxctl-runner reads nothing else to
// decide who a command runs as, where it may write and what it sees: never its caller's
// arguments or environment. Records live in <state-dir>/launch/ (root, group = the runner
// group, 0750), one file per (workspace, profile), mode 0640.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <chrono>
#include <filesystem>
#include <ostream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/result.h"
#include "engine/plan/plan.h"

namespace sbx {

inline constexpr int kLaunchRecordFormat = 1;
inline constexpr const char* kRunnerName = "sandboxctl-runner";
inline constexpr const char* kRunnerConf = "runner.conf";

struct LaunchRecord {
  std::string workspace, profile;
  std::string group;  // the runner group
  gid_t group_gid = 0;
  std::vector<uid_t> users;  // who may use it through the runner (root always may)
  uid_t applied_by = 0;      // the user who ran `sudo sandboxctl apply` (0: root itself)
  std::string user;          // the sandbox user
  uid_t uid = 0;
  gid_t gid = 0;
  // The boot during which apply or restore put this profile's firewall rules in place;
  // empty when the profile has none (online). After a reboot the rules are gone until
  // `sandboxctl restore` runs, and the runner refuses until then.
  std::string firewall_boot_id;
  LaunchSpec spec;
};

// <state-dir>/launch/<hash of workspace and profile>.json
std::filesystem::path LaunchRecordPath(const std::filesystem::path& state_dir, const std::string& workspace,
                                       const std::string& profile);

// Present while an apply or destroy changes the machine (or after one was interrupted):
// exec waits for it to go (WaitWhileChanging), then refuses.
std::filesystem::path LaunchBusyPath(const std::filesystem::path& state_dir);

// Waits while LaunchBusyPath is there, up to `timeout`, saying once on `say` (when given:
// a terminal) that it waits. true: the machine is not (or no longer) being changed.
bool WaitWhileChanging(const std::filesystem::path& state_dir, std::chrono::milliseconds timeout, std::ostream* say);

nlohmann::json LaunchRecordToJson(const LaunchRecord& record);
// Checks every field; the workspace and profile must be the ones asked for.
Result<LaunchRecord> LaunchRecordFromJson(const nlohmann::json& json, const std::string& workspace,
                                          const std::string& profile);

// Reads a file that only root can have written: every directory from / down is a real
// directory owned by root that no one else may write to (or is sticky, like /tmp), and
// the file is a regular root-owned file that no one else may write to. Nothing is
// followed through a symbolic link. Errors name the offending path.
Result<std::string> ReadRootOwnedFile(const std::filesystem::path& path, size_t max_bytes);

// Reads the record the runner may use, with the checks above.
Result<LaunchRecord> ReadLaunchRecord(const std::filesystem::path& state_dir, const std::string& workspace,
                                      const std::string& profile);

// What an exec as root found when it listed a profile's firewall rules: all in place, at
// this ruleset generation, during this boot. While the generation and the boot are the
// same, the rules are too, and the next exec need not list them again (loading
// libnftables and listing the ruleset is most of an exec's start-up). Kept beside the
// launch record as <hash>.checked, root's alone (0600); `rules` is a digest of the rules
// expected, so a profile's new rules are never taken for the ones listed. A mark taken in
// another network namespace, or for another workspace or profile, never matches.
struct FirewallChecked {
  std::string workspace, profile;
  std::string boot_id;
  // The network namespace (its inode in nsfs): the generation counts per namespace.
  uint64_t netns = 0;
  uint32_t generation = 0;
  std::string rules;
  bool operator==(const FirewallChecked&) const = default;
};
std::filesystem::path FirewallCheckedPath(const std::filesystem::path& state_dir, const std::string& workspace,
                                          const std::string& profile);
std::optional<FirewallChecked> ReadFirewallChecked(const std::filesystem::path& path);
std::string FirewallCheckedText(const FirewallChecked& checked);
// The inode of this process's network namespace, 0 if unknown.
uint64_t CurrentNetns();

// This boot's id (/proc/sys/kernel/random/boot_id), empty if unknown.
std::string CurrentBootId();

// The state directory named by <runner-dir>/runner.conf ("state_dir=/var/lib/sandboxctl").
std::string RunnerConfText(const std::filesystem::path& state_dir);
Result<std::filesystem::path> ParseRunnerConf(const std::string& text);

}  // namespace sbx
