#include "engine/os_windows/acl_model.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace sbx {
namespace {

int Rank(const Ace& a) {
  if (a.flags & ntfs::kInherited) return 2;
  return a.allow ? 1 : 0;
}

uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
uint32_t Le32(const uint8_t* p) { return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24; }
void Put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v));
  out.push_back(static_cast<uint8_t>(v >> 8));
}
void Put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

constexpr uint8_t kAllowedType = 0, kDeniedType = 1;

bool Holds(const std::vector<Sid>& sids, const Sid& s) { return std::find(sids.begin(), sids.end(), s) != sids.end(); }

std::string FlagsText(uint8_t f) {
  std::string out;
  if (f & ntfs::kObjectInherit) out += "OI";
  if (f & ntfs::kContainerInherit) out += "CI";
  if (f & ntfs::kNoPropagate) out += "NP";
  if (f & ntfs::kInheritOnly) out += "IO";
  if (f & ntfs::kInherited) out += "ID";
  return out;
}

// CREATOR OWNER (S-1-3-0) and CREATOR GROUP (S-1-3-1): placeholders in inheritable ACEs.
const Sid& CreatorOwnerSid() {
  static const Sid sid{1, 3, {0}};
  return sid;
}
const Sid& CreatorGroupSid() {
  static const Sid sid{1, 3, {1}};
  return sid;
}

constexpr uint32_t kGenericBits =
    ntfs::kGenericReadBit | ntfs::kGenericWriteBit | ntfs::kGenericExecuteBit | ntfs::kGenericAllBit;

// The generic mapping of files and directories (FILE_GENERIC_READ, ..., FILE_ALL_ACCESS).
uint32_t MapGenericRights(uint32_t mask) {
  uint32_t out = mask & ~kGenericBits;
  if (mask & ntfs::kGenericReadBit) out |= ntfs::kGenericRead;
  if (mask & ntfs::kGenericWriteBit) out |= ntfs::kGenericWrite;
  if (mask & ntfs::kGenericExecuteBit) out |= ntfs::kGenericExecute;
  if (mask & ntfs::kGenericAllBit) out |= ntfs::kFullControl;
  return out;
}

}  // namespace

std::vector<Ace> CanonicalOrder(std::vector<Ace> aces) {
  std::stable_sort(aces.begin(), aces.end(), [](const Ace& a, const Ace& b) { return Rank(a) < Rank(b); });
  return aces;
}

bool IsCanonical(const std::vector<Ace>& aces) {
  return std::is_sorted(aces.begin(), aces.end(), [](const Ace& a, const Ace& b) { return Rank(a) < Rank(b); });
}

bool AccessGranted(const Dacl& dacl, const std::vector<Sid>& token, uint32_t desired) {
  if (!dacl) return true;
  uint32_t remaining = desired;
  for (const Ace& a : *dacl) {
    if (remaining == 0) break;
    if (!a.other.empty() || (a.flags & ntfs::kInheritOnly) || !Holds(token, a.trustee)) continue;
    if (!a.allow && (a.mask & remaining)) return false;
    if (a.allow) remaining &= ~a.mask;
  }
  return remaining == 0;
}

bool RestrictedAccessGranted(const Dacl& dacl, const std::vector<Sid>& token, const std::vector<Sid>& restricting,
                             uint32_t desired) {
  if (!AccessGranted(dacl, token, desired)) return false;
  const uint32_t writes = desired & ntfs::kWriteRights;
  return writes == 0 || AccessGranted(dacl, restricting, writes);
}

std::vector<Ace> MergeAces(const std::vector<Ace>& dacl, const std::vector<Ace>& wanted, bool* changed) {
  std::vector<Ace> out = dacl;
  *changed = false;
  for (const Ace& w : wanted) {
    if (std::find(out.begin(), out.end(), w) != out.end()) continue;
    // After the last ACE of its rank or a lower one, so the others keep their order.
    auto at = std::find_if(out.begin(), out.end(), [&](const Ace& a) { return Rank(a) > Rank(w); });
    out.insert(at, w);
    *changed = true;
  }
  return out;
}

std::vector<Ace> RemoveAces(const std::vector<Ace>& dacl, const std::vector<Ace>& owned) {
  std::vector<Ace> out;
  for (const Ace& a : dacl) {
    const bool mine = !(a.flags & ntfs::kInherited) && std::find(owned.begin(), owned.end(), a) != owned.end();
    if (!mine) out.push_back(a);
  }
  return out;
}

std::vector<Ace> InheritedAces(const std::vector<Ace>& parent, bool child_is_directory, const Sid& owner,
                               const Sid& group) {
  std::vector<Ace> out;
  for (const Ace& p : parent) {
    if (!p.other.empty()) continue;  // not passed on (see the header)
    const bool oi = p.flags & ntfs::kObjectInherit, ci = p.flags & ntfs::kContainerInherit,
               np = p.flags & ntfs::kNoPropagate;
    bool effective = false;  // takes effect on the child
    uint8_t passes_on = 0;   // the inheritance flags the child keeps
    if (!child_is_directory) {
      effective = oi;
    } else if (ci) {
      effective = true;
      if (!np) passes_on = p.flags & (ntfs::kObjectInherit | ntfs::kContainerInherit);
    } else if (oi && !np) {
      passes_on = ntfs::kObjectInherit;
    }
    if (!effective && passes_on == 0) continue;
    const bool generic = (p.mask & kGenericBits) || p.trustee == CreatorOwnerSid() || p.trustee == CreatorGroupSid();
    if (effective && (passes_on == 0 || generic)) {
      Ace a = p;
      a.flags = ntfs::kInherited;
      a.mask = MapGenericRights(p.mask);
      if (p.trustee == CreatorOwnerSid()) a.trustee = owner;
      if (p.trustee == CreatorGroupSid()) a.trustee = group;
      out.push_back(std::move(a));
    }
    if (passes_on != 0) {
      Ace a = p;
      a.flags = passes_on | ntfs::kInherited | (effective && !generic ? 0 : ntfs::kInheritOnly);
      out.push_back(std::move(a));
    }
  }
  return out;
}

std::vector<Ace> InheritedAces(const std::vector<Ace>& parent, bool child_is_directory) {
  return InheritedAces(parent, child_is_directory, CreatorOwnerSid(), CreatorGroupSid());
}

std::vector<Ace> WithInherited(const std::vector<Ace>& child, const std::vector<Ace>& inherited) {
  std::vector<Ace> out;
  for (const Ace& a : child) {
    if (!(a.flags & ntfs::kInherited)) out.push_back(a);
  }
  out.insert(out.end(), inherited.begin(), inherited.end());
  return out;
}

Result<std::vector<Ace>> AclFromBytes(const uint8_t* data, size_t size) {
  auto bad = [](const std::string& why) { return Error{"invalid_acl", "", "", why}; };
  if (size < 8) return bad("shorter than an ACL header");
  const uint8_t revision = data[0];
  const size_t acl_size = Le16(data + 2), count = Le16(data + 4);
  if (revision != 2 && revision != 4) return bad("ACL revision " + std::to_string(revision));
  if (acl_size > size || acl_size < 8) return bad("the ACL size does not fit the buffer");
  std::vector<Ace> out;
  size_t at = 8;
  for (size_t i = 0; i < count; ++i) {
    if (at + 4 > acl_size) return bad("ACE " + std::to_string(i) + " starts past the end");
    const uint8_t type = data[at], flags = data[at + 1];
    const size_t ace_size = Le16(data + at + 2);
    if (ace_size < 4 || at + ace_size > acl_size || ace_size % 4 != 0) return bad("ACE " + std::to_string(i) + " has a bad size");
    Ace a;
    a.flags = flags;
    if (type == kAllowedType || type == kDeniedType) {
      if (ace_size < 16) return bad("ACE " + std::to_string(i) + " is too short for a SID");
      a.allow = type == kAllowedType;
      a.mask = Le32(data + at + 4);
      const uint8_t* sid = data + at + 8;
      const size_t sid_size = 8 + 4 * size_t{sid[1]};
      if (8 + sid_size > ace_size) return bad("ACE " + std::to_string(i) + " has a SID past its end");
      auto parsed = SidFromBytes(sid, sid_size);
      if (!parsed.ok()) return bad("ACE " + std::to_string(i) + ": " + parsed.error().message);
      a.trustee = *parsed;
    } else {
      a.other.assign(data + at, data + at + ace_size);
    }
    out.push_back(std::move(a));
    at += ace_size;
  }
  return out;
}

Result<std::vector<uint8_t>> AclToBytes(const std::vector<Ace>& aces) {
  std::vector<uint8_t> body;
  uint8_t revision = 2;  // ACL_REVISION
  for (const Ace& a : aces) {
    if (!a.other.empty()) {
      if (a.other[0] >= 5 && a.other[0] <= 8) revision = 4;  // ACL_REVISION_DS
      body.insert(body.end(), a.other.begin(), a.other.end());
      continue;
    }
    const std::vector<uint8_t> sid = SidBytes(a.trustee);
    const size_t ace_size = (8 + sid.size() + 3) / 4 * 4;
    body.push_back(a.allow ? kAllowedType : kDeniedType);
    body.push_back(a.flags);
    Put16(body, static_cast<uint16_t>(ace_size));
    Put32(body, a.mask);
    body.insert(body.end(), sid.begin(), sid.end());
    body.resize(body.size() + (ace_size - 8 - sid.size()), 0);
  }
  if (8 + body.size() > 0xFFFC || aces.size() > 0xFFFF) {
    return Error{"invalid_acl", "", "", "more than an ACL can hold (64 KiB)"};
  }
  std::vector<uint8_t> out{revision, 0};
  Put16(out, static_cast<uint16_t>(8 + body.size()));
  Put16(out, static_cast<uint16_t>(aces.size()));
  Put16(out, 0);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::string DaclToSddl(const Dacl& dacl) {
  if (!dacl) return "D:NO_ACCESS_CONTROL";
  std::string out = "D:";
  for (const Ace& a : *dacl) {
    if (!a.other.empty()) {
      out += "(?" + std::to_string(a.other[0]) + ")";  // another type, shown by its number
      continue;
    }
    char mask[16];  // "0x" and at most eight digits: snprintf cannot fail or cut it short
    (void)std::snprintf(mask, sizeof mask, "0x%x", a.mask);
    out += "(" + std::string(a.allow ? "A" : "D") + ";" + FlagsText(a.flags) + ";" + mask + ";;;" +
           FormatSid(a.trustee) + ")";
  }
  return out;
}

Result<std::vector<Ace>> AcesOfResource(const nlohmann::json& attributes,
                                        const std::function<Result<Sid>(const std::string&, const std::string&)>& sid_of) {
  auto bad = [](const std::string& why) { return Error{"invalid_plan", "", "aces", why}; };
  if (!attributes.is_object() || !attributes.contains("aces") || !attributes["aces"].is_array()) {
    return bad("the resource has no list of ACEs");
  }
  std::vector<Ace> out;
  for (const auto& j : attributes["aces"]) {
    if (!j.is_object()) return bad("an ACE is not an object");
    for (const char* key : {"trustee", "trustee_kind", "type", "mask"}) {
      if (!j.contains(key) || !j[key].is_string()) return bad(std::string("an ACE has no ") + key);
    }
    Ace a;
    const std::string type = j["type"], kind = j["trustee_kind"], mask = j["mask"];
    if (type != "allow" && type != "deny") return bad("ACE type '" + type + "' is neither allow nor deny");
    if (kind != "user" && kind != "capability") return bad("trustee kind '" + kind + "' is neither user nor capability");
    a.allow = type == "allow";
    uint32_t value = 0;
    const char* digits = mask.c_str() + 2;
    auto [end, ec] = std::from_chars(digits, mask.c_str() + mask.size(), value, 16);
    if (mask.size() != 10 || mask.rfind("0x", 0) != 0 || ec != std::errc{} || end != mask.c_str() + mask.size()) {
      return bad("ACE mask '" + mask + "' is not a file access mask");
    }
    // Only what the Windows lowering grants or denies: read and execute or modify for
    // allow ACEs (never WRITE_DAC, WRITE_OWNER or full control), the write or the read
    // bits for deny ACEs.
    const bool known = a.allow ? value == ntfs::kReadExecuteMask || value == ntfs::kModifyMask
                               : value == ntfs::kDenyWriteMask || value == ntfs::kDenyReadMask;
    if (!known) return bad("ACE mask '" + mask + "' is not one sandboxctl " + (a.allow ? "grants" : "denies"));
    a.mask = value;
    if (!j.contains("inheritance") || !j["inheritance"].is_array()) return bad("an ACE has no inheritance list");
    for (const auto& f : j["inheritance"]) {
      if (f == "OBJECT_INHERIT_ACE") a.flags |= ntfs::kObjectInherit;
      else if (f == "CONTAINER_INHERIT_ACE") a.flags |= ntfs::kContainerInherit;
      else return bad("unknown inheritance flag " + f.dump());
    }
    auto sid = sid_of(j["trustee"], kind);
    if (!sid.ok()) return sid.error();
    a.trustee = *sid;
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace sbx
