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

// A writable root that `trust` shows before anything else, and why it matters.
struct RootToReview {
  std::string path;
  std::string why;  // "outside the workspace", or what the place does ("programs you run", ...)
  bool operator==(const RootToReview&) const = default;
};

// The writable roots of `spec` outside `workspace` that no rule accepts. Accepted: the
// run's ${tmp}; a tool cache in `home` (~/.cache, ~/.npm, ~/.cargo/registry, ~/.cargo/git,
// ~/go/pkg/mod, ~/.m2/repository, ~/.gradle/caches); what `root_named` holds (writable roots
// of built-in and machine profiles, which root put there). The rest, each with what the
// place does where it is a known one: `~/bin`, `~/.local/lib/python3*`, `~/.pyenv`,
// `~/.nvm`, `~/.rustup`, `~/.cargo/bin`, `~/go/bin` hold programs the developer runs;
// `~/.vim`, `~/.emacs.d` editor code; `~/.tmux.conf`, `~/.xsessionrc`, `~/.xprofile` run at
// session start; a directory holding or beside the workspace may be another repository.
std::vector<RootToReview> WritableRootsToReview(const LaunchSpec& spec, const std::string& workspace,
                                                const std::string& home, const std::vector<std::string>& root_named);

}  // namespace sbx
