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
