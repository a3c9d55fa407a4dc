// Where the Windows host keeps its state (default %ProgramData%\sandboxctl): the same
// interface as the Linux store. The directory is made with a protected DACL that admits
// only SYSTEM and Administrators, and an existing one is refused unless it is owned by
// one of them and no one else may write it. The state file is saved atomically (temporary
// file written through, flushed, then renamed over the old one through its handle with
// POSIX semantics, so a reader holding the old one open does not stop it; MoveFileExW
// where Windows cannot), and concurrent runs are serialised by LockFileEx on a lock file. The sandbox users'
// passwords are kept there too, DPAPI-protected, one file per user. Windows only.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/core/result.h"
#include "engine/os_windows/acl_model.h"
#include "engine/os_windows/sid.h"
#include "engine/reconcile/host.h"
#include "engine/reconcile/state.h"

namespace sbx {

// The ProgramData known folder (SHGetKnownFolderPath) with sandboxctl below it;
// C:\ProgramData\sandboxctl when the shell cannot say. Not %ProgramData%: the environment
// of an elevated run is whatever its caller made it.
std::filesystem::path DefaultStateDir();

// Who may own and change the store: SYSTEM and Administrators. (Wine shows every file as
// owned by, and writable for, the user running it; the tests that run there add that
// user. sandboxctl itself always uses this default.)
inline std::vector<Sid> DefaultStoreTrustees() { return {LocalSystemSid(), AdministratorsSid()}; }

// What a checked object of the store is: its state (which others may read but not change)
// or its secrets (which others may neither read nor change), a directory or a file in it;
// or a program an administrator's sandboxctl starts (the runner) and its directory, which
// others may read but not change either.
enum class StoreItem { kStateDir, kSecretsDir, kStateFile, kSecretFile, kProgramDir, kProgram };

// Whether an object of the store with this owner and DACL is safe to trust: owned by one
// of `trusted`, and no one else may write it, delete or rename it, change its DACL or
// owner, or (a directory) add to it or delete what is in it, or (a directory) write the
// files that will be made in it and inherit its ACEs; for secrets, no one else may read
// them either. "No one else" is a token of each well-known group every user holds
// (Everyone, Authenticated Users, BUILTIN\Users, INTERACTIVE, LOCAL), alone and with each
// other trustee the DACL names (CREATOR GROUP among them: unlike CREATOR OWNER and OWNER
// RIGHTS it does not stand for the trusted owner), checked by the model's AccessGranted.
// A DACL holding an ACE of another type than plain allow or deny (Ace::other: a
// conditional ACE, an object ACE) is refused: Windows evaluates it, the model cannot.
// Pure: the Win32 side reads the owner and DACL through a handle and calls this. The
// error (code "untrusted_state") names `path` and what is wrong:
//   C:\ProgramData\sandboxctl: BUILTIN\Users may write this state directory; only SYSTEM
//   and Administrators may
Result<Ok> CheckStoreSecurity(const std::string& path, StoreItem item, const Sid& owner, const Dacl& dacl,
                              const std::vector<Sid>& trusted = DefaultStoreTrustees());

// The object open at `handle` (a HANDLE with READ_CONTROL and FILE_READ_ATTRIBUTES) is
// what `item` says it is, a real directory or a plain file and never a junction or
// symbolic link, and its owner and DACL pass CheckStoreSecurity; `path` names it.
Result<Ok> CheckOpenedSecurity(void* handle, const std::filesystem::path& path, StoreItem item,
                               const std::vector<Sid>& trusted);

class StateStore {
 public:
  // Opens the store. With `lock`, makes the directory when it is missing (its last
  // component only: the parent must exist) and takes the exclusive lock, calling `waiting`
  // once if another run holds it, and failing after `timeout`. Without `lock`, a missing
  // directory is an empty store and nothing is made. An existing directory is refused
  // when it is a junction or symbolic link or fails CheckStoreSecurity.
  static Result<StateStore> Open(const std::filesystem::path& dir, bool lock, std::chrono::seconds timeout,
                                 const std::function<void()>& waiting,
                                 const std::vector<Sid>& trusted = DefaultStoreTrustees());
  StateStore(StateStore&& other) noexcept;
  StateStore& operator=(StateStore&&) = delete;
  ~StateStore();

  // A missing state file is an empty state; a damaged one is an error naming the file.
  Result<State> Load() const;
  // Needs the lock.
  Result<Ok> Save(const State& state) const;

  // The progress record of background grants (background.json): null when none runs.
  nlohmann::json LoadProgress() const;
  Result<Ok> SaveProgress(const nlohmann::json& progress) const;
  void ClearProgress() const;

  // A sandbox user's protected password (secrets\<user>.bin), saved atomically;
  // LoadSecret gives nullopt when there is none, RemoveSecret succeeds when there is
  // none. `user` must be a valid account name (1 to 20 letters, digits, '-', '_', '.',
  // not only dots, no device name such as CON); anything else is refused with code
  // "invalid_name". The secrets directory is made like the store's, on the first
  // SaveSecret; saving and removing need the lock.
  Result<Ok> SaveSecret(const std::string& user, const std::vector<uint8_t>& blob) const;
  Result<std::optional<std::vector<uint8_t>>> LoadSecret(const std::string& user) const;
  Result<Ok> RemoveSecret(const std::string& user) const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  StateStore(std::filesystem::path dir, void* lock, std::vector<Sid> trusted)
      : dir_(std::move(dir)), lock_(lock), trusted_(std::move(trusted)) {}
  std::filesystem::path dir_;
  void* lock_ = nullptr;  // the HANDLE of the lock file, held while open with `lock`
  std::vector<Sid> trusted_;
};

}  // namespace sbx
