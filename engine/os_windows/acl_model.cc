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
    if ((a.flags & ntfs::kInheritOnly) || !Holds(token, a.trustee)) continue;
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

std::string DaclToSddl(const Dacl& dacl) {
  if (!dacl) return "D:NO_ACCESS_CONTROL";
  std::string out = "D:";
  for (const Ace& a : *dacl) {
    char mask[16];
    std::snprintf(mask, sizeof mask, "0x%x", a.mask);
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
