#include "engine/profile/catalog.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace sbx {
namespace {

using testing::TempTree;

struct Loaded {
  Catalog catalog;
  std::vector<std::string> messages;
};

Loaded Load(const TempTree& t, bool with_builtin = true) {
  CatalogOptions o;
  o.workspace = t.root() / "ws";
  if (with_builtin) o.builtin_dir = t.root() / "builtin";
  o.cwd = t.root() / "ws";
  Loaded l{Catalog::Load(o), {}};
  for (const auto& d : l.catalog.diagnostics()) l.messages.push_back(d.region.ToString() + ": " + d.message);
  return l;
}

TEST(Catalog, WorkspaceProfileShadowsBuiltinAndCanExtendIt) {
  TempTree t;
  t.Write("builtin/offline.toml", "version = 1\n[network]\nmode = \"offline\"\n[filesystem]\ndeny_read = [\"/secret\"]\n");
  t.Write("ws/.sandboxctl/offline.toml", "version = 1\nextends = \"offline\"\n[filesystem]\nwritable = [\"/srv/a\"]\n");
  auto l = Load(t);
  ASSERT_TRUE(l.messages.empty()) << l.messages.front();
  const Profile* p = l.catalog.Find("offline");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->origin, ".sandboxctl/offline.toml");
  EXPECT_EQ(p->extends_chain, (std::vector<std::string>{"builtin:offline.toml"}));
  ASSERT_EQ(p->settings.deny_read.size(), 1u);
  EXPECT_EQ(p->settings.deny_read[0].where.origin, "builtin:offline.toml");
  EXPECT_EQ(p->settings.writable[0].value, "/srv/a");
}

TEST(Catalog, ChildOverridesScalarsAndKeepsParentDenyLists) {
  TempTree t;
  t.Write("ws/.sandboxctl/base.toml",
          "version = 1\n[network]\nmode = \"offline\"\nloopback = true\n[filesystem]\ndeny_read = [\"/a\"]\n"
          "read_only = [\"/w/.git\"]\n[env]\ndeny = [\"X_*\"]\nset = { A = \"1\", B = \"2\" }\n");
  t.Write("ws/.sandboxctl/child.toml",
          "version = 1\nextends = \"base\"\n[network]\nmode = \"online\"\n[filesystem]\ndeny_read = [\"/b\"]\n"
          "[env]\nset = { B = \"3\" }\n");
  auto l = Load(t);
  ASSERT_TRUE(l.messages.empty()) << l.messages.front();
  const Profile* p = l.catalog.Find("child");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->Mode(), NetworkMode::kOnline);
  EXPECT_TRUE(p->Loopback());  // not overridden, so inherited
  ASSERT_EQ(p->settings.deny_read.size(), 2u);
  EXPECT_EQ(p->settings.deny_read[0].value, "/a");
  EXPECT_EQ(p->settings.deny_read[1].value, "/b");
  EXPECT_EQ(p->settings.read_only.size(), 1u);
  EXPECT_EQ(p->settings.env_deny[0].value, "X_*");
  EXPECT_EQ(p->settings.env_set.at("A").value, "1");
  EXPECT_EQ(p->settings.env_set.at("B").value, "3");
  EXPECT_EQ(p->UserName(), "sbx-child");  // the default user is never inherited
}

TEST(Catalog, RelativeExtendsIsResolvedFromTheProfileDirectory) {
  TempTree t;
  t.Write("ws/shared/base.toml", "version = 1\ndescription = \"shared\"\n");
  t.Write("ws/.sandboxctl/app.toml", "version = 1\nextends = \"../shared/base.toml\"\n");
  auto l = Load(t);
  ASSERT_TRUE(l.messages.empty()) << l.messages.front();
  EXPECT_EQ(l.catalog.Find("app")->settings.description->value, "shared");
  EXPECT_EQ(l.catalog.Find("app")->extends_chain, (std::vector<std::string>{"shared/base.toml"}));
}

TEST(Catalog, ParentReadByPathIsNotAProfileOfItsOwn) {
  TempTree t;
  t.Write("ws/lib/common.toml", "version = 1\n");
  t.Write("ws/.sandboxctl/app.toml", "version = 1\nextends = \"../lib/common.toml\"\n");
  auto l = Load(t, false);
  ASSERT_TRUE(l.messages.empty()) << l.messages.front();
  EXPECT_EQ(l.catalog.Find("common"), nullptr);
  EXPECT_EQ(l.catalog.InLayer(Layer::kWorkspace).size(), 1u);
  EXPECT_EQ(l.catalog.files().size(), 1u);
}

TEST(Catalog, ExtendsPathsStayInsideTheWorkspace) {
  TempTree t;
  t.Write("outside.toml", "version = 1\n");
  t.Write("ws/.sandboxctl/up.toml", "version = 1\nextends = \"../../outside.toml\"\n");
  t.Write("ws/.sandboxctl/abs.toml", "version = 1\nextends = \"/etc/passwd.toml\"\n");
  auto l = Load(t, false);
  EXPECT_EQ(l.messages, (std::vector<std::string>{
                            ".sandboxctl/abs.toml:2:11: extends '/etc/passwd.toml': write a path relative to this profile",
                            ".sandboxctl/up.toml:2:11: extends '../../outside.toml': the path leaves " +
                                (t.root() / "ws").string()}));
}

TEST(Catalog, SymlinkedProfilesAreNotRead) {
  TempTree t;
  t.Write("secret.toml", "version = 1\n# token=hunter2\n");
  std::filesystem::create_directories(t.root() / "ws/.sandboxctl");
  sbx::testing::MakeSymlink(t.root() / "secret.toml", t.root() / "ws/.sandboxctl/leak.toml");
  t.Write("ws/.sandboxctl/inner.toml", "version = 1\nextends = \"./leak.toml\"\n");
  auto l = Load(t, false);
  EXPECT_EQ(l.messages, (std::vector<std::string>{
                            ".sandboxctl/inner.toml:2:11: extends './leak.toml': .sandboxctl/leak.toml is a symbolic "
                            "link; profiles must be regular files",
                            ".sandboxctl/leak.toml: is a symbolic link; profiles must be regular files"}));
  EXPECT_TRUE(l.catalog.sources().empty() || !l.catalog.sources().contains(".sandboxctl/leak.toml"));
}

TEST(Catalog, SelfCycleIsReported) {
  TempTree t;
  t.Write("ws/.sandboxctl/loop.toml", "version = 1\nextends = \"./loop.toml\"\n");
  auto l = Load(t, false);
  EXPECT_EQ(l.messages, (std::vector<std::string>{".sandboxctl/loop.toml:2:11: extends cycle: loop -> loop"}));
  EXPECT_EQ(l.catalog.Find("loop"), nullptr);
}

TEST(Catalog, ChainOfEightIsAllowedAndNineIsNot) {
  TempTree t;
  t.Write("ws/.sandboxctl/l0.toml", "version = 1\n");
  for (int i = 1; i <= 9; ++i) {
    t.Write("ws/.sandboxctl/l" + std::to_string(i) + ".toml",
            "version = 1\nextends = \"l" + std::to_string(i - 1) + "\"\n");
  }
  auto l = Load(t, false);
  EXPECT_NE(l.catalog.Find("l8"), nullptr);
  EXPECT_EQ(l.catalog.Find("l8")->extends_chain.size(), 8u);
  EXPECT_EQ(l.catalog.Find("l9"), nullptr);
  ASSERT_EQ(l.messages.size(), 1u);
  EXPECT_EQ(l.messages[0].substr(0, 52), ".sandboxctl/l9.toml:2:11: extends chain is deeper th");
}

TEST(Catalog, FilesOverOneMebibyteAreRefusedUnread) {
  TempTree t;
  t.Write("ws/.sandboxctl/huge.toml", "version = 1\n" + std::string(kMaxProfileBytes, '#'));
  auto l = Load(t, false);
  EXPECT_EQ(l.messages, (std::vector<std::string>{".sandboxctl/huge.toml: file is 1048588 bytes; profiles are limited "
                                                  "to 1 MiB (1048576 bytes)"}));
}

TEST(Catalog, BadFileNameIsAnInvalidProfileName) {
  TempTree t;
  t.Write("ws/.sandboxctl/My Profile.toml", "version = 1\n");
  auto l = Load(t, false);
  ASSERT_EQ(l.messages.size(), 1u);
  EXPECT_EQ(l.messages[0],
            ".sandboxctl/My Profile.toml: 'My Profile' is not a valid profile name (the file name without .toml): use 1 "
            "to 28 lower-case letters, digits, '-' and '_', starting with a letter or digit");
}

TEST(FindWorkspace, PrefersSandboxctlDirectoryThenGitRoot) {
  TempTree t;
  t.Write("repo/.git/HEAD", "ref: refs/heads/main\n");
  t.Write("repo/sub/.sandboxctl/x.toml", "version = 1\n");
  t.Write("repo/sub/deep/file", "");
  t.Write("repo/other/file", "");
  EXPECT_EQ(FindWorkspace(t.root() / "repo/sub/deep"), t.root() / "repo/sub");
  EXPECT_EQ(FindWorkspace(t.root() / "repo/other"), t.root() / "repo");
}

// Profiles planted where anyone may write (a shared /tmp, on Windows a folder Everyone
// may modify) never make a workspace: the search goes on up, to the git root.
TEST(FindWorkspace, DirectoriesOthersMayWriteAreNeverWorkspaces) {
  TempTree t;
  t.Write("repo/.git/HEAD", "ref: refs/heads/main\n");
  t.Write("repo/shared/.sandboxctl/planted.toml", "version = 1\n");
  t.Write("repo/shared/deep/file", "");
  ASSERT_EQ(FindWorkspace(t.root() / "repo/shared/deep"), t.root() / "repo/shared");
  sbx::testing::MakeWritableByEveryone(t.root() / "repo/shared");
  EXPECT_EQ(FindWorkspace(t.root() / "repo/shared/deep"), t.root() / "repo");
}

}  // namespace
}  // namespace sbx
