// The environment block CreateProcess takes: "NAME=value" entries, sorted by name without
// regard to case, each ended by a NUL, the block by one more. Built here in UTF-8 (the
// Windows host converts it to UTF-16 whole); the names are checked because on Windows they
// are case-insensitive and the CRT mistakes a name with '=' for a drive variable. Pure:
// built and tested on every platform.
#pragma once

#include <map>
#include <string>

#include "engine/core/result.h"

namespace sbx {

// Fails naming the variable when a name is empty, holds '=' or a NUL, when a value holds a
// NUL, or when two names differ only in case (Windows would keep one of them).
Result<std::string> EnvironmentBlock(const std::map<std::string, std::string>& env);

}  // namespace sbx
