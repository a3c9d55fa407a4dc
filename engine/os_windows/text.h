// UTF-8 (sandboxctl's strings) and UTF-16 (the W functions of the Windows API), and
// Windows error messages. Windows only: the pure parts of the backend work on UTF-8.
#pragma once

#include <windows.h>

#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace sbx {

// Invalid sequences become U+FFFD.
std::string Utf8(std::wstring_view wide);
std::wstring Wide(std::string_view utf8);

// FormatMessageW's text for a Win32 error code, with the code itself.
std::string Win32Message(DWORD code);

// The error of a failed Win32 call on `object`: code "permission_denied" when access,
// ownership or a privilege refused it, "host_error" otherwise.
Error Win32Failed(const char* call, const std::string& object, DWORD code);

}  // namespace sbx
