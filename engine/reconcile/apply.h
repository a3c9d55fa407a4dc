// Executes a ChangeSet step by step. Before each mutating step the intent is written to
// the state (through `save`), after it the outcome, so a run killed at any point leaves a
// state from which the next `apply` converges and `destroy` restores the machine.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "engine/core/result.h"
#include "engine/reconcile/diff.h"
#include "engine/reconcile/host.h"
#include "engine/reconcile/state.h"

namespace sbx {

// Persists the state durably (a real backend: write, fsync, rename).
using SaveState = std::function<Result<Ok>(const State&)>;
// Told about each step as it completes (progress display, audit log).
using StepDone = std::function<void(const Change&)>;

// Applies `changes` (computed for `workspace` from `observed`) through `host`, keeping
// `state` and its saved copy up to date. Stops at the first failure and returns it; what
// was done so far is recorded.
Result<Ok> ApplyChanges(const ChangeSet& changes, const std::string& workspace,
                        const std::map<std::string, Observation>& observed, const Plan& plan, Host& host, State& state,
                        const SaveState& save, const StepDone& done = nullptr);

}  // namespace sbx
