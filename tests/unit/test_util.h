// Helpers for unit tests: a temporary directory tree of profile files, removed afterwards.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "engine/profile/parse.h"
#include "engine/profile/profile.h"

namespace sbx::testing {

// A typical offline profile: writable workspace and tmp, .git read-only, ~/.ssh hidden.
inline constexpr const char* kOfflineProfile = R"(version = 1
[filesystem]
writable = ["${workspace}", "${tmp}"]
read_only = ["${workspace}/.git"]
deny_read = ["${home}/.ssh"]
[network]
mode = "offline"
)";

// A profile named `name`, as if read from .sandboxctl/<name>.toml, that must parse cleanly.
inline Profile MakeProfile(const std::string& name, const std::string& text) {
  std::vector<Diagnostic> diags;
  ParsedProfile parsed = ParseProfileText(text, name + ".toml", ".sandboxctl/" + name + ".toml", diags);
  EXPECT_TRUE(diags.empty()) << diags.front().message;
  Profile p;
  p.name = name;
  p.origin = ".sandboxctl/" + name + ".toml";
  p.display_path = name + ".toml";
  p.file_region = SourceRegion{p.display_path, p.origin, {1, 1}};
  p.settings = parsed.settings;
  return p;
}

// What the tests make on the file system that differs per OS (host_util_<os>.cc): a
// symbolic link at `link` to `target`; a directory everyone may write to.
void MakeSymlink(const std::filesystem::path& target, const std::filesystem::path& link);
void MakeWritableByEveryone(const std::filesystem::path& dir);

class TempTree {
 public:
  TempTree() : root_(UniquePath()) { std::filesystem::create_directories(root_); }
  ~TempTree() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path Write(const std::string& relative, const std::string& text) const {
    std::filesystem::path p = root_ / relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  static std::filesystem::path UniquePath() {
    std::random_device rd;
    return std::filesystem::temp_directory_path() / ("sandboxctl-test-" + std::to_string(rd()) + std::to_string(rd()));
  }

  std::filesystem::path root_;
};

}  // namespace sbx::testing
