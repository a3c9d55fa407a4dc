#include <algorithm>

#include "engine/profile/profile.h"

namespace sbx {

std::string_view NetworkModeName(NetworkMode mode) {
  switch (mode) {
    case NetworkMode::kOffline: return "offline";
    case NetworkMode::kOnline: return "online";
    case NetworkMode::kAllowlist: return "allowlist";
  }
  return "offline";
}

std::string_view EnvInheritName(EnvInherit inherit) {
  switch (inherit) {
    case EnvInherit::kNone: return "none";
    case EnvInherit::kCore: return "core";
    case EnvInherit::kAll: return "all";
  }
  return "core";
}

std::string_view LayerName(Layer layer) {
  switch (layer) {
    case Layer::kWorkspace: return "workspace";
    case Layer::kMachine: return "machine";
    case Layer::kBuiltin: return "builtin";
    case Layer::kFile: return "file";
  }
  return "file";
}

namespace {

template <typename T>
void Override(std::optional<T>& into, const std::optional<T>& child) {
  if (child) into = child;
}

template <typename T>
void Union(std::vector<Located<T>>& into, const std::vector<Located<T>>& child) {
  for (const auto& item : child) {
    bool present = std::any_of(into.begin(), into.end(),
                               [&](const Located<T>& existing) { return existing.value == item.value; });
    if (!present) into.push_back(item);
  }
}

}  // namespace

ProfileSettings MergeSettings(const ProfileSettings& parent, const ProfileSettings& child) {
  ProfileSettings m = parent;
  Override(m.description, child.description);
  Override(m.user, child.user);
  Union(m.exec_users, child.exec_users);
  Union(m.writable, child.writable);
  Union(m.read_only, child.read_only);
  Union(m.readable, child.readable);
  Union(m.deny_read, child.deny_read);
  Override(m.network_mode, child.network_mode);
  Override(m.loopback, child.loopback);
  Override(m.require_namespace, child.require_namespace);
  // A requirement of user isolation is a floor, like the deny lists: no child lifts it.
  if (!(m.isolation && m.isolation->value == IsolationRequirement::kUser)) Override(m.isolation, child.isolation);
  Union(m.net_allow, child.net_allow);
  Override(m.env_inherit, child.env_inherit);
  Union(m.env_allow, child.env_allow);
  Union(m.env_deny, child.env_deny);
  for (const auto& [k, v] : child.env_set) m.env_set[k] = v;
  Override(m.timeout_seconds, child.timeout_seconds);
  Override(m.memory_bytes, child.memory_bytes);
  Override(m.processes, child.processes);
  return m;
}

std::string Profile::UserName() const {
  return settings.user ? settings.user->value : "sbx-" + name;
}

NetworkMode Profile::Mode() const {
  return settings.network_mode ? settings.network_mode->value : NetworkMode::kOffline;
}

bool Profile::Loopback() const { return settings.loopback && settings.loopback->value; }

bool Profile::RequiresUserIsolation() const {
  return settings.isolation && settings.isolation->value == IsolationRequirement::kUser;
}

bool Profile::RequireNamespace() const { return settings.require_namespace && settings.require_namespace->value; }

EnvInherit Profile::Inherit() const {
  return settings.env_inherit ? settings.env_inherit->value : EnvInherit::kCore;
}

bool IsValidProfileName(std::string_view name) {
  if (name.empty() || name.size() > 28) return false;
  if (!(std::islower(static_cast<unsigned char>(name[0])) || std::isdigit(static_cast<unsigned char>(name[0])))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
           c == '-' || c == '_';
  });
}

}  // namespace sbx
