#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sbx {

std::string Join(const std::vector<std::string>& parts, std::string_view separator);
// The pieces between separators, empty ones included ("a::b" gives "a", "", "b").
std::vector<std::string> Split(std::string_view s, char separator);
bool StartsWith(std::string_view s, std::string_view prefix);
std::string ToLower(std::string_view s);

// The UTF-8 sequence at s[i]: its length, with its code point in *code_point; 0 when the
// bytes there are not valid UTF-8 (overlong forms, surrogates and values past U+10FFFF
// included).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* code_point);

// FNV-1a, 64 bit: a stable, platform-independent hash for naming things (not for security).
uint64_t Fnv1a64(std::string_view data);
std::string Hex(uint64_t value, int digits);

// Quotes a string for a POSIX shell only when it needs quoting.
std::string ShellQuote(std::string_view s);

}  // namespace sbx
