// Where the state file lives (default /var/lib/sandboxctl): read and written only by
// root, saved atomically (temporary file, fsync, rename, fsync of the directory), and
// guarded by a lock so that concurrent runs are serialised.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "engine/core/result.h"
#include "engine/reconcile/host.h"
#include "engine/reconcile/state.h"

#include <nlohmann/json.hpp>

namespace sbx {

inline constexpr const char* kDefaultStateDir = "/var/lib/sandboxctl";

class StateStore {
 public:
  // Opens the store. With `lock`, takes the exclusive lock, calling `waiting` once if
  // another run holds it, and failing after `timeout`.
  static Result<StateStore> Open(const std::filesystem::path& dir, bool lock, std::chrono::seconds timeout,
                                 const std::function<void()>& waiting);
  StateStore(StateStore&& other) noexcept;
  StateStore& operator=(StateStore&&) = delete;
  ~StateStore();

  // A missing state file is an empty state.
  Result<State> Load() const;
  Result<Ok> Save(const State& state) const;

  // The progress record of background grants (background.json): null when none runs.
  nlohmann::json LoadProgress() const;
  Result<Ok> SaveProgress(const nlohmann::json& progress) const;
  void ClearProgress() const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  StateStore(std::filesystem::path dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}
  std::filesystem::path dir_;
  int lock_fd_ = -1;
};

// A lock of its own for the background worker: at most one runs at a time. Returns the
// held descriptor, -1 when another worker holds it.
Result<int> TryLockBackground(const std::filesystem::path& dir);

// Whether a process with this pid is still running.
bool ProcessAlive(int pid);

}  // namespace sbx
