// WindowsHost: the Host for Windows. Sandbox users through NetUserAdd (accounts.h) with
// their passwords DPAPI-protected in the state store, capability SIDs made once per
// profile and kept in the registry, sandboxctl's directories made with their DACL in one
// step, NTFS ACEs written through handles with sandboxctl's own inheritance walk
// (ntfs_acl.h), and Windows Firewall rules read back after each write (firewall.h).
//
// Resource types: local_user, capability_sid, directory, ntfs_ace, firewall_rule.
#pragma once

#include <optional>
#include <string>

#include "engine/os_windows/sid.h"
#include "engine/os_windows/state_store.h"
#include "engine/reconcile/host.h"

namespace sbx {

struct WindowsHostConfig {
  // Where the sandbox users' protected passwords go; must outlive the host.
  const StateStore* store = nullptr;
  // Where capability SIDs are kept, by profile name: HKLM (the machine's) or, for tests,
  // HKCU, and the key below it. The generated PowerShell script uses the same key.
  bool machine_hive = true;
  std::string capability_key = "SOFTWARE\\sandboxctl\\CapabilitySids";
};

// The capability SID apply made for `profile`, from where the host keeps them; nullopt
// when there is none. Only a SID of the shape sandboxctl makes is given back.
Result<std::optional<Sid>> ReadCapabilitySid(const WindowsHostConfig& config, const std::string& profile);

// The sandbox user's password as apply stored it in `store`, unprotected; an error naming
// the user when there is none or it cannot be unprotected (only SYSTEM and Administrators
// may read it).
Result<std::string> LoadSandboxPassword(const StateStore& store, const std::string& user);

class WindowsHost : public Host {
 public:
  explicit WindowsHost(WindowsHostConfig config) : config_(std::move(config)) {}
  Result<Observation> Observe(const Resource& resource) override;
  Result<Ok> Ensure(const Resource& resource, const NotePrior& note_prior) override;
  Result<Ok> Remove(const OwnedRecord& record) override;

 private:
  WindowsHostConfig config_;
};

}  // namespace sbx
