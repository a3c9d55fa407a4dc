// The namespace view as data (engine/launch/view.h): which mounts, in which order.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/launch/view.h"

namespace sbx {
namespace {

using K = MountKind;
constexpr auto kDir = PathType::kDirectory;
constexpr auto kFile = PathType::kFile;

ViewInput Developer() {
  ViewInput in;
  in.home = "/home/dev";
  in.writable = {"/home/dev/app", "/tmp/sandboxctl-1000/offline"};
  in.read_only = {"/home/dev/app/.git", "/home/dev/app/sub/.git"};
  in.readable = {"/home/dev/app"};
  in.deny_read = {"/home/dev/.ssh", "/home/dev/app/.env"};
  in.visible = {"/usr/bin/make"};
  in.types = {{"/home/dev", kDir},          {"/home/dev/app", kDir},      {"/tmp/sandboxctl-1000/offline", kDir},
              {"/home/dev/app/.git", kDir}, {"/home/dev/app/sub", kDir},  {"/home/dev/app/sub/.git", kDir},
              {"/home/dev/.ssh", kDir},     {"/home/dev/app/.env", kFile}, {"/usr/bin/make", kFile}};
  return in;
}

TEST(View, HidesThePrivatePlacesAndBindsBackOnlyWhatTheProfileNames) {
  const std::vector<MountOp> expected = {
      {K::kTmpfs, "/tmp", "", true, false, "private /tmp"},
      {K::kTmpfs, "/run", "", true, true, "no runtime sockets"},
      {K::kTmpfs, "/var/tmp", "", true, false, "private /var/tmp"},
      {K::kTmpfs, "/home/dev", "", true, true, "home hidden"},
      {K::kDev, "/dev", "", true, false, "private /dev"},
      {K::kBindWritable, "/home/dev/app", "/home/dev/app", true, false, "writable root"},
      {K::kBindWritable, "/tmp/sandboxctl-1000/offline", "/tmp/sandboxctl-1000/offline", true, false, "writable root"},
      {K::kCover, "/home/dev/.ssh", "", true, false, "deny-read"},
      {K::kBindWritable, "/home/dev/app/sub", "/home/dev/app/sub", true, false, "anchor of a carve-out"},
      {K::kBindReadOnly, "/home/dev/app/.git", "/home/dev/app/.git", true, false, "carve-out"},
      {K::kCover, "/home/dev/app/.env", "", false, false, "deny-read"},
      {K::kBindReadOnly, "/home/dev/app/sub/.git", "/home/dev/app/sub/.git", true, false, "carve-out"},
  };
  EXPECT_EQ(PlanView(Developer()), expected) << RenderView(PlanView(Developer()));
}

TEST(View, ReadableRootsAndTheCommandAreBoundOnlyWhereTheyWouldBeHidden) {
  ViewInput in = Developer();
  in.readable = {"/home/dev/.rustup", "/opt/tools"};
  in.visible = {"/home/dev/.local/bin/tool", "/home/dev/app/build/test", "/usr/bin/make"};
  in.types["/home/dev/.rustup"] = kDir;
  in.types["/opt/tools"] = kDir;
  in.types["/home/dev/.local/bin/tool"] = kFile;
  in.types["/home/dev/app/build/test"] = kFile;
  const auto ops = PlanView(in);
  auto count = [&](const std::string& target) {
    return std::count_if(ops.begin(), ops.end(), [&](const MountOp& o) { return o.target == target; });
  };
  EXPECT_EQ(count("/home/dev/.rustup"), 1);
  EXPECT_EQ(count("/home/dev/.local/bin/tool"), 1);
  EXPECT_EQ(count("/opt/tools"), 0) << "visible in the read-only tree already";
  EXPECT_EQ(count("/usr/bin/make"), 0);
  EXPECT_EQ(count("/home/dev/app/build/test"), 0) << "inside a writable root: a bind would make it read-only";
}

TEST(View, MissingPathsAreSkippedAndTheStrongestRestrictionAtAPathWins) {
  ViewInput in;
  in.home = "/home/dev";
  in.writable = {"/srv/ws", "/srv/ws/gone"};
  in.read_only = {"/srv/ws"};
  in.deny_read = {"/srv/ws"};
  in.types = {{"/srv/ws", kDir}};
  const auto ops = PlanView(in);
  ASSERT_EQ(ops.size(), 5U) << RenderView(ops);  // /tmp /run /var/tmp /dev (no home: missing), one for /srv/ws
  EXPECT_EQ(ops.back(), (MountOp{K::kCover, "/srv/ws", "", true, false, "deny-read"}));
}

TEST(View, AHomeInsideAPrivatePlaceOrTheRootIsNotHiddenTwice) {
  for (const std::string home : {"/", "/tmp/home", ""}) {
    ViewInput in;
    in.home = home;
    in.types[home] = kDir;
    const auto ops = PlanView(in);
    EXPECT_EQ(ops.size(), 4U) << home << "\n" << RenderView(ops);
  }
}

TEST(View, RendersOneLinePerOperation) {
  ViewInput in;
  in.writable = {"/srv/ws"};
  in.types = {{"/srv/ws", kDir}};
  EXPECT_EQ(RenderView(PlanView(in)),
            "tmpfs      /tmp  (private /tmp)\n"
            "empty (ro) /run  (no runtime sockets)\n"
            "tmpfs      /var/tmp  (private /var/tmp)\n"
            "dev        /dev  (private /dev)\n"
            "bind rw    /srv/ws  (writable root)\n");
}

}  // namespace
}  // namespace sbx

namespace sbx {
namespace {

TEST(View, ACarveOutInsideAnotherIsNeverAnchoredWritable) {
  ViewInput in;
  in.writable = {"/srv/ws"};
  in.read_only = {"/srv/ws/.git", "/srv/ws/.git/hooks/pre-commit"};
  in.types = {{"/srv/ws", kDir}, {"/srv/ws/.git", kDir}, {"/srv/ws/.git/hooks", kDir},
              {"/srv/ws/.git/hooks/pre-commit", kFile}};
  for (const auto& op : PlanView(in)) {
    if (op.kind == MountKind::kBindWritable) {
      EXPECT_EQ(op.target, "/srv/ws") << RenderView(PlanView(in));
    }
  }
}

}  // namespace
}  // namespace sbx

namespace sbx {
namespace {

TEST(View, TheRunsTmpIsAnEmptyTmpfsInsideThePrivateTmp) {
  ViewInput in;
  in.scratch = "/tmp/offline-1234";
  const auto ops = PlanView(in);
  ASSERT_GE(ops.size(), 2U);
  EXPECT_EQ(ops[0].target, "/tmp");
  const auto scratch = std::find_if(ops.begin(), ops.end(), [](const MountOp& o) { return o.why == "${tmp}"; });
  ASSERT_NE(scratch, ops.end()) << RenderView(ops);
  EXPECT_EQ(*scratch, (MountOp{K::kTmpfs, "/tmp/offline-1234", "", true, false, "${tmp}"}));
  in.scratch = "/home/dev/tmp";  // only ever inside the private /tmp
  EXPECT_EQ(PlanView(in).size(), ops.size() - 1);
}

}  // namespace
}  // namespace sbx

namespace sbx {
namespace {

TEST(View, AGitFileNamesItsGitDirectoryRelativeToItsOwnDirectory) {
  EXPECT_EQ(GitdirOfPointer("gitdir: /srv/main/.git/worktrees/wt\n", "/srv/wt"), "/srv/main/.git/worktrees/wt");
  EXPECT_EQ(GitdirOfPointer("gitdir: ../.git/modules/sub\r\n", "/srv/main/sub"), "/srv/main/.git/modules/sub");
  EXPECT_EQ(GitdirOfPointer("gitdir: ../../..//x", "/a"), std::nullopt);  // above the root
  for (const char* odd : {"", "gitdir:", "gitdir: ", "gitdir: a\nb", "[core]\n", " gitdir: /x"}) {
    EXPECT_EQ(GitdirOfPointer(odd, "/srv/wt"), std::nullopt) << odd;
  }
}

TEST(View, AQuarantinedPathKeepsItsPlaceUnderANameNoToolLooksFor) {
  EXPECT_EQ(QuarantineName("/w/.git", "20261208T101500Z", 0), "/w/.git.sandboxctl-quarantine-20261208T101500Z");
  EXPECT_EQ(QuarantineName(".git", "20261208T101500Z", 1), ".git.sandboxctl-quarantine-20261208T101500Z-2");
}

}  // namespace
}  // namespace sbx

namespace sbx {
namespace {

TEST(View, WhatAProfileMayNotAskOfTheViewIsRefusedWithItsReason) {
  LaunchSpec spec;
  spec.profile = "p";
  spec.tmp = "/var/tmp/sandboxctl/p-1";
  spec.writable = {"/home/dev/app", spec.tmp};
  spec.read_only = {"/home/dev/app/.git"};
  ViewInput in;
  in.home = "/home/dev";
  in.types = {{"/home/dev/app/.git", PathType::kDirectory}};
  const std::string store = "/home/dev/.local/state/sandboxctl/trust.json";
  EXPECT_EQ(ViewRefusal(spec, "/home/dev/app", "/tmp/p-1", store, in), std::nullopt);
  // The home as the workspace.
  EXPECT_NE(ViewRefusal(spec, "/home/dev", "/tmp/p-1", store, in).value_or("").find("is your home directory"),
            std::string::npos);
  // A root in a place the view keeps private, unless inside the workspace or ${tmp}.
  LaunchSpec in_tmp = spec;
  in_tmp.readable = {"/tmp/tmux-1000"};
  EXPECT_NE(ViewRefusal(in_tmp, "/home/dev/app", "/tmp/p-1", store, in).value_or("").find("inside /tmp"),
            std::string::npos);
  EXPECT_EQ(ViewRefusal(in_tmp, "/tmp", "/tmp/p-1", store, in), std::nullopt);
  in_tmp.readable = {"/run/user/1000/bus"};
  EXPECT_NE(ViewRefusal(in_tmp, "/home/dev/app", "/tmp/p-1", store, in).value_or("").find("inside /run"),
            std::string::npos);
  // A writable root holding the trust store; a carve-out that is a link.
  LaunchSpec wide = spec;
  wide.writable.emplace_back("/home/dev/.local/state");
  EXPECT_NE(ViewRefusal(wide, "/home/dev/app", "/tmp/p-1", store, in).value_or("").find("holds the trust store"),
            std::string::npos);
  in.types["/home/dev/app/.git"] = PathType::kOther;
  EXPECT_NE(ViewRefusal(spec, "/home/dev/app", "/tmp/p-1", store, in).value_or("").find("symbolic link"),
            std::string::npos);
}

}  // namespace
}  // namespace sbx

