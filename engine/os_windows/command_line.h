// A Windows command line from an argument list. CreateProcess takes one string, and each
// program splits it again, almost always by the rules of the Microsoft C runtime
// (CommandLineToArgvW): arguments are quoted so that those rules give back exactly the
// list. Pure: built and tested on every platform (and, under Wine, against
// CommandLineToArgvW itself).
#pragma once

#include <string>
#include <vector>

#include "engine/core/result.h"

namespace sbx {

// One argument, quoted only if it needs to be.
std::string QuoteWindowsArgument(const std::string& arg);

// The whole command line. Fails when an argument holds a NUL (no command line can carry
// it), or when the program is a batch file (.bat, .cmd): CreateProcess runs those through
// cmd.exe, whose own parsing no quoting can make safe for arbitrary arguments.
Result<std::string> WindowsCommandLine(const std::vector<std::string>& argv);

}  // namespace sbx
