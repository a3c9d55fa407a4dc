// Plan: what the profiles mean for one machine, as resources with stable ids, lowered
// for a target (linux or windows), plus each profile's launch spec. Pure data; the same
// inputs give byte-identical JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/diagnostic.h"
#include "engine/core/result.h"
#include "engine/profile/paths.h"
#include "engine/profile/profile.h"

namespace sbx {

inline constexpr int kPlanFormat = 1;

enum class Target { kLinux, kWindows };
std::string_view TargetName(Target target);
std::optional<Target> ParseTarget(std::string_view name);
PathStyle StyleFor(Target target);

// Everything a plan depends on besides the profiles: facts passed in as data.
struct Context {
  Target target = Target::kLinux;
  std::string workspace;  // absolute, in the target's path syntax
  std::string user;       // the invoking user (SUDO_USER under sudo)
  std::string home;       // the invoking user's home
  std::string tmp_root;   // parent of the per-profile ${tmp} directories
  std::string nft_table = "sandboxctl";  // Linux: the nftables table sandboxctl owns
  // Linux: the group whose members may run commands as sandbox users through the runner
  // (sandboxctl-runner); empty: no runner and no launch records (tests of other parts).
  std::string runner_group = "sandboxctl";
  // Windows: the drive of paths that start at a root without one (\opt, /opt), which
  // Windows would take relative to whatever drive is current. The plan names it.
  std::string system_drive = "C:";
};
std::string DefaultTmpRoot(Target target);
// The private ${tmp} of one profile in one workspace.
std::string ProfileTmpDir(const Context& context, std::string_view profile);

enum class ResourceKind { kPrincipal, kDirectory, kFileGrant, kNetRule, kLaunch };
std::string_view ResourceKindName(ResourceKind kind);

struct Origin {
  std::string file;  // profile origin, e.g. ".sandboxctl/offline.toml", "builtin:workspace.toml"
  int line = 0;
  std::string ToString() const;
  // The check takes the 0 that the defaulted comparison compares with for a null pointer.
  auto operator<=>(const Origin&) const = default;  // NOLINT(modernize-use-nullptr)
};

struct Resource {
  std::string id;    // stable, unique within the plan
  ResourceKind kind{};
  std::string type;  // lowered type: user, group, local_user, capability_sid, directory,
                     // posix_acl, ntfs_ace, nft_table, nft_chain, nft_rule, firewall_rule
  std::string summary;                 // one line for people
  std::vector<std::string> profiles;   // sorted
  std::vector<Origin> origins;         // sorted
  std::vector<std::string> depends_on; // ids, sorted
  nlohmann::json attributes;           // neutral fields plus the lowered form
};

struct LaunchSpec {
  std::string profile;
  std::string origin;
  std::string user;
  std::vector<std::string> exec_users;  // identity.exec_users, sorted
  std::vector<std::string> writable, read_only, readable, deny_read;
  std::string tmp;
  NetworkMode network = NetworkMode::kOffline;
  bool loopback = false;
  bool require_namespace = false;  // offline: refuse rather than fall back to AF_UNIX only
  bool require_user_isolation = false;  // isolation = "user": exec refuses namespace isolation
  std::vector<std::string> allow;
  EnvInherit env_inherit = EnvInherit::kCore;
  std::vector<std::string> env_core, env_allow, env_deny;
  std::map<std::string, std::string> env_set;
  std::optional<uint64_t> timeout_seconds, memory_bytes, processes;
};

struct ProfileSummary {
  std::string name;
  std::string origin;
  std::string layer;
  std::vector<std::string> extends;  // origins, nearest first
  std::string description;
  std::string user;
  std::string network;
};

struct Plan {
  int format = kPlanFormat;
  Context context;
  std::vector<ProfileSummary> profiles;
  std::vector<Resource> resources;  // sorted by kind, then id
  std::vector<LaunchSpec> launches;  // sorted by profile

  const Resource* Find(std::string_view id) const;
};

struct CompileResult {
  Plan plan;
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return !HasErrors(diagnostics); }
};

// Pure: the plan for `profiles` (already resolved) in `context`.
CompileResult CompilePlan(const std::vector<const Profile*>& profiles, const Context& context);

// Environment variables every profile with inherit = "core" passes through, per target.
const std::vector<std::string>& CoreEnv(Target target);
// Patterns always removed from a sandbox's environment.
const std::vector<std::string>& DefaultEnvDeny();

// JSON, with sorted keys: byte-identical for the same plan.
nlohmann::json PlanToJson(const Plan& plan);
nlohmann::json ResourceToJson(const Resource& resource);
nlohmann::json LaunchSpecToJson(const LaunchSpec& launch);
// The inverse of LaunchSpecToJson, checking every field: the runner reads it back. Paths
// are checked in the syntax of `target`.
Result<LaunchSpec> LaunchSpecFromJson(const nlohmann::json& json, Target target = Target::kLinux);
// The inverse of ResourceToJson; checks every field, since privileged commands read it back.
Result<Resource> ResourceFromJson(const nlohmann::json& json);
// The plan as text for people, rendered from the same data as PlanToJson.
std::string RenderPlanText(const Plan& plan);
// A Windows plan as a PowerShell script that makes what apply makes (render_powershell.cc).
std::string RenderPowerShell(const Plan& plan);

}  // namespace sbx
