// Helpers shared by the tests that run sandboxctl's binaries: the root-only system tests
// and the cli tests.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace sbx::testing {

// What a process the test started (sandboxctl, the runner) ended with and printed.
struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

// Six random hex digits: the suffix of a test's own users, groups, tables and directories.
inline std::string RandomSuffix() {
  std::random_device rd;
  char hex[8];
  (void)std::snprintf(hex, sizeof hex, "%06x", rd() & 0xFFFFFF);
  return hex;
}

inline int Sh(const std::string& command) { return std::system(command.c_str()); }

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Standard output of a shell command (getfacl, nft), for whole-text comparisons.
inline std::string Capture(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return "popen failed";
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

}  // namespace sbx::testing
