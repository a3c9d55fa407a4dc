#include "engine/core/net.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace sbx {
namespace {

Uint128 HostMask(int bits, int prefix) {
  if (prefix >= bits) return 0;
  Uint128 all = bits == 128 ? ~Uint128{0} : ((Uint128{1} << bits) - 1);
  return all >> prefix;
}

std::optional<uint32_t> ParseIpv4(std::string_view s) {
  uint32_t value = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    size_t j = i;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    if (j == i || j - i > 3) return std::nullopt;
    if (j - i > 1 && s[i] == '0') return std::nullopt;  // no octal-looking octets
    unsigned octet = 0;
    std::from_chars(s.data() + i, s.data() + j, octet);
    if (octet > 255) return std::nullopt;
    value = (value << 8) | octet;
    ++parts;
    if (parts < 4) {
      if (j >= s.size() || s[j] != '.') return std::nullopt;
      i = j + 1;
    } else if (j != s.size()) {
      return std::nullopt;
    }
  }
  return value;
}

std::optional<Uint128> ParseIpv6(std::string_view s) {
  std::vector<uint16_t> head, tail;
  bool compressed = false;
  auto* current = &head;
  size_t i = 0;
  if (s.substr(0, 2) == "::") {
    compressed = true;
    current = &tail;
    i = 2;
  } else if (!s.empty() && s[0] == ':') {
    return std::nullopt;
  }
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && std::isxdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j < s.size() && s[j] == '.') {  // embedded IPv4 in the last 32 bits
      auto v4 = ParseIpv4(s.substr(i));
      if (!v4) return std::nullopt;
      current->push_back(static_cast<uint16_t>(*v4 >> 16));
      current->push_back(static_cast<uint16_t>(*v4 & 0xFFFF));
      break;
    }
    if (j == i || j - i > 4) return std::nullopt;
    unsigned group = 0;
    std::from_chars(s.data() + i, s.data() + j, group, 16);
    current->push_back(static_cast<uint16_t>(group));
    if (j == s.size()) break;
    if (s[j] != ':') return std::nullopt;
    if (j + 1 < s.size() && s[j + 1] == ':') {
      if (compressed) return std::nullopt;
      compressed = true;
      current = &tail;
      i = j + 2;
    } else {
      if (j + 1 == s.size()) return std::nullopt;
      i = j + 1;
    }
  }
  size_t total = head.size() + tail.size();
  if (compressed ? total > 7 : total != 8) return std::nullopt;
  std::vector<uint16_t> groups = head;
  groups.resize(8 - tail.size(), 0);
  groups.insert(groups.end(), tail.begin(), tail.end());
  Uint128 value = 0;
  for (uint16_t g : groups) value = (value << 16) | g;
  return value;
}

std::string Ipv6ToString(Uint128 v) {
  uint16_t g[8];
  for (int i = 7; i >= 0; --i) {
    g[i] = static_cast<uint16_t>(v & 0xFFFF);
    v >>= 16;
  }
  // RFC 5952: compress the longest run (>= 2) of zero groups, the first on a tie.
  int best_start = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best_start = -1;
  std::string out;
  char buf[8];
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, g[i], 16);
    out.append(buf, end);
  }
  return out;
}

}  // namespace

std::string IpAddress::ToString() const {
  if (v6) return Ipv6ToString(value);
  const auto v = static_cast<uint32_t>(value);
  return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 0xFF) + "." +
         std::to_string((v >> 8) & 0xFF) + "." + std::to_string(v & 0xFF);
}

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  if (text.find(':') != std::string_view::npos) {
    auto v = ParseIpv6(text);
    if (!v) return std::nullopt;
    return IpAddress{true, *v};
  }
  auto v = ParseIpv4(text);
  if (!v) return std::nullopt;
  return IpAddress{false, *v};
}

IpAddress Cidr::Last() const {
  return IpAddress{address.v6, address.value | HostMask(address.Bits(), prefix)};
}

bool Cidr::Contains(const Cidr& other) const {
  if (address.v6 != other.address.v6 || other.prefix < prefix) return false;
  return (other.address.value & ~HostMask(address.Bits(), prefix)) == address.value;
}

bool Cidr::Overlaps(const Cidr& other) const { return Contains(other) || other.Contains(*this); }

std::string Cidr::ToString() const { return address.ToString() + "/" + std::to_string(prefix); }

std::string IpRange::ToString() const {
  if (first == last) return first.ToString();
  return first.ToString() + "-" + last.ToString();
}

std::string NetAllowEntry::ToString() const {
  if (!port) return cidr.ToString();
  if (cidr.address.v6) return "[" + cidr.ToString() + "]:" + std::to_string(*port);
  return cidr.ToString() + ":" + std::to_string(*port);
}

NetParseResult ParseNetAllowEntry(std::string_view text) {
  NetParseResult r;
  std::string_view addr = text, port_text;
  bool has_port = false;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      r.error = NetParseError::kCidr;
      r.message = "missing ']' after the IPv6 network";
      return r;
    }
    addr = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') {
        r.error = NetParseError::kCidr;
        r.message = "expected ':port' after ']'";
        return r;
      }
      has_port = true;
      port_text = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    size_t colon = text.find(':');
    addr = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    has_port = true;
  }
  std::string_view ip_text = addr, prefix_text;
  bool has_prefix = false;
  if (size_t slash = addr.find('/'); slash != std::string_view::npos) {
    ip_text = addr.substr(0, slash);
    prefix_text = addr.substr(slash + 1);
    has_prefix = true;
  }
  auto ip = ParseIpAddress(ip_text);
  if (!ip) {
    r.error = NetParseError::kCidr;
    r.message = "'" + std::string(ip_text) + "' is not an IPv4 or IPv6 address";
    if (ip_text.find(':') != std::string_view::npos && !has_port && text[0] != '[') {
      r.message += " (write an IPv6 network with a port as [net/prefix]:port)";
    }
    return r;
  }
  // Plain decimal: no sign, no leading zeros ("032", "-0" and "+8" are mistakes).
  auto plain_number = [](std::string_view t) {
    return !t.empty() && t.size() <= 5 && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
           (t.size() == 1 || t[0] != '0');
  };
  int prefix = ip->Bits();
  if (has_prefix && ip->v6 && prefix_text.find(':') != std::string_view::npos) {
    r.error = NetParseError::kCidr;
    r.message = "write an IPv6 network with a port in brackets: '[" + std::string(addr.substr(0, addr.rfind(':'))) +
                "]" + std::string(addr.substr(addr.rfind(':'))) + "'";
    return r;
  }
  if (has_prefix) {
    auto [end, ec] = std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
    if (!plain_number(prefix_text) || ec != std::errc() || end != prefix_text.data() + prefix_text.size() ||
        prefix < 0 || prefix > ip->Bits()) {
      r.error = NetParseError::kCidr;
      r.message = "prefix length '" + std::string(prefix_text) + "' must be a number from 0 to " +
                  std::to_string(ip->Bits());
      return r;
    }
  }
  Cidr cidr{*ip, prefix};
  Uint128 host = ip->value & HostMask(ip->Bits(), prefix);
  if (host != 0) {
    Cidr fixed{IpAddress{ip->v6, ip->value & ~HostMask(ip->Bits(), prefix)}, prefix};
    r.error = NetParseError::kCidr;
    r.message = "'" + std::string(addr) + "' has host bits set; did you mean '" + fixed.ToString() + "'?";
    return r;
  }
  NetAllowEntry entry{cidr, std::nullopt};
  if (has_port) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (!plain_number(port_text) || ec != std::errc() || end != port_text.data() + port_text.size() ||
        port < 1 || port > 65535) {
      r.error = NetParseError::kPort;
      r.message = "port '" + std::string(port_text) + "' must be a number from 1 to 65535";
      return r;
    }
    entry.port = static_cast<uint16_t>(port);
  }
  r.entry = entry;
  return r;
}

Cidr LoopbackCidr(bool v6) {
  if (v6) return Cidr{IpAddress{true, 1}, 128};
  return Cidr{IpAddress{false, Uint128{127} << 24}, 8};
}

namespace {

// The parts of [low, high] that no span in `covered` (of the same family) reaches.
std::vector<IpRange> Uncovered(bool v6, Uint128 low, Uint128 high, const std::vector<Cidr>& covered) {
  std::vector<std::pair<Uint128, Uint128>> spans;
  for (const auto& c : covered) {
    if (c.address.v6 != v6) continue;
    Uint128 first = std::max(c.First().value, low), last = std::min(c.Last().value, high);
    if (first <= last) spans.emplace_back(first, last);
  }
  std::sort(spans.begin(), spans.end());
  std::vector<IpRange> out;
  Uint128 next = low;  // first address not yet known to be covered
  bool done = false;   // everything up to `high` is covered
  for (const auto& [first, last] : spans) {
    if (done) break;
    if (first > next) out.push_back({IpAddress{v6, next}, IpAddress{v6, first - 1}});
    if (last >= next) {
      if (last == high) done = true;
      else next = last + 1;
    }
  }
  if (!done) out.push_back({IpAddress{v6, next}, IpAddress{v6, high}});
  return out;
}

}  // namespace

std::vector<IpRange> ComplementRanges(bool v6, const std::vector<Cidr>& covered) {
  return Uncovered(v6, 0, v6 ? ~Uint128{0} : Uint128{0xFFFFFFFFu}, covered);
}

std::vector<IpRange> SubtractRanges(const Cidr& base, const std::vector<Cidr>& removed) {
  return Uncovered(base.address.v6, base.First().value, base.Last().value, removed);
}

std::vector<std::string> ComplementPorts(const std::vector<uint16_t>& ports) {
  std::vector<uint16_t> sorted = ports;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> out;
  unsigned next = 1;
  auto emit = [&](unsigned a, unsigned b) {
    out.push_back(a == b ? std::to_string(a) : std::to_string(a) + "-" + std::to_string(b));
  };
  for (uint16_t p : sorted) {
    if (p > next) emit(next, p - 1u);
    if (p >= next) next = p + 1u;
  }
  if (next <= 65535) emit(next, 65535);
  return out;
}

}  // namespace sbx
