#include "engine/os_windows/command_line.h"

#include "engine/core/strings.h"

namespace sbx {

std::string QuoteWindowsArgument(const std::string& arg) {
  if (!arg.empty() && arg.find_first_of(" \t\n\v\"") == std::string::npos) return arg;
  std::string out = "\"";
  size_t backslashes = 0;
  for (char c : arg) {
    if (c == '\\') {
      ++backslashes;
      continue;
    }
    // Backslashes are literal unless a quote follows them: then each must be doubled,
    // and the quote escaped.
    out.append(c == '"' ? backslashes * 2 + 1 : backslashes, '\\');
    backslashes = 0;
    out += c;
  }
  out.append(backslashes * 2, '\\');  // before the closing quote
  return out + "\"";
}

Result<std::string> WindowsCommandLine(const std::vector<std::string>& argv) {
  if (argv.empty()) return Error{"invalid_command", "", "", "no program given"};
  const std::string program = ToLower(argv[0]);
  for (const char* batch : {".bat", ".cmd"}) {
    const std::string ext = batch;
    if (program.size() >= ext.size() && program.compare(program.size() - ext.size(), ext.size(), ext) == 0) {
      return Error{"invalid_command", "", argv[0],
                   "is a batch file; cmd.exe would parse its arguments again, so run it as "
                   "'cmd.exe /d /c " + argv[0] + " ...' and quote for cmd yourself"};
    }
  }
  std::vector<std::string> quoted;
  for (const auto& a : argv) {
    if (a.find('\0') != std::string::npos) return Error{"invalid_command", "", a, "an argument holds a NUL character"};
    quoted.push_back(QuoteWindowsArgument(a));
  }
  return Join(quoted, " ");
}

}  // namespace sbx
