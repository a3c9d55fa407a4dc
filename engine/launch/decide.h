// Which isolation a run gets, or why it gets none: the launcher's decision, from what was
// asked and what the machine was found to hold. Pure, so every branch is a unit test; the
// OS part (cli/cmd_exec.cc, the runner) observes the facts and carries the decision out.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sbx {

enum class Isolation { kUser, kNamespace };
std::string_view IsolationName(Isolation isolation);

struct IsolationFacts {
  std::string requested = "auto";  // --isolation: auto, user or namespace
  std::string profile, origin;     // the profile's name and where it is written
  std::string workspace;           // this run's
  bool as_root = false;            // root decides from its state file; others from launch records
  std::string runner_group;        // for the message to a user who is not in it
  bool require_user = false;       // the profile says isolation = "user"
  bool applied_here = false;       // the profile is applied for this workspace (and, not as root, this user)
  std::optional<std::string> applied_above;  // an enclosing workspace where it is applied
};

struct IsolationDecision {
  Isolation isolation = Isolation::kNamespace;
  std::string why;                 // "profile 'x' is applied for this workspace", ...
  bool announce = false;           // auto picked namespace isolation: say so (unless --quiet)
  std::optional<std::string> refusal;  // set: nothing runs (exit 125), and this says why and what to do
};

IsolationDecision DecideIsolation(const IsolationFacts& f);

}  // namespace sbx
