#include "engine/profile/paths.h"

#include <gtest/gtest.h>

namespace sbx {
namespace {

const PathVariables kVars{"/home/dev/src/app", "/home/dev", "/var/tmp/sandboxctl/ci-1", "dev"};
const PathVariables kWinVars{R"(C:\Users\dev\src\app)", R"(C:\Users\dev)", R"(C:\ProgramData\sandboxctl\tmp\ci-1)", "dev"};

std::string Expand(std::string_view raw, const PathVariables& vars = kVars, PathStyle style = PathStyle::kPosix) {
  auto e = ExpandPathTemplate(raw, vars, style);
  return e.path ? *e.path : "error: " + e.message;
}

TEST(ExpandPath, SubstitutesVariablesAndNormalises) {
  EXPECT_EQ(Expand("${workspace}"), "/home/dev/src/app");
  EXPECT_EQ(Expand("${workspace}/./build//out/"), "/home/dev/src/app/build/out");
  EXPECT_EQ(Expand("${workspace}/a/../b"), "/home/dev/src/app/b");
  EXPECT_EQ(Expand("/srv/cache/${user}"), "/srv/cache/dev");
  EXPECT_EQ(Expand("${tmp}"), "/var/tmp/sandboxctl/ci-1");
}

TEST(ExpandPath, RefusesEscapesRelativePathsAndUnknownVariables) {
  EXPECT_EQ(Expand("${workspace}/.."), "error: path '${workspace}/..' escapes ${workspace} (/home/dev/src/app) with '..'");
  EXPECT_EQ(Expand("${home}/../other"), "error: path '${home}/../other' escapes ${home} (/home/dev) with '..'");
  EXPECT_EQ(Expand("/.."), "error: path '/..' climbs above the root with '..'");
  EXPECT_EQ(Expand("build"), "error: path 'build' is relative; start it with '/' or with ${workspace}, ${home} or ${tmp}");
  EXPECT_EQ(Expand("${user}/x"), "error: path '${user}/x' is relative; start it with '/' or with ${workspace}, ${home} or ${tmp}");
  EXPECT_EQ(Expand("~/x"), "error: '~' is not expanded; write ${home} instead");
  EXPECT_EQ(Expand("${HOME}/x"),
            "error: unknown variable '${HOME}'; known: ${workspace}, ${home}, ${tmp}, ${user}; did you mean 'home'?");
}

TEST(ExpandPath, WindowsPathsUseBackslashesAndCompareCaseInsensitively) {
  EXPECT_EQ(Expand("${workspace}/build", kWinVars, PathStyle::kWindows), "C:\\Users\\dev\\src\\app\\build");
  EXPECT_EQ(Expand("d:/cache", kWinVars, PathStyle::kWindows), "D:\\cache");
  EXPECT_EQ(Expand("${workspace}\\..\\x", kWinVars, PathStyle::kWindows),
            "error: path '${workspace}\\..\\x' escapes ${workspace} (C:\\Users\\dev\\src\\app) with '..'");
  EXPECT_TRUE(IsWithin("c:\\users\\DEV\\src\\app\\x", "C:\\Users\\dev\\src\\app", PathStyle::kWindows));
  EXPECT_EQ(NormalizePath("\\\\server\\share\\a\\..\\b", PathStyle::kWindows), "\\\\server\\share\\b");
}

TEST(ExpandPath, RefusesWindowsNamesThatWindowsRewrites) {
  auto win = [](std::string_view raw) { return Expand(raw, kWinVars, PathStyle::kWindows); };
  EXPECT_EQ(win("C:\\Windows."), "error: path 'C:\\Windows.': 'Windows.' ends in a dot or space, which Windows drops; "
                                  "write the name without it");
  EXPECT_EQ(win("C:\\PROGRA~1\\x"), "error: path 'C:\\PROGRA~1\\x': 'PROGRA~1' looks like a short (8.3) name; write the "
                                     "long name");
  EXPECT_EQ(win("C:\\x\\file::$DATA"),
            "error: path 'C:\\x\\file::$DATA': 'file::$DATA' contains ':' (a drive or stream name) after the start of "
            "the path");
  EXPECT_EQ(win("\\\\?\\C:\\Windows"),
            "error: path '\\\\?\\C:\\Windows': device and \\\\?\\ paths are not allowed; write a drive path such as "
            "C:\\src");
  EXPECT_EQ(win("\\\\localhost\\C$\\Users"),
            "error: path '\\\\localhost\\C$\\Users': administrative shares (ending in '$') are not allowed");
}

TEST(IsWithin, ComparesWholeComponents) {
  EXPECT_TRUE(IsWithin("/a/b", "/a", PathStyle::kPosix));
  EXPECT_TRUE(IsWithin("/a", "/a", PathStyle::kPosix));
  EXPECT_FALSE(IsWithin("/ab", "/a", PathStyle::kPosix));
  EXPECT_TRUE(IsWithin("/etc", "/", PathStyle::kPosix));
}

TEST(Ancestors, ListsParentsNearestFirstWithoutRoot) {
  EXPECT_EQ(Ancestors("/home/dev/src", PathStyle::kPosix), (std::vector<std::string>{"/home/dev", "/home"}));
  EXPECT_EQ(Ancestors("C:\\Users\\dev", PathStyle::kWindows), (std::vector<std::string>{"C:\\Users"}));
  EXPECT_TRUE(Ancestors("/home", PathStyle::kPosix).empty());
}

TEST(SystemDirectoryHit, CatchesSystemTreesAndTheirAncestors) {
  EXPECT_EQ(SystemDirectoryHit("/", PathStyle::kPosix), "/");
  EXPECT_EQ(SystemDirectoryHit("/usr/local", PathStyle::kPosix), "/usr");
  EXPECT_EQ(SystemDirectoryHit("/lib32", PathStyle::kPosix), "/lib32");
  EXPECT_EQ(SystemDirectoryHit("/var", PathStyle::kPosix), "/var");
  EXPECT_EQ(SystemDirectoryHit("/var/lib/dpkg", PathStyle::kPosix), "/var");
  EXPECT_EQ(SystemDirectoryHit("/var/cache", PathStyle::kPosix), "/var");
  EXPECT_EQ(SystemDirectoryHit("/var/cache/build", PathStyle::kPosix), std::nullopt);
  EXPECT_EQ(SystemDirectoryHit("/root/.ssh", PathStyle::kPosix), "/root");
  EXPECT_EQ(SystemDirectoryHit("/home/dev/src", PathStyle::kPosix), std::nullopt);
  // What root reads back: apt's and debconf's caches, swap.
  EXPECT_EQ(SystemDirectoryHit("/var/cache/apt/archives", PathStyle::kPosix), "/var/cache/apt");
  EXPECT_EQ(SystemDirectoryHit("/var/cache/debconf", PathStyle::kPosix), "/var/cache/debconf");
  EXPECT_EQ(SystemDirectoryHit("/swapfile", PathStyle::kPosix), "/swapfile");
  EXPECT_EQ(SystemDirectoryHit("/srv/cache", PathStyle::kPosix), std::nullopt);
  EXPECT_EQ(SystemDirectoryHit("/library", PathStyle::kPosix), "/library");  // /lib* is refused whole
  EXPECT_EQ(SystemDirectoryHit("C:\\", PathStyle::kWindows), "C:\\");
  EXPECT_EQ(SystemDirectoryHit("C:\\windows\\Temp", PathStyle::kWindows), "C:\\Windows");
  EXPECT_EQ(SystemDirectoryHit("C:\\Users", PathStyle::kWindows), "C:\\Users");
  EXPECT_EQ(SystemDirectoryHit("C:\\ProgramData\\chocolatey", PathStyle::kWindows), "C:\\ProgramData");
  EXPECT_EQ(SystemDirectoryHit("C:\\Users\\Default\\AppData", PathStyle::kWindows), "C:\\Users\\Default");
  EXPECT_EQ(SystemDirectoryHit("C:\\Users\\dev\\src", PathStyle::kWindows), std::nullopt);
}

}  // namespace
}  // namespace sbx
