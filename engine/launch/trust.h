// Trusted profiles: a workspace's profiles take effect in namespace isolation only once the
// developer has trusted exactly their content, the way `direnv allow` works. The store
// keeps, per workspace, every file that decides a profile's policy (the workspace's own
// profiles and their `extends` parents; built-in and machine profiles are root's and need
// no trust) with its whole content, so a change can be shown, not only noticed. Pure: the
// files are read and the store written by the OS part (cli/trust.cc).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/plan/plan.h"

namespace sbx {

// A file as the plan names it (relative to the workspace, or absolute) -> its content.
using TrustedFiles = std::map<std::string, std::string>;

struct TrustStore {
  std::map<std::string, TrustedFiles> workspaces;  // by absolute workspace path
};

inline constexpr int kTrustStoreVersion = 1;

// nullopt when `text` is not a store of this version (a store that cannot be read trusts
// nothing).
std::optional<TrustStore> ParseTrustStore(std::string_view text);
std::string RenderTrustStore(const TrustStore& store);

// The files that decide `profile`'s policy in `plan`: the profile's own and its parents',
// except built-in ones and those in `machine_dir`. Sorted, without repeats.
std::vector<std::string> PolicyFiles(const Plan& plan, const std::string& profile, const std::string& machine_dir);

// What differs between what was trusted (nullptr: nothing) and what is there now, one
// line a file: "'.sandboxctl/offline.toml' is new", "... changed since you trusted it".
// Empty: trusted.
std::vector<std::string> TrustDifferences(const TrustedFiles* trusted, const TrustedFiles& now);

// The workspace a run in `start` (a workspace found from the current directory) belongs
// to: the nearest trusted workspace at or above it, else `start` itself. A .sandboxctl or
// .git planted below a trusted workspace changes nothing.
std::string TrustedWorkspaceFor(const std::string& start, const TrustStore& store);

}  // namespace sbx
