// Trusted profiles (engine/launch/trust.h): the store, the files that decide a policy,
// what changed, and which workspace a run belongs to.
#include <gtest/gtest.h>

#include "engine/launch/trust.h"

namespace sbx {
namespace {

TEST(Trust, TheStoreReadsBackAsItselfAndAnythingElseTrustsNothing) {
  TrustStore store;
  store.workspaces["/home/dev/app"] = {{".sandboxctl/offline.toml", "version = 1\n"}, {"base.toml", "x\"y"}};
  const auto again = ParseTrustStore(RenderTrustStore(store));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->workspaces, store.workspaces);
  for (const char* bad : {"", "[]", R"({"version": 2, "workspaces": {}})", R"({"version": 1})",
                          R"({"version": 1, "workspaces": {"/w": {"files": {"a": 1}}}})"}) {
    EXPECT_FALSE(ParseTrustStore(bad)) << bad;
  }
}

TEST(Trust, PolicyFilesAreTheProfilesAndItsParentsButNotRootsOwn) {
  Plan plan;
  plan.profiles.push_back({"offline", ".sandboxctl/offline.toml", "workspace",
                           {"ci/base.toml", "/etc/sandboxctl/org.toml", "builtin:workspace.toml", "builtin:base.toml"},
                           "", "", ""});
  plan.profiles.push_back({"other", ".sandboxctl/other.toml", "workspace", {}, "", "", ""});
  EXPECT_EQ(PolicyFiles(plan, "offline", "/etc/sandboxctl"),
            (std::vector<std::string>{".sandboxctl/offline.toml", "ci/base.toml"}));
  EXPECT_EQ(PolicyFiles(plan, "missing", "/etc/sandboxctl"), std::vector<std::string>{});
}

TEST(Trust, DifferencesNameEachNewAndChangedFile) {
  const TrustedFiles trusted = {{"a.toml", "1"}, {"b.toml", "2"}, {"gone.toml", "3"}};
  EXPECT_EQ(TrustDifferences(&trusted, {{"a.toml", "1"}, {"b.toml", "2"}}), std::vector<std::string>{});
  EXPECT_EQ(TrustDifferences(&trusted, {{"a.toml", "1"}, {"b.toml", "two"}, {"c.toml", ""}}),
            (std::vector<std::string>{"'b.toml' changed since you trusted it", "'c.toml' is new"}));
  EXPECT_EQ(TrustDifferences(nullptr, {{"a.toml", "1"}}), (std::vector<std::string>{"'a.toml' is new"}));
}

TEST(Trust, ARunBelongsToTheNearestTrustedWorkspaceAboveIt) {
  TrustStore store;
  store.workspaces["/home/dev/app"] = {};
  EXPECT_EQ(TrustedWorkspaceFor("/home/dev/app/src", store), "/home/dev/app") << "a planted src/.sandboxctl changes nothing";
  EXPECT_EQ(TrustedWorkspaceFor("/home/dev/app", store), "/home/dev/app");
  EXPECT_EQ(TrustedWorkspaceFor("/home/dev/other", store), "/home/dev/other");
  EXPECT_EQ(TrustedWorkspaceFor("/home/dev", store), "/home/dev");
}

}  // namespace
}  // namespace sbx

namespace sbx {
namespace {

TEST(Trust, WritableRootsOutsideTheWorkspaceAreAcceptedByRuleOrShownFirst) {
  LaunchSpec l;
  l.tmp = "/tmp/offline-1";
  l.writable = {"/home/dev/app",          "/home/dev/app/build", "/tmp/offline-1",        "/home/dev/.cache/pip",
                "/home/dev/.cargo/registry", "/srv/ci-cache",     "/home/dev/bin",         "/home/dev/.local/lib/python3.11",
                "/home/dev/.vim",        "/home/dev",            "/home/dev/src",         "/home/dev/other",
                "/opt/tool"};
  l.writable.erase(l.writable.begin() + 9);  // the home itself is the compiler's refusal, never here
  const auto review = WritableRootsToReview(l, "/home/dev/src/app", "/home/dev", {"/srv/ci-cache"});
  const std::vector<RootToReview> expected{
      {"/home/dev/app", "outside the workspace"},
      {"/home/dev/app/build", "outside the workspace"},
      {"/home/dev/bin", "programs you run (on PATH)"},
      {"/home/dev/.local/lib/python3.11", "programs you run (Python packages)"},
      {"/home/dev/.vim", "editor code that runs as you"},
      {"/home/dev/src", "holds the workspace and everything beside it (other repositories)"},
      {"/home/dev/other", "outside the workspace"},
      {"/opt/tool", "outside the workspace"},
  };
  EXPECT_EQ(review, expected);
  // Inside the workspace nothing needs a second look; with no home, caches are not known.
  l.writable = {"/home/dev/src/app", "/home/dev/src/app/out"};
  EXPECT_TRUE(WritableRootsToReview(l, "/home/dev/src/app", "/home/dev", {}).empty());
  l.writable = {"/home/dev/.cache/pip"};
  EXPECT_EQ(WritableRootsToReview(l, "/w", "", {}).size(), 1U);
}

}  // namespace
}  // namespace sbx
