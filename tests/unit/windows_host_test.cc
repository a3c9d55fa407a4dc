// Windows only: the pure Windows code against the Windows API itself (under Wine, which
// implements these parts faithfully).
#include <windows.h>
#include <sddl.h>
#include <shellapi.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine/os_windows/command_line.h"
#include "engine/os_windows/sid.h"
#include "engine/os_windows/text.h"

namespace sbx {
namespace {

std::vector<std::string> SplitByWindows(const std::string& command_line) {
  int argc = 0;
  // CommandLineToArgvW treats the program name apart: a dummy one goes first.
  wchar_t** argv = CommandLineToArgvW(Wide("prog.exe " + command_line).c_str(), &argc);
  std::vector<std::string> out;
  for (int i = 1; argv && i < argc; ++i) out.push_back(Utf8(argv[i]));
  LocalFree(argv);
  return out;
}

TEST(WindowsCommandLine, CommandLineToArgvWGivesBackEveryArgument) {
  const std::vector<std::string> args{"plain", "", "two words", "tab\there", "quote\"inside", "trailing\\",
                                      "C:\\dir with space\\", "a\\\\\"b", "\\\"", "unicode \xc3\xa9t\xc3\xa9"};
  std::vector<std::string> argv{"prog.exe"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto line = WindowsCommandLine(argv);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(SplitByWindows(line->substr(std::string("prog.exe ").size())), args);
}

TEST(WindowsSid, ConvertStringSidToSidAgrees) {
  for (const char* text : {"S-1-5-32-544", "S-1-5-21-1004336348-1177238915-682003330-512", "S-1-1-0"}) {
    PSID psid = nullptr;
    ASSERT_TRUE(ConvertStringSidToSidA(text, &psid)) << text;
    auto ours = ParseSid(text);
    ASSERT_TRUE(ours.ok());
    const auto bytes = SidBytes(*ours);
    ASSERT_EQ(GetLengthSid(psid), bytes.size());
    EXPECT_EQ(std::memcmp(psid, bytes.data(), bytes.size()), 0) << text;
    LocalFree(psid);
  }
}

}  // namespace
}  // namespace sbx
