#include "engine/os_windows/sid.h"

#include <charconv>
#include <cstdio>

#include "engine/core/strings.h"

namespace sbx {
namespace {

Error Invalid(std::string_view text, const std::string& why) {
  return Error{"invalid_sid", "", std::string(text), why};
}

}  // namespace

Result<Sid> ParseSid(std::string_view text) {
  if (text.size() < 2 || (text[0] != 'S' && text[0] != 's') || text[1] != '-') {
    return Invalid(text, "a SID starts with S-");
  }
  std::vector<std::string> parts = Split(std::string(text.substr(2)), '-');
  if (parts.size() < 2) return Invalid(text, "a SID has a revision, an authority and subauthorities");
  auto number = [](const std::string& s, uint64_t max, uint64_t& out) {
    const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    const char* first = s.data() + (hex ? 2 : 0);
    const char* last = s.data() + s.size();
    if (first == last) return false;
    auto [end, ec] = std::from_chars(first, last, out, hex ? 16 : 10);
    return ec == std::errc{} && end == last && out <= max;
  };
  Sid sid;
  uint64_t value = 0;
  if (!number(parts[0], 255, value) || value != 1) return Invalid(text, "the revision must be 1");
  sid.revision = 1;
  if (!number(parts[1], (uint64_t{1} << 48) - 1, sid.authority)) {
    return Invalid(text, "the identifier authority '" + parts[1] + "' is not a number below 2^48");
  }
  if (parts.size() - 2 > kMaxSubauthorities) return Invalid(text, "a SID has at most 15 subauthorities");
  for (size_t i = 2; i < parts.size(); ++i) {
    if (!number(parts[i], UINT32_MAX, value)) {
      return Invalid(text, "subauthority '" + parts[i] + "' is not a number below 2^32");
    }
    sid.subauthorities.push_back(static_cast<uint32_t>(value));
  }
  return sid;
}

std::string FormatSid(const Sid& sid) {
  std::string out = "S-" + std::to_string(sid.revision) + "-";
  if (sid.authority >= (uint64_t{1} << 32)) {  // as ConvertSidToStringSid: 12 hexadecimal digits
    char buf[20];  // "0x" and twelve digits: snprintf cannot fail or cut it short
    (void)std::snprintf(buf, sizeof buf, "0x%012llX", static_cast<unsigned long long>(sid.authority));
    out += buf;
  } else {
    out += std::to_string(sid.authority);
  }
  for (uint32_t s : sid.subauthorities) out += "-" + std::to_string(s);
  return out;
}

std::vector<uint8_t> SidBytes(const Sid& sid) {
  std::vector<uint8_t> out{sid.revision, static_cast<uint8_t>(sid.subauthorities.size())};
  for (int shift = 40; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(sid.authority >> shift));
  for (uint32_t s : sid.subauthorities) {
    for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<uint8_t>(s >> shift));
  }
  return out;
}

Result<Sid> SidFromBytes(const uint8_t* data, size_t size) {
  if (size < 8) return Error{"invalid_sid", "", "", "a binary SID has at least 8 bytes"};
  Sid sid;
  sid.revision = data[0];
  const size_t count = data[1];
  if (sid.revision != 1) return Error{"invalid_sid", "", "", "the revision must be 1"};
  if (count > kMaxSubauthorities) return Error{"invalid_sid", "", "", "a SID has at most 15 subauthorities"};
  if (size != 8 + 4 * count) {
    return Error{"invalid_sid", "", "", std::to_string(size) + " bytes for " + std::to_string(count) + " subauthorities"};
  }
  for (int i = 0; i < 6; ++i) sid.authority = (sid.authority << 8) | data[2 + i];
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* p = data + 8 + 4 * i;
    sid.subauthorities.push_back(uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24);
  }
  return sid;
}

Sid EveryoneSid() { return Sid{1, 1, {0}}; }
Sid AuthenticatedUsersSid() { return Sid{1, 5, {11}}; }
Sid LocalSystemSid() { return Sid{1, 5, {18}}; }
Sid AdministratorsSid() { return Sid{1, 5, {32, 544}}; }
Sid BuiltinUsersSid() { return Sid{1, 5, {32, 545}}; }

Sid CapabilitySid(const uint32_t (&random)[4]) { return Sid{1, 5, {21, random[0], random[1], random[2], random[3]}}; }

}  // namespace sbx
