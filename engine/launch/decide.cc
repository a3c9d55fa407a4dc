#include "engine/launch/decide.h"

namespace sbx {

std::string_view IsolationName(Isolation isolation) {
  return isolation == Isolation::kUser ? "user" : "namespace";
}

IsolationDecision DecideIsolation(const IsolationFacts& f) {
  IsolationDecision d;
  const std::string name = "profile '" + f.profile + "'";
  if (f.requested == "user" || (f.requested == "auto" && f.applied_here)) {
    d.isolation = Isolation::kUser;
    d.why = name + " is applied for this workspace";
    if (!f.applied_here) {
      d.refusal = name + " is not applied for this workspace; run 'sudo sandboxctl apply' first, or use "
                  "'--isolation namespace'";
    }
    return d;
  }
  d.why = f.requested == "namespace" ? "--isolation namespace"
                                     : name + " is not applied for this workspace" +
                                           (f.as_root ? "" : ", or you are not in group '" + f.runner_group + "'");
  if (f.require_user) {
    d.refusal = name + " runs in user isolation only (isolation = \"user\", " + f.origin + "), and " + d.why +
                "; run 'sudo sandboxctl apply' for this workspace";
    return d;
  }
  // auto never falls back where user isolation is the caller's for an enclosing workspace:
  // a .sandboxctl or .git below it (which a sandbox may have written) would otherwise make
  // the run another workspace's, under another policy.
  if (f.requested == "auto" && f.applied_above) {
    const std::string& above = *f.applied_above;
    d.refusal = "this run's workspace " + f.workspace + " lies inside " + above + ", where " + name + " is applied" +
                (f.as_root ? "" : " for you") + "; a .sandboxctl or .git below it would move the run out of user "
                "isolation. Run from " + above + " with '--workspace " + above + "', remove what made " + f.workspace +
                " a workspace, or ask for '--isolation namespace'";
    return d;
  }
  d.announce = f.requested == "auto";
  return d;
}

}  // namespace sbx
