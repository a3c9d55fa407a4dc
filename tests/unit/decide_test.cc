// The launcher's choice of isolation (engine/launch/decide.h), every branch.
#include <gtest/gtest.h>

#include "engine/launch/decide.h"

namespace sbx {
namespace {

IsolationFacts Facts(const std::string& requested) {
  IsolationFacts f;
  f.requested = requested;
  f.profile = "offline";
  f.origin = ".sandboxctl/offline.toml";
  f.workspace = "/home/dev/app/src";
  f.runner_group = "sandboxctl";
  return f;
}

TEST(DecideIsolation, AutoIsUserWhereAppliedAndElseNamespaceSayingSo) {
  IsolationFacts f = Facts("auto");
  f.applied_here = true;
  IsolationDecision d = DecideIsolation(f);
  EXPECT_EQ(d.isolation, Isolation::kUser);
  EXPECT_FALSE(d.refusal);
  EXPECT_FALSE(d.announce);
  f.applied_here = false;
  d = DecideIsolation(f);
  EXPECT_EQ(d.isolation, Isolation::kNamespace);
  EXPECT_FALSE(d.refusal);
  EXPECT_TRUE(d.announce);
  EXPECT_EQ(d.why, "profile 'offline' is not applied for this workspace, or you are not in group 'sandboxctl'");
  f.as_root = true;
  EXPECT_EQ(DecideIsolation(f).why, "profile 'offline' is not applied for this workspace");
}

TEST(DecideIsolation, AskingForUserIsolationWhereNothingIsAppliedIsRefused) {
  IsolationDecision d = DecideIsolation(Facts("user"));
  EXPECT_EQ(d.refusal, "profile 'offline' is not applied for this workspace; run 'sudo sandboxctl apply' first, or "
                       "use '--isolation namespace'");
}

TEST(DecideIsolation, AProfileThatRequiresUserIsolationNeverGetsANamespace) {
  for (const char* requested : {"auto", "namespace"}) {
    IsolationFacts f = Facts(requested);
    f.require_user = true;
    const IsolationDecision d = DecideIsolation(f);
    ASSERT_TRUE(d.refusal) << requested;
    EXPECT_NE(d.refusal->find("runs in user isolation only (isolation = \"user\", .sandboxctl/offline.toml)"),
              std::string::npos)
        << *d.refusal;
  }
  IsolationFacts applied = Facts("auto");
  applied.require_user = applied.applied_here = true;
  EXPECT_FALSE(DecideIsolation(applied).refusal);
}

TEST(DecideIsolation, AutoBelowAnAppliedWorkspaceRefusesButNamespaceWhenAskedRuns) {
  IsolationFacts f = Facts("auto");
  f.applied_above = "/home/dev/app";
  const IsolationDecision d = DecideIsolation(f);
  ASSERT_TRUE(d.refusal);
  EXPECT_EQ(d.refusal->rfind("this run's workspace /home/dev/app/src lies inside /home/dev/app, where profile 'offline' "
                             "is applied for you;",
                             0),
            0U)
      << *d.refusal;
  f.requested = "namespace";
  EXPECT_FALSE(DecideIsolation(f).refusal);
  EXPECT_FALSE(DecideIsolation(f).announce) << "asked for: nothing to announce";
}

}  // namespace
}  // namespace sbx
