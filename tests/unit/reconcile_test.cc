#include <gtest/gtest.h>

#include <algorithm>

#include "engine/plan/plan.h"
#include "engine/profile/parse.h"
#include "test_util.h"
#include "engine/reconcile/apply.h"
#include "engine/reconcile/diff.h"
#include "engine/reconcile/fake_host.h"
#include "engine/reconcile/state.h"

namespace sbx {
namespace {

Profile Make(const std::string& name, const std::string& text) { return testing::MakeProfile(name, text); }

const char* kOffline = testing::kOfflineProfile;

Plan PlanFor(const std::string& workspace, const std::vector<std::pair<std::string, std::string>>& profiles) {
  std::vector<Profile> owned;
  owned.reserve(profiles.size());
  for (const auto& [name, text] : profiles) owned.push_back(Make(name, text));
  std::vector<const Profile*> pointers;
  pointers.reserve(owned.size());
  for (const auto& p : owned) pointers.push_back(&p);
  CompileResult r = CompilePlan(pointers, Context{Target::kLinux, workspace, "dev", "/home/dev", "/var/tmp/sandboxctl"});
  EXPECT_TRUE(r.ok());
  return r.plan;
}

// A machine plus the state file as saved on disk: a "crash" throws the in-memory state
// away and continues from what was saved.
struct Machine {
  FakeHost host;
  std::string saved = StateToJson(State{});
  int saves = 0;

  State Load() const { return *StateFromJson(saved); }

  Result<Ok> Apply(const Plan& plan, const std::string& workspace, bool all = false, ChangeSet* out = nullptr) {
    State state = Load();
    auto observed = ObserveAll(plan, workspace, state, host, all);
    if (!observed.ok()) return observed.error();
    ChangeSet changes = ComputeChanges(plan, workspace, state, *observed, all);
    if (out) *out = changes;
    return ApplyChanges(changes, workspace, *observed, plan, host, state, [&](const State& s) -> Result<Ok> {
      saved = StateToJson(s);
      ++saves;
      return Ok{};
    });
  }

  ChangeSet Diff(const Plan& plan, const std::string& workspace) {
    State state = Load();
    return ComputeChanges(plan, workspace, state, *ObserveAll(plan, workspace, state, host));
  }
};

const std::string kWs = "/home/dev/src/app";

TEST(Reconcile, AfterApplyAFreshDiffIsEmpty) {
  Machine m;
  Plan plan = PlanFor(kWs, {{"offline", kOffline}});
  ChangeSet first;
  ASSERT_TRUE(m.Apply(plan, kWs, false, &first).ok());
  EXPECT_EQ(first.Count(Action::kCreate), static_cast<int>(plan.resources.size()));
  ChangeSet again = m.Diff(plan, kWs);
  EXPECT_FALSE(again.HasMachineChanges());
  EXPECT_EQ(RenderChangesText(again), "No changes.\n");
}

TEST(Reconcile, SecondApplyMakesNoCallsAndWritesNoState) {
  Machine m;
  Plan plan = PlanFor(kWs, {{"offline", kOffline}});
  ASSERT_TRUE(m.Apply(plan, kWs).ok());
  size_t calls = m.host.calls.size();
  int saves = m.saves;
  ASSERT_TRUE(m.Apply(plan, kWs).ok());
  EXPECT_EQ(m.host.calls.size(), calls);
  EXPECT_EQ(m.saves, saves);
}

TEST(Reconcile, CreatesRunDependenciesFirstAndDeletesDependentsFirst) {
  Machine m;
  Plan plan = PlanFor(kWs, {{"offline", kOffline}});
  ASSERT_TRUE(m.Apply(plan, kWs).ok());
  auto position = [&](const std::string& call) {
    return std::find(m.host.calls.begin(), m.host.calls.end(), call) - m.host.calls.begin();
  };
  EXPECT_LT(position("ensure group:sbx-offline"), position("ensure user:sbx-offline"));
  EXPECT_LT(position("ensure user:sbx-offline"), position("ensure grant:write:sbx-offline:" + kWs));
  EXPECT_LT(position("ensure nft:table"), position("ensure nft:chain"));
  EXPECT_LT(position("ensure nft:chain"), position("ensure nft:sbx-offline:0001-reject-tcp"));
  m.host.calls.clear();
  ASSERT_TRUE(m.Apply(Plan{}, kWs).ok());
  EXPECT_LT(position("remove grant:write:sbx-offline:" + kWs), position("remove user:sbx-offline"));
  EXPECT_LT(position("remove user:sbx-offline"), position("remove group:sbx-offline"));
  EXPECT_LT(position("remove nft:sbx-offline:0001-reject-tcp"), position("remove nft:chain"));
}

TEST(Reconcile, DestroyRestoresWhatWasThereBefore) {
  Machine m;
  Plan plan = PlanFor(kWs, {{"offline", kOffline}});
  // An ACL the workspace already had: the grant changes it, destroy puts it back.
  const std::string grant = "grant:write:sbx-offline:" + kWs;
  m.host.objects[grant] = {{"acl", {"user:alice:r-x"}}};
  const auto before = m.host.objects;
  ASSERT_TRUE(m.Apply(plan, kWs).ok());
  EXPECT_EQ(m.host.objects[grant], plan.Find(grant)->attributes);
  ASSERT_TRUE(m.Apply(Plan{}, kWs).ok());
  EXPECT_EQ(m.host.objects, before);
  EXPECT_TRUE(m.Load().records.empty());
}

TEST(Reconcile, ProfileRemovedFromTheRepositoryIsPruned) {
  Machine m;
  Plan both = PlanFor(kWs, {{"offline", kOffline}, {"online", "version = 1\n[network]\nmode = \"online\"\n"}});
  ASSERT_TRUE(m.Apply(both, kWs).ok());
  EXPECT_TRUE(m.host.objects.count("user:sbx-online"));
  Plan one = PlanFor(kWs, {{"offline", kOffline}});
  ChangeSet prune;
  ASSERT_TRUE(m.Apply(one, kWs, false, &prune).ok());
  EXPECT_EQ(prune.Count(Action::kCreate), 0);
  EXPECT_EQ(prune.Count(Action::kDelete), 3);  // user and group sbx-online, its launch record
  EXPECT_FALSE(m.host.objects.count("user:sbx-online"));
  EXPECT_FALSE(m.Diff(one, kWs).HasMachineChanges());
}

TEST(Reconcile, SharedResourcesStayUntilTheLastWorkspaceLetsGo) {
  Machine m;
  const std::string other = "/home/dev/src/other";
  Plan a = PlanFor(kWs, {{"offline", kOffline}});
  Plan b = PlanFor(other, {{"offline", kOffline}});
  ASSERT_TRUE(m.Apply(a, kWs).ok());
  ChangeSet second;
  ASSERT_TRUE(m.Apply(b, other, false, &second).ok());
  // The user, group and firewall rules already exist: the second workspace only shares them.
  EXPECT_EQ(std::count(second.record_only.begin(), second.record_only.end(), "user:sbx-offline"), 1);
  ASSERT_TRUE(m.Apply(Plan{}, kWs).ok());
  EXPECT_TRUE(m.host.objects.count("user:sbx-offline"));
  EXPECT_FALSE(m.host.objects.count("grant:write:sbx-offline:" + kWs));
  EXPECT_TRUE(m.host.objects.count("grant:write:sbx-offline:" + other));
  ASSERT_TRUE(m.Apply(Plan{}, other).ok());
  EXPECT_TRUE(m.host.objects.empty());
  EXPECT_TRUE(m.Load().records.empty());
}

TEST(Reconcile, DestroyAllRemovesEveryWorkspace) {
  Machine m;
  ASSERT_TRUE(m.Apply(PlanFor(kWs, {{"offline", kOffline}}), kWs).ok());
  ASSERT_TRUE(m.Apply(PlanFor("/srv/other", {{"offline", kOffline}}), "/srv/other").ok());
  ASSERT_TRUE(m.Apply(Plan{}, "", true).ok());
  EXPECT_TRUE(m.host.objects.empty());
  EXPECT_TRUE(m.Load().records.empty());
}

TEST(Reconcile, DriftIsReportedAndRepaired) {
  Machine m;
  Plan plan = PlanFor(kWs, {{"offline", kOffline}});
  ASSERT_TRUE(m.Apply(plan, kWs).ok());
  m.host.objects.erase("user:sbx-offline");
  m.host.objects["nft:sbx-offline:0002-reject-all"] = {{"rule", "flushed"}};
  ChangeSet drift = m.Diff(plan, kWs);
  ASSERT_EQ(drift.changes.size(), 2u);
  EXPECT_EQ(RenderChangesText(drift).find("(missing from the machine (drift))") != std::string::npos, true);
  ASSERT_TRUE(m.Apply(plan, kWs).ok());
  EXPECT_FALSE(m.Diff(plan, kWs).HasMachineChanges());
}

TEST(Reconcile, ObjectsSandboxctlDidNotCreateAreNeverTakenOver) {
  Machine m;
  Plan plan = PlanFor(kWs, {{"offline", kOffline}});
  m.host.objects["user:sbx-offline"] = {{"name", "sbx-offline"}};
  m.host.foreign.insert("user:sbx-offline");
  ChangeSet changes = m.Diff(plan, kWs);
  ASSERT_EQ(changes.conflicts.size(), 1u);
  EXPECT_EQ(changes.conflicts[0], "user:sbx-offline: exists and was not created by sandboxctl");
  for (const auto& c : changes.changes) EXPECT_NE(c.resource.id, "user:sbx-offline");
}

// sandboxctl's temporary directory made first by someone else (a link to elsewhere): the
// conflict is reported, not the failed look at the grants inside it; without the conflict
// the failed look is an error.
TEST(Reconcile, WhatLiesInsideAForeignDirectoryIsNotLookedAtThroughIt) {
  Machine m;
  Plan plan = PlanFor(kWs, {{"offline", kOffline}});
  std::string inside;
  for (const auto& r : plan.resources) {
    if (std::find(r.depends_on.begin(), r.depends_on.end(), "dir:/var/tmp/sandboxctl") != r.depends_on.end() &&
        r.id.rfind("dir:", 0) == 0) {
      inside = r.id;
    }
  }
  ASSERT_FALSE(inside.empty()) << "${tmp} depends on the temporary root";
  m.host.unlookable.insert(inside);
  State state = m.Load();
  EXPECT_FALSE(ObserveAll(plan, kWs, state, m.host).ok());
  m.host.objects["dir:/var/tmp/sandboxctl"] = {{"uid", 1001}};
  m.host.foreign.insert("dir:/var/tmp/sandboxctl");
  ChangeSet changes = m.Diff(plan, kWs);
  ASSERT_EQ(changes.conflicts.size(), 1u);
  EXPECT_EQ(changes.conflicts[0], "dir:/var/tmp/sandboxctl: exists and was not created by sandboxctl");
}

// Crash safety on the fake: fail the k-th mutating call of an apply, for every k; from
// the saved state the next apply converges and destroy restores the machine exactly.
TEST(Reconcile, InterruptedAtAnyStepApplyConvergesAndDestroyRestores) {
  Plan plan = PlanFor(kWs, {{"offline", kOffline}});
  const size_t steps = plan.resources.size();
  for (size_t k = 0; k < steps; ++k) {
    Machine m;
    m.host.objects["grant:write:sbx-offline:" + kWs] = {{"acl", {"user:alice:r-x"}}};
    const auto before = m.host.objects;
    m.host.fail_at = k;
    EXPECT_FALSE(m.Apply(plan, kWs).ok()) << "step " << k;
    m.host.fail_at.reset();
    ASSERT_TRUE(m.Apply(plan, kWs).ok()) << "step " << k;
    EXPECT_FALSE(m.Diff(plan, kWs).HasMachineChanges()) << "step " << k;
    ASSERT_TRUE(m.Apply(Plan{}, kWs).ok()) << "step " << k;
    EXPECT_EQ(m.host.objects, before) << "step " << k;
  }
}

TEST(Reconcile, InterruptedDestroyCanBeRepeated) {
  Plan plan = PlanFor(kWs, {{"offline", kOffline}});
  for (size_t k = 0; k < plan.resources.size(); ++k) {
    Machine m;
    ASSERT_TRUE(m.Apply(plan, kWs).ok());
    m.host.calls.clear();
    m.host.fail_at = k;
    EXPECT_FALSE(m.Apply(Plan{}, kWs).ok()) << "step " << k;
    m.host.fail_at.reset();
    ASSERT_TRUE(m.Apply(Plan{}, kWs).ok()) << "step " << k;
    EXPECT_TRUE(m.host.objects.empty()) << "step " << k;
    EXPECT_TRUE(m.Load().records.empty()) << "step " << k;
  }
}

// A run killed inside a step leaves its intent in the state. What Observe looks at may be
// done while the rest is not (a tree below its root, a stored password the account never
// got), so the next run makes that step again instead of only clearing the intent.
TEST(Reconcile, AStepARunStoppedInsideIsMadeAgain) {
  Plan plan = PlanFor(kWs, {{"offline", kOffline}});
  Machine m;
  ASSERT_TRUE(m.Apply(plan, kWs).ok());
  const std::string id = "grant:write:sbx-offline:" + kWs;
  State state = m.Load();
  state.records.at(id).intent = Intent::kEnsure;
  m.saved = StateToJson(state);
  ChangeSet again = m.Diff(plan, kWs);
  ASSERT_EQ(again.changes.size(), 1u) << RenderChangesText(again);
  EXPECT_EQ(again.changes[0].action, Action::kUpdate);
  EXPECT_EQ(again.changes[0].resource.id, id);
  ASSERT_TRUE(m.Apply(plan, kWs).ok());
  EXPECT_FALSE(m.Diff(plan, kWs).HasMachineChanges());
  EXPECT_EQ(m.Load().records.at(id).intent, Intent::kNone);

  // Stopped inside a removal, with the object itself gone already: Remove runs again,
  // for whatever else it had to take away.
  state = m.Load();
  const std::string user = "user:sbx-offline";
  state.records.at(user).intent = Intent::kRemove;
  m.saved = StateToJson(state);
  m.host.objects.erase(user);
  ChangeSet destroy;
  ASSERT_TRUE(m.Apply(Plan{}, kWs, false, &destroy).ok());
  EXPECT_TRUE(std::any_of(destroy.changes.begin(), destroy.changes.end(),
                          [&](const Change& c) { return c.resource.id == user && c.action == Action::kDelete; }))
      << RenderChangesText(destroy);
  EXPECT_TRUE(m.Load().records.empty());
}

// Killed inside the making of an object before Observe can see it (a file written but not
// yet renamed into place, the directory made for it): destroy still runs Remove, which
// takes away those parts, instead of only dropping the record.
TEST(Reconcile, DestroyRemovesWhatARunStoppedInsideMakingLeftUnseen) {
  Plan plan = PlanFor(kWs, {{"offline", kOffline}});
  Machine m;
  ASSERT_TRUE(m.Apply(plan, kWs).ok());
  const std::string user = "user:sbx-offline";
  State state = m.Load();
  state.records.at(user).intent = Intent::kEnsure;
  m.saved = StateToJson(state);
  m.host.objects.erase(user);
  m.host.calls.clear();
  ChangeSet destroy;
  ASSERT_TRUE(m.Apply(Plan{}, kWs, false, &destroy).ok());
  EXPECT_TRUE(std::any_of(destroy.changes.begin(), destroy.changes.end(),
                          [&](const Change& c) { return c.resource.id == user && c.action == Action::kDelete; }))
      << RenderChangesText(destroy);
  EXPECT_NE(std::find(m.host.calls.begin(), m.host.calls.end(), "remove " + user), m.host.calls.end());
  EXPECT_TRUE(m.Load().records.empty());
}

TEST(ReconcileRender, SummaryLineCountsEachAction) {
  ChangeSet c;
  Resource r;
  r.id = "user:sbx-x";
  r.summary = "system user sbx-x";
  r.origins = {{".sandboxctl/x.toml", 3}};
  c.changes = {{Action::kCreate, r, ""}, {Action::kDelete, r, "no longer in any profile"}};
  EXPECT_EQ(RenderChangesText(c),
            "  + user:sbx-x\n      system user sbx-x  [.sandboxctl/x.toml:3]\n"
            "  - user:sbx-x\n      system user sbx-x  [.sandboxctl/x.toml:3]\n      (no longer in any profile)\n"
            "\nPlan: 1 to add, 0 to change, 1 to destroy.\n");
  auto j = ChangesToJson(c);
  EXPECT_EQ(j["changed"], true);
  EXPECT_EQ(j["summary"], (nlohmann::json{{"add", 1}, {"change", 0}, {"destroy", 1}}));
}

TEST(StateFile, RoundTripsAndRefusesDamage) {
  Machine m;
  ASSERT_TRUE(m.Apply(PlanFor(kWs, {{"offline", kOffline}}), kWs).ok());
  auto state = StateFromJson(m.saved);
  ASSERT_TRUE(state.ok()) << state.error().Render();
  EXPECT_EQ(StateToJson(*state), m.saved);
  EXPECT_FALSE(StateFromJson("").ok());
  EXPECT_FALSE(StateFromJson("{\"format\": 2, \"records\": {}}").ok());
  EXPECT_EQ(StateFromJson("{\"format\": 1, \"records\": {\"x\": {\"resource\": {}, \"workspaces\": [], \"intent\": \"none\"}}}")
                .error()
                .Render(),
            "state file: record 'x': 'id' is missing or not a string");
  std::string renamed = m.saved;
  renamed.replace(renamed.find("\"user:sbx-offline\": {"), 20, "\"user:sbx-intruder\"");
  EXPECT_FALSE(StateFromJson(renamed).ok());
}

}  // namespace
}  // namespace sbx

namespace sbx {
namespace {

TEST(StateFile, PriorValuesMetDuringAWalkMergeWithoutReplacingWhatWasRecorded) {
  nlohmann::json prior;  // a resource created by this apply: nothing recorded yet
  MergePrior(prior, {{"masks", {{"/w/a", "r--"}}}, {"had_default", {"/w/d"}}});
  MergePrior(prior, {{"masks", {{"/w/a", "rw-"}, {"/w/b", "---"}}}, {"had_default", {"/w/c", "/w/d"}},
                     {"entry_existed", nlohmann::json::array()}});
  EXPECT_EQ(prior, nlohmann::json({{"masks", {{"/w/a", "r--"}, {"/w/b", "---"}}},
                                   {"had_default", {"/w/c", "/w/d"}},
                                   {"entry_existed", nlohmann::json::array()}}));
}

}  // namespace
}  // namespace sbx
