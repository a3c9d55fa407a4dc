// Security identifiers as data: parsed from and formatted to their string form
// (S-1-5-21-...), and their binary layout, the way Windows lays them out in a token or an
// ACE. Pure: built and tested on every platform; the Win32 code converts at the boundary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"

namespace sbx {

struct Sid {
  uint8_t revision = 1;
  uint64_t authority = 0;              // 48 bits
  std::vector<uint32_t> subauthorities;  // at most 15

  bool operator==(const Sid&) const = default;
  auto operator<=>(const Sid&) const = default;
};

inline constexpr size_t kMaxSubauthorities = 15;

// "S-1-5-32-544"; an authority of 2^32 or more in hexadecimal ("S-1-0x...-..."), as
// ConvertStringSidToSid accepts it. Errors name what is wrong.
Result<Sid> ParseSid(std::string_view text);
std::string FormatSid(const Sid& sid);

// The binary SID: revision, count, 6-byte big-endian authority, little-endian
// subauthorities.
std::vector<uint8_t> SidBytes(const Sid& sid);
Result<Sid> SidFromBytes(const uint8_t* data, size_t size);

// Well-known SIDs sandboxctl writes into ACLs and checks for.
Sid EveryoneSid();            // S-1-1-0
Sid AuthenticatedUsersSid();  // S-1-5-11
Sid LocalSystemSid();         // S-1-5-18
Sid AdministratorsSid();      // S-1-5-32-544
Sid BuiltinUsersSid();        // S-1-5-32-545

// A profile's synthetic capability SID, S-1-5-21-a-b-c-d, from four random numbers
// (BCryptGenRandom at apply): a domain-style SID no account has, used as the restricting
// SID of the sandbox's write-restricted token and as the trustee of its write ACEs.
Sid CapabilitySid(const uint32_t (&random)[4]);

}  // namespace sbx
