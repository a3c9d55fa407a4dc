#pragma once

#include <string_view>

namespace sbx {

// User and group names portable to useradd (Debian's NAME_REGEX) and to Windows local
// accounts: 1 to 32 of a-z 0-9 _ -, starting with a letter or '_'. Checked again by every
// backend before a name reaches a command line.
bool IsValidUserName(std::string_view name);

}  // namespace sbx
