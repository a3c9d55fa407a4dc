// Passwords for sandbox users, from random bytes: the Windows host draws the bytes from
// BCryptGenRandom (secrets.h). Pure: built and tested on every platform.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sbx {

// 32 characters, each from 6 random bits over 64 letters, digits and '-', '_' (192 bits),
// then an upper-case letter, a lower-case letter, a digit and a symbol, each chosen by
// another random byte, so that any password policy asking for three of the four kinds is
// met. Needs at least 36 bytes; returns "" with fewer.
std::string PasswordFromRandomBytes(const std::vector<uint8_t>& random);
inline constexpr size_t kPasswordRandomBytes = 36;

}  // namespace sbx
