// Network addresses for profile allowlists: parsing, canonical text, containment and the
// complement of a set of ranges (Windows Firewall has only block-wins rules, so an
// allowlist is lowered to blocks on everything else).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sbx {

__extension__ using Uint128 = unsigned __int128;

struct IpAddress {
  bool v6 = false;
  Uint128 value = 0;  // IPv4 addresses use the low 32 bits

  int Bits() const { return v6 ? 128 : 32; }
  std::string ToString() const;  // dotted quad, or RFC 5952 IPv6 text
  bool operator==(const IpAddress&) const = default;
};

struct Cidr {
  IpAddress address;  // network address (host bits zero)
  int prefix = 0;

  IpAddress First() const { return address; }
  IpAddress Last() const;
  bool Contains(const Cidr& other) const;
  bool Overlaps(const Cidr& other) const;
  std::string ToString() const;  // "10.0.0.0/8", "2001:db8::/32"
  bool operator==(const Cidr&) const = default;
};

struct IpRange {
  IpAddress first, last;
  std::string ToString() const;  // "a-b", or "a" when first == last
};

// One entry of [network].allow: "CIDR[:port]"; IPv6 with a port is written "[CIDR]:port".
// A bare address means a single host (/32 or /128).
struct NetAllowEntry {
  Cidr cidr;
  std::optional<uint16_t> port;  // nullopt: every port
  std::string ToString() const;
  bool operator==(const NetAllowEntry&) const = default;
};

enum class NetParseError { kNone, kCidr, kPort };
struct NetParseResult {
  std::optional<NetAllowEntry> entry;
  NetParseError error = NetParseError::kNone;
  std::string message;  // what is wrong, without the entry text
};
NetParseResult ParseNetAllowEntry(std::string_view text);

std::optional<IpAddress> ParseIpAddress(std::string_view text);

// The loopback networks 127.0.0.0/8 and ::1/128.
Cidr LoopbackCidr(bool v6);

// Ranges of the whole IPv4 (v6 = false) or IPv6 space not covered by any of `covered`
// (entries of the other family are ignored), sorted, merged.
std::vector<IpRange> ComplementRanges(bool v6, const std::vector<Cidr>& covered);

// Ranges of `base` not covered by any of `removed`, sorted, merged.
std::vector<IpRange> SubtractRanges(const Cidr& base, const std::vector<Cidr>& removed);

// Port ranges in 1..65535 not in `ports`, as "a-b" / "a" strings.
std::vector<std::string> ComplementPorts(const std::vector<uint16_t>& ports);

}  // namespace sbx
