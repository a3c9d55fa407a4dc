// Local accounts of the Windows host: sandbox users made with NetUserAdd, hidden from the
// sign-in screen, found again by name, and removed. Windows only; the tests that make
// real accounts need an administrator on real Windows (label windows-real).
#pragma once

#include <optional>
#include <string>

#include "engine/core/result.h"
#include "engine/os_windows/sid.h"
#include "engine/reconcile/host.h"

namespace sbx {

inline constexpr const char* kSandboxUserComment = "sandboxctl sandbox user";

struct LocalAccount {
  std::string name;
  Sid sid;
  std::string comment;  // sandboxctl's accounts carry kSandboxUserComment
};

// The local user `name`, or nullopt when there is none.
Result<std::optional<LocalAccount>> LookupLocalUser(const std::string& name);

// Makes `name` with `password`: a plain user (no administrator), who cannot change the
// password and whose password does not expire, hidden from the sign-in screen. Fails with
// code "exists" when the name is taken.
Result<LocalAccount> CreateSandboxUser(const std::string& name, const std::string& password);

// Sets a new password (apply does when the stored one cannot be read back).
Result<Ok> SetSandboxUserPassword(const std::string& name, const std::string& password);

// Whether the account is hidden from the sign-in screen, and hiding it (again): a run
// stopped between NetUserAdd and hiding leaves one shown, which apply repairs.
Result<bool> SandboxUserHidden(const std::string& name);
Result<Ok> HideSandboxUser(const std::string& name);

// Removes the account and its entry in the sign-in screen's hidden list. Refuses an
// account sandboxctl did not make (its comment says so).
Result<Ok> DeleteSandboxUser(const std::string& name);

}  // namespace sbx
