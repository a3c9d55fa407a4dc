// Secrets of the Windows host: random bytes from the system RNG, and DPAPI protection of
// the sandbox users' passwords at rest. Windows only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"

namespace sbx {

// BCryptGenRandom with the system-preferred RNG.
Result<std::vector<uint8_t>> SystemRandomBytes(size_t count);
// A new sandbox user password (password.h), from SystemRandomBytes.
Result<std::string> GeneratePassword();

// CryptProtectData with no UI: only this user (or, with `machine`, any process on this
// machine, which the file's ACL must then keep out) can unprotect it again. `label` is
// stored with the blob and checked when it is unprotected, so a blob for one purpose is
// not taken for another.
Result<std::vector<uint8_t>> ProtectSecret(std::string_view secret, std::string_view label, bool machine);
Result<std::string> UnprotectSecret(const std::vector<uint8_t>& blob, std::string_view label);

}  // namespace sbx
