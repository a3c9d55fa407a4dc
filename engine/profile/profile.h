// Profile: the validated content of one TOML profile, merged with what it extends.
// Every value carries the source region it was written at.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/diagnostic.h"
#include "engine/core/net.h"

namespace sbx {

inline constexpr int kProfileVersion = 1;
inline constexpr int kMaxExtendsDepth = 8;
inline constexpr size_t kMaxProfileBytes = size_t{1024} * 1024;
inline constexpr size_t kMaxListEntries = 1024;

template <typename T>
struct Located {
  T value{};
  SourceRegion where;
};

enum class NetworkMode { kOffline, kOnline, kAllowlist };
enum class EnvInherit { kNone, kCore, kAll };
// Which isolation a profile accepts: any (auto may pick namespace), or only user.
enum class IsolationRequirement { kAny, kUser };
std::string_view NetworkModeName(NetworkMode mode);
std::string_view EnvInheritName(EnvInherit inherit);

// Where a profile was found; a bare `extends` name is looked up from the profile's own
// layer downwards, and a profile shadows one of the same name in a lower layer.
enum class Layer { kWorkspace, kMachine, kBuiltin, kFile };
std::string_view LayerName(Layer layer);

// What one file (or one file merged with its parents) says. A scalar that is absent was
// not written; lists keep the order of first appearance.
struct ProfileSettings {
  std::optional<Located<std::string>> description;
  std::optional<Located<IsolationRequirement>> isolation;  // once "user" in a chain, "user" for good
  std::optional<Located<std::string>> user;
  std::vector<Located<std::string>> exec_users;  // may exec it through the runner, besides who applied it
  std::vector<Located<std::string>> writable, read_only, readable, deny_read;
  std::optional<Located<NetworkMode>> network_mode;
  std::optional<Located<bool>> loopback;
  std::optional<Located<bool>> require_namespace;  // offline: no AF_UNIX-only fallback
  std::vector<Located<NetAllowEntry>> net_allow;
  std::optional<Located<EnvInherit>> env_inherit;
  std::vector<Located<std::string>> env_allow, env_deny;
  std::map<std::string, Located<std::string>> env_set;
  std::optional<Located<uint64_t>> timeout_seconds;
  std::optional<Located<uint64_t>> memory_bytes;
  std::optional<Located<uint64_t>> processes;
};

// Parent first, then child: scalars of the child override, lists are unions, and entries
// of deny lists (deny_read, read_only, env.deny) can never be dropped.
ProfileSettings MergeSettings(const ProfileSettings& parent, const ProfileSettings& child);

struct Profile {
  std::string name;          // the file stem
  std::string origin;        // stable: ".sandboxctl/x.toml", "builtin:x.toml", "/etc/sandboxctl/x.toml"
  std::string display_path;  // as shown in diagnostics
  Layer layer = Layer::kWorkspace;
  std::vector<std::string> extends_chain;  // origins of the parents, nearest first
  SourceRegion file_region;                // the file itself (line 1, column 1)
  ProfileSettings settings;                // merged

  std::string UserName() const;  // identity.user, or "sbx-<name>"
  NetworkMode Mode() const;      // default offline
  bool Loopback() const;         // default false
  bool RequireNamespace() const; // default false
  bool RequiresUserIsolation() const;  // isolation = "user"; default any
  EnvInherit Inherit() const;    // default core
};

// Profile names are file stems; they become part of user names, so they are kept short
// and portable.
bool IsValidProfileName(std::string_view name);

}  // namespace sbx
