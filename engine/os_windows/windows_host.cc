#include "engine/os_windows/windows_host.h"

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "engine/core/names.h"
#include "engine/core/strings.h"
#include "engine/os_windows/accounts.h"
#include "engine/os_windows/acl_model.h"
#include "engine/os_windows/firewall.h"
#include "engine/os_windows/nt_file.h"
#include "engine/os_windows/ntfs_acl.h"
#include "engine/os_windows/secrets.h"
#include "engine/os_windows/sid.h"
#include "engine/os_windows/text.h"

namespace sbx {
namespace {

std::string Str(const nlohmann::json& a, const char* key) {
  return a.is_object() && a.contains(key) && a[key].is_string() ? a[key].get<std::string>() : std::string();
}

Error BadPlan(const Resource& r, const std::string& why) { return Error{"invalid_plan", "", r.id, why}; }

// Names reach the account database and the registry: checked here as in the compiler.
Result<std::string> AccountName(const Resource& r, const char* key) {
  std::string name = Str(r.attributes, key);
  if (!IsValidUserName(name) || name.size() > 20) return BadPlan(r, "not a valid account name: '" + name + "'");
  return name;
}

std::string PasswordLabel(const std::string& user) { return "sandboxctl password " + user; }

// --- sandbox users ------------------------------------------------------------------

Result<Observation> ObserveUser(const Resource& r, const StateStore& store) {
  auto name = AccountName(r, "name");
  if (!name.ok()) return name.error();
  Observation o;
  auto account = LookupLocalUser(*name);
  if (!account.ok()) return account.error();
  if (!*account) return o;
  o.present = true;
  o.foreign = true;  // unless the state says sandboxctl made it
  o.current = {{"name", *name}, {"sid", FormatSid((*account)->sid)}, {"comment", (*account)->comment}};
  std::vector<std::string> differ;
  if ((*account)->comment != kSandboxUserComment) differ.push_back("its comment is not sandboxctl's");
  auto secret = store.LoadSecret(*name);
  if (!secret.ok()) return secret.error();
  if (!*secret || !UnprotectSecret(**secret, PasswordLabel(*name)).ok()) differ.push_back("no stored password");
  auto hidden = SandboxUserHidden(*name);
  if (!hidden.ok()) return hidden.error();
  if (!*hidden) differ.push_back("shown on the sign-in screen");
  o.in_sync = differ.empty();
  o.detail = Join(differ, ", ");
  return o;
}

// A new password is stored before the account gets it: a run killed in between leaves a
// stored password that the next run gives the account (EnsureUser), never an account
// whose password is lost.
Result<Ok> NewPassword(const std::string& name, const StateStore& store, bool account_exists) {
  auto password = GeneratePassword();
  if (!password.ok()) return password.error();
  auto blob = ProtectSecret(*password, PasswordLabel(name), /*machine=*/true);
  if (!blob.ok()) return blob.error();
  if (auto saved = store.SaveSecret(name, *blob); !saved.ok()) return saved;
  if (account_exists) return SetSandboxUserPassword(name, *password);
  auto made = CreateSandboxUser(name, *password);
  if (!made.ok()) return made.error();
  return Ok{};
}

Result<Ok> EnsureUser(const Resource& r, const StateStore& store) {
  auto name = AccountName(r, "name");
  if (!name.ok()) return name.error();
  auto account = LookupLocalUser(*name);
  if (!account.ok()) return account.error();
  if (!*account) return NewPassword(*name, store, false);
  if ((*account)->comment != kSandboxUserComment) {
    return Error{"host_error", "", r.id, "the account " + *name + " was not made by sandboxctl"};
  }
  if (auto hidden = HideSandboxUser(*name); !hidden.ok()) return hidden;
  auto secret = store.LoadSecret(*name);
  if (!secret.ok()) return secret.error();
  // An existing account gets the stored password again (a run may have stopped after
  // storing it and before the account got it), or a new one when none can be read.
  if (*secret) {
    auto password = UnprotectSecret(**secret, PasswordLabel(*name));
    if (password.ok()) return SetSandboxUserPassword(*name, *password);
  }
  return NewPassword(*name, store, true);
}

Result<Ok> RemoveUser(const OwnedRecord& record, const StateStore& store) {
  auto name = AccountName(record.resource, "name");
  if (!name.ok()) return name.error();
  if (!record.prior.is_null()) {
    return Error{"host_error", "", record.resource.id, "sandboxctl never changes accounts it did not create"};
  }
  auto account = LookupLocalUser(*name);
  if (!account.ok()) return account.error();
  if (*account) {
    if (auto deleted = DeleteSandboxUser(*name); !deleted.ok()) return deleted;
  }
  return store.RemoveSecret(*name);
}

// --- capability SIDs ----------------------------------------------------------------

class CapabilityStore {
 public:
  explicit CapabilityStore(const WindowsHostConfig& c)
      : hive_(c.machine_hive ? HKEY_LOCAL_MACHINE : HKEY_CURRENT_USER),
        key_(Wide(c.capability_key)),
        shown_((c.machine_hive ? "HKLM\\" : "HKCU\\") + c.capability_key) {}

  // nullopt when the profile has none yet.
  Result<std::optional<Sid>> Read(const std::string& profile) const {
    HKEY key = nullptr;
    LSTATUS rc = RegOpenKeyExW(hive_, key_.c_str(), 0, KEY_QUERY_VALUE, &key);
    if (rc == ERROR_FILE_NOT_FOUND) return std::optional<Sid>{};
    if (rc != ERROR_SUCCESS) return Win32Failed("RegOpenKeyExW", shown_, rc);
    wchar_t text[256];
    DWORD size = sizeof text - sizeof(wchar_t), type = 0;
    rc = RegQueryValueExW(key, Wide(profile).c_str(), nullptr, &type, reinterpret_cast<BYTE*>(text), &size);
    RegCloseKey(key);
    if (rc == ERROR_FILE_NOT_FOUND) return std::optional<Sid>{};
    if (rc != ERROR_SUCCESS) return Win32Failed("RegQueryValueExW", shown_ + "\\" + profile, rc);
    if (type != REG_SZ) return Error{"host_error", "", shown_ + "\\" + profile, "is not a string"};
    text[size / sizeof(wchar_t)] = L'\0';
    auto sid = ParseSid(Utf8(text));
    // Only the shape sandboxctl makes: S-1-5-21 and four random numbers.
    if (!sid.ok() || sid->authority != 5 || sid->subauthorities.size() != 5 || sid->subauthorities[0] != 21) {
      return Error{"host_error", "", shown_ + "\\" + profile, "holds '" + Utf8(text) + "', not a capability SID"};
    }
    return std::optional<Sid>(*sid);
  }

  Result<Ok> Write(const std::string& profile, const Sid& sid) const {
    HKEY key = nullptr;
    LSTATUS rc = RegCreateKeyExW(hive_, key_.c_str(), 0, nullptr, 0, KEY_SET_VALUE, nullptr, &key, nullptr);
    if (rc != ERROR_SUCCESS) return Win32Failed("RegCreateKeyExW", shown_, rc);
    const std::wstring text = Wide(FormatSid(sid));
    rc = RegSetValueExW(key, Wide(profile).c_str(), 0, REG_SZ, reinterpret_cast<const BYTE*>(text.c_str()),
                        static_cast<DWORD>((text.size() + 1) * sizeof(wchar_t)));
    if (rc == ERROR_SUCCESS) rc = RegFlushKey(key);
    RegCloseKey(key);
    if (rc != ERROR_SUCCESS) return Win32Failed("RegSetValueExW", shown_ + "\\" + profile, rc);
    return Ok{};
  }

  Result<Ok> Delete(const std::string& profile) const {
    HKEY key = nullptr;
    LSTATUS rc = RegOpenKeyExW(hive_, key_.c_str(), 0, KEY_SET_VALUE, &key);
    if (rc == ERROR_FILE_NOT_FOUND) return Ok{};
    if (rc != ERROR_SUCCESS) return Win32Failed("RegOpenKeyExW", shown_, rc);
    rc = RegDeleteValueW(key, Wide(profile).c_str());
    RegCloseKey(key);
    if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND) return Win32Failed("RegDeleteValueW", shown_ + "\\" + profile, rc);
    return Ok{};
  }

 private:
  HKEY hive_;
  std::wstring key_;
  std::string shown_;
};

Result<std::string> ProfileName(const Resource& r) {
  std::string profile = Str(r.attributes, "profile");
  // A profile's name (the compiler's rule): it becomes a registry value name.
  if (profile.empty() || profile.size() > 28 ||
      profile.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos) return BadPlan(r, "not a valid profile name: '" + profile + "'");
  return profile;
}

Result<Observation> ObserveCapability(const Resource& r, const CapabilityStore& caps) {
  auto profile = ProfileName(r);
  if (!profile.ok()) return profile.error();
  auto sid = caps.Read(*profile);
  if (!sid.ok()) return sid.error();
  Observation o;
  // One kept by an earlier apply or by the PowerShell script is taken over: it names no
  // account, and keeping it keeps the ACEs that carry it valid.
  o.present = o.in_sync = sid->has_value();
  return o;
}

Result<Ok> EnsureCapability(const Resource& r, const CapabilityStore& caps) {
  auto profile = ProfileName(r);
  if (!profile.ok()) return profile.error();
  auto sid = caps.Read(*profile);
  if (!sid.ok()) return sid.error();
  if (*sid) return Ok{};
  auto random = SystemRandomBytes(16);
  if (!random.ok()) return random.error();
  uint32_t parts[4];
  std::memcpy(parts, random->data(), sizeof parts);
  return caps.Write(*profile, CapabilitySid(parts));
}

Result<Ok> RemoveCapability(const OwnedRecord& record, const CapabilityStore& caps) {
  auto profile = ProfileName(record.resource);
  if (!profile.ok()) return profile.error();
  return caps.Delete(*profile);
}

// --- sandboxctl's directories -------------------------------------------------------

constexpr const wchar_t* kDirectorySddl = L"O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";

Result<std::string> DirectoryPath(const Resource& r) {
  std::string path = Str(r.attributes, "path");
  // Drive-rooted and normal: "C:\..." with no "." or ".." component and no stream name.
  const bool rooted = path.size() > 3 && std::isalpha(static_cast<unsigned char>(path[0])) && path[1] == ':' &&
                      path[2] == '\\';
  if (!rooted || path.find(":", 2) != std::string::npos || path.find("\\\\") != std::string::npos ||
      path.find("\\.\\") != std::string::npos || path.find("\\..\\") != std::string::npos ||
      path.find('/') != std::string::npos || path.back() == '\\' || path.back() == '.') {
    return BadPlan(r, "not an absolute normal path: '" + path + "'");
  }
  if (Str(r.attributes, "dacl") != "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)") return BadPlan(r, "unexpected DACL");
  return path;
}

// The descriptor every directory of sandboxctl's gets, as the model's ACEs.
Result<std::vector<Ace>> WantedDirectoryAces() {
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(kDirectorySddl, SDDL_REVISION_1, &sd, nullptr)) {
    return Win32Failed("ConvertStringSecurityDescriptorToSecurityDescriptorW", Utf8(kDirectorySddl), GetLastError());
  }
  BOOL present = FALSE, defaulted = FALSE;
  PACL acl = nullptr;
  Result<std::vector<Ace>> aces = Error{"host_error", "GetSecurityDescriptorDacl", Utf8(kDirectorySddl), "no DACL"};
  if (GetSecurityDescriptorDacl(sd, &present, &acl, &defaulted) && present && acl) {
    aces = AclFromBytes(reinterpret_cast<const uint8_t*>(acl), acl->AclSize);
  }
  LocalFree(sd);
  return aces;
}

// Opens the directory itself for its security: never through a junction or symbolic
// link, in its place or above it (OpenPathNoFollow).
Result<OwnedHandle> OpenDirectory(const std::string& path, DWORD access, bool* missing) {
  auto h = OpenPathNoFollow(path, access);
  *missing = !h.ok() && h.error().code == "not_found";
  return h;
}

struct DirectoryFacts {
  bool is_directory = false, is_reparse = false, is_protected = false;
  Sid owner;
  Dacl dacl;
  std::string sddl;  // owner and DACL, what Remove puts back on a directory it did not make
};

Result<DirectoryFacts> ReadDirectoryFacts(HANDLE h, const std::string& path) {
  DirectoryFacts f;
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(h, &info)) return Win32Failed("GetFileInformationByHandle", path, GetLastError());
  f.is_directory = info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY;
  f.is_reparse = info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT;
  PSID owner = nullptr;
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  DWORD rc = GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner, nullptr,
                             &dacl, nullptr, &sd);
  if (rc != ERROR_SUCCESS) return Win32Failed("GetSecurityInfo", path, rc);
  Result<Ok> parsed = Ok{};
  if (owner) {
    auto sid = SidFromBytes(static_cast<const uint8_t*>(owner), GetLengthSid(owner));
    if (sid.ok()) f.owner = *sid;
    else parsed = sid.error();
  }
  if (dacl && parsed.ok()) {
    auto aces = AclFromBytes(reinterpret_cast<const uint8_t*>(dacl), dacl->AclSize);
    if (aces.ok()) f.dacl = *aces;
    else parsed = aces.error();
  }
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  if (GetSecurityDescriptorControl(sd, &control, &revision)) f.is_protected = control & SE_DACL_PROTECTED;
  wchar_t* text = nullptr;
  if (parsed.ok() && ConvertSecurityDescriptorToStringSecurityDescriptorW(
                         sd, SDDL_REVISION_1, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &text, nullptr)) {
    f.sddl = Utf8(text);
    LocalFree(text);
  }
  LocalFree(sd);
  if (!parsed.ok()) return Error{"host_error", "GetSecurityInfo", path, parsed.error().message};
  return f;
}

// Writes an owner and a DACL through the handle, without the propagation to what is
// inside that SetSecurityInfo would make (a directory the sandbox may have written).
Result<Ok> WriteDescriptor(HANDLE h, const std::string& path, const std::wstring& sddl) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &sd, nullptr)) {
    return Win32Failed("ConvertStringSecurityDescriptorToSecurityDescriptorW", path, GetLastError());
  }
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  GetSecurityDescriptorControl(sd, &control, &revision);
  const SECURITY_INFORMATION what = OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION |
                                    ((control & SE_DACL_PROTECTED) ? PROTECTED_DACL_SECURITY_INFORMATION
                                                                   : UNPROTECTED_DACL_SECURITY_INFORMATION);
  const BOOL ok = SetKernelObjectSecurity(h, what, sd);
  const DWORD err = GetLastError();
  LocalFree(sd);
  if (!ok) return Win32Failed("SetKernelObjectSecurity", path, err);
  return Ok{};
}

Result<Observation> ObserveDirectory(const Resource& r) {
  auto path = DirectoryPath(r);
  if (!path.ok()) return path.error();
  Observation o;
  bool missing = false;
  auto h = OpenDirectory(*path, READ_CONTROL, &missing);
  if (missing) return o;
  if (!h.ok()) return h.error();
  auto facts = ReadDirectoryFacts(h->get(), *path);
  if (!facts.ok()) return facts.error();
  o.present = true;
  o.current = {{"sddl", facts->sddl}};
  if (!facts->is_directory || facts->is_reparse) {
    // A junction or file planted where sandboxctl keeps its directories is never used.
    o.foreign = true;
    o.detail = facts->is_reparse ? "is a junction or symbolic link" : "is not a directory";
    return o;
  }
  // Someone else made it first, to own what goes into it: never taken over (an owned
  // one whose owner changed is drift, which apply repairs).
  if (facts->owner != AdministratorsSid() && facts->owner != LocalSystemSid()) {
    o.foreign = true;
    o.detail = "owned by " + FormatSid(facts->owner) + ", not by Administrators";
    return o;
  }
  auto wanted = WantedDirectoryAces();
  if (!wanted.ok()) return wanted.error();
  std::vector<std::string> differ;
  // The grants add their ACEs to a directory's DACL, so other ACEs are not drift here:
  // what is checked is that it is protected (inherits nothing) and holds SYSTEM's and
  // Administrators' ACEs. (An ACE someone else added by hand is not noticed: see the
  // README's list of what is open.)
  bool missing_aces = false;
  MergeAces(facts->dacl.value_or(std::vector<Ace>{}), *wanted, &missing_aces);
  if (!facts->is_protected || missing_aces) differ.push_back("its DACL is not SYSTEM and Administrators only");
  o.in_sync = differ.empty();
  o.detail = Join(differ, ", ");
  return o;
}

Result<Ok> EnsureDirectory(const Resource& r) {
  auto path = DirectoryPath(r);
  if (!path.ok()) return path.error();
  // Made with its descriptor in one step: there is no moment at which anyone else may
  // open it.
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(kDirectorySddl, SDDL_REVISION_1, &sd, nullptr)) {
    return Win32Failed("ConvertStringSecurityDescriptorToSecurityDescriptorW", *path, GetLastError());
  }
  SECURITY_ATTRIBUTES sa{sizeof sa, sd, FALSE};
  const BOOL made = CreateDirectoryW(Wide(*path).c_str(), &sa);
  const DWORD err = GetLastError();
  LocalFree(sd);
  if (made) return Ok{};
  if (err != ERROR_ALREADY_EXISTS) return Win32Failed("CreateDirectoryW", *path, err);
  bool missing = false;
  auto h = OpenDirectory(*path, READ_CONTROL | WRITE_DAC | WRITE_OWNER, &missing);
  if (!h.ok()) return h.error();
  auto facts = ReadDirectoryFacts(h->get(), *path);
  if (!facts.ok()) return facts.error();
  if (!facts->is_directory || facts->is_reparse) {
    return Error{"host_error", "", *path, "is not a plain directory; sandboxctl does not use it"};
  }
  auto wanted = WantedDirectoryAces();
  if (!wanted.ok()) return wanted.error();
  // Keep the grants' ACEs (they are written after this), put back the rest.
  std::vector<Ace> keep;
  for (const Ace& a : facts->dacl.value_or(std::vector<Ace>{})) {
    if (!(a.flags & ntfs::kInherited) && a.trustee != EveryoneSid() && a.trustee != AuthenticatedUsersSid() &&
        a.trustee != BuiltinUsersSid()) {
      keep.push_back(a);
    }
  }
  bool changed = false;
  std::vector<Ace> merged = MergeAces(keep, *wanted, &changed);
  std::string dacl = DaclToSddl(merged);  // "D:(...)"
  return WriteDescriptor(h->get(), *path, L"O:BAD:P" + Wide(dacl.substr(2)));
}

Result<Ok> RemoveDirectoryOf(const OwnedRecord& record) {
  auto path = DirectoryPath(record.resource);
  if (!path.ok()) return path.error();
  bool missing = false;
  if (!record.prior.is_null()) {
    // There before sandboxctl: its owner and DACL go back, the directory stays.
    const std::string sddl = Str(record.prior, "sddl");
    if (sddl.empty()) return Error{"invalid_state", "", record.resource.id, "no recorded descriptor"};
    auto h = OpenDirectory(*path, READ_CONTROL | WRITE_DAC | WRITE_OWNER, &missing);
    if (missing) return Ok{};
    if (!h.ok()) return h.error();
    return WriteDescriptor(h->get(), *path, Wide(sddl));
  }
  return RemoveTree(*path);
}

// --- NTFS ACEs ------------------------------------------------------------------------

constexpr const char* kCapabilityPrefix = "sandboxctl-cap-";

struct AceGrant {
  std::string path;
};

Result<AceGrant> GrantOf(const Resource& r) {
  AceGrant g;
  g.path = Str(r.attributes, "path");
  const std::string scope = Str(r.attributes, "scope");
  if (scope != "subtree" && scope != "path") return BadPlan(r, "scope '" + scope + "'");
  const bool rooted = g.path.size() >= 3 && std::isalpha(static_cast<unsigned char>(g.path[0])) && g.path[1] == ':' &&
                      g.path[2] == '\\';
  // Only a normal path: every component is looked at as named, none is "." or "..".
  const std::string ends = g.path + "\\";
  if (!rooted || ends.find("\\..\\") != std::string::npos || ends.find("\\.\\") != std::string::npos ||
      g.path.find('/') != std::string::npos || g.path.find(':', 2) != std::string::npos) {
    return BadPlan(r, "not an absolute normal path: '" + g.path + "'");
  }
  return g;
}

// The SIDs of a grant's trustees: users from the account database, capabilities from
// their store. nullopt when a user does not exist yet (the grant waits for it).
Result<std::optional<std::map<std::string, Sid>>> TrusteeSids(const Resource& r, const CapabilityStore& caps) {
  std::map<std::string, Sid> sids;
  if (!r.attributes.contains("aces") || !r.attributes["aces"].is_array()) return BadPlan(r, "no list of ACEs");
  for (const auto& ace : r.attributes["aces"]) {
    const std::string trustee = Str(ace, "trustee"), kind = Str(ace, "trustee_kind");
    if (sids.count(trustee)) continue;
    if (kind == "user") {
      if (!IsValidUserName(trustee)) return BadPlan(r, "trustee '" + trustee + "'");
      auto account = LookupLocalUser(trustee);
      if (!account.ok()) return account.error();
      if (!*account) return std::optional<std::map<std::string, Sid>>{};
      sids[trustee] = (*account)->sid;
    } else if (kind == "capability" && trustee.rfind(kCapabilityPrefix, 0) == 0) {
      auto sid = caps.Read(trustee.substr(std::string(kCapabilityPrefix).size()));
      if (!sid.ok()) return sid.error();
      if (!*sid) return std::optional<std::map<std::string, Sid>>{};
      sids[trustee] = **sid;
    } else {
      return BadPlan(r, "trustee '" + trustee + "' of kind '" + kind + "'");
    }
  }
  return std::optional<std::map<std::string, Sid>>(std::move(sids));
}

Result<std::vector<Ace>> AcesWith(const Resource& r, const std::map<std::string, Sid>& sids) {
  return AcesOfResource(r.attributes, [&](const std::string& trustee, const std::string&) -> Result<Sid> {
    auto it = sids.find(trustee);
    if (it == sids.end()) return BadPlan(r, "no SID for trustee '" + trustee + "'");
    return it->second;
  });
}

// Each trustee's SID as a list: recorded priors merge lists as sets, so a user deleted
// and made again (a new SID) adds its SID to the record, and destroy takes out both.
nlohmann::json SidsJson(const std::map<std::string, Sid>& sids) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, sid] : sids) j[name] = nlohmann::json::array({FormatSid(sid)});
  return j;
}

bool PathExists(const std::string& path) { return GetFileAttributesW(Wide(path).c_str()) != INVALID_FILE_ATTRIBUTES; }

Result<Observation> ObserveAces(const Resource& r, const CapabilityStore& caps) {
  auto g = GrantOf(r);
  if (!g.ok()) return g.error();
  Observation o;
  if (!PathExists(g->path)) {
    // A directory this plan makes gets its grant once it exists (same run, after it).
    if (std::find(r.depends_on.begin(), r.depends_on.end(), "dir:" + g->path) != r.depends_on.end()) return o;
    o.present = o.in_sync = true;
    o.detail = g->path + " does not exist";
    return o;
  }
  auto sids = TrusteeSids(r, caps);
  if (!sids.ok()) return sids.error();
  if (!*sids) return o;  // its user or capability comes first
  auto wanted = AcesWith(r, **sids);
  if (!wanted.ok()) return wanted.error();
  auto dacl = ReadDacl(g->path);
  if (!dacl.ok()) return dacl.error();
  o.present = true;
  // The DACL before, and the SIDs the ACEs carry: what destroy takes out again even if an
  // account is gone by then.
  o.current = {{"sddl", dacl->sddl}, {"sids", SidsJson(**sids)}};
  std::vector<Ace> explicit_aces;
  for (const Ace& a : dacl->dacl.value_or(std::vector<Ace>{})) {
    if (!(a.flags & ntfs::kInherited)) explicit_aces.push_back(a);
  }
  bool missing = false;
  MergeAces(explicit_aces, *wanted, &missing);
  o.in_sync = !missing;
  if (missing) o.detail = "the DACL of " + g->path + " lacks sandboxctl's ACEs";
  return o;
}

Result<Ok> EnsureAcesOf(const Resource& r, const CapabilityStore& caps, const NotePrior& note_prior) {
  auto g = GrantOf(r);
  if (!g.ok()) return g.error();
  if (!PathExists(g->path)) return Ok{};
  auto sids = TrusteeSids(r, caps);
  if (!sids.ok()) return sids.error();
  if (!*sids) return Error{"host_error", "", r.id, "a trustee of the grant does not exist yet"};
  auto wanted = AcesWith(r, **sids);
  if (!wanted.ok()) return wanted.error();
  if (note_prior) {
    auto before = ReadDacl(g->path);
    if (!before.ok()) return before.error();
    if (auto noted = note_prior({{"sddl", before->sddl}, {"sids", SidsJson(**sids)}}); !noted.ok()) return noted;
  }
  bool changed = false;
  // Also for a grant on the path alone: the walk below finds nothing to change then, and
  // Windows' own propagation is never used.
  auto done = EnsureAcesOnTree(g->path, *wanted, &changed, nullptr);
  if (!done.ok()) return done.error();
  return Ok{};
}

Result<Ok> RemoveAcesOf(const OwnedRecord& record) {
  auto g = GrantOf(record.resource);
  if (!g.ok()) return g.error();
  if (!PathExists(g->path)) return Ok{};
  std::map<std::string, std::vector<Sid>> recorded;
  size_t most = 0;
  if (record.prior.is_object() && record.prior.contains("sids") && record.prior["sids"].is_object()) {
    for (const auto& [name, list] : record.prior["sids"].items()) {
      if (!list.is_array() || list.empty()) return Error{"invalid_state", "", record.resource.id, "recorded SIDs of " + name};
      for (const auto& text : list) {
        auto sid = text.is_string() ? ParseSid(text.get<std::string>())
                                    : Result<Sid>(Error{"invalid_state", "", name, "not a SID"});
        if (!sid.ok()) {
          return Error{"invalid_state", "", record.resource.id, "recorded SID of " + name + ": " + sid.error().message};
        }
        recorded[name].push_back(*sid);
      }
      most = std::max(most, recorded[name].size());
    }
  }
  // Never ensured (no SIDs recorded): nothing of sandboxctl's can be there.
  if (recorded.empty()) return Ok{};
  // The resource's ACEs once for every SID each trustee has had.
  std::vector<Ace> owned;
  for (size_t k = 0; k < most; ++k) {
    std::map<std::string, Sid> pick;
    for (const auto& [name, sids] : recorded) pick[name] = sids[std::min(k, sids.size() - 1)];
    auto aces = AcesWith(record.resource, pick);
    if (!aces.ok()) return aces.error();
    for (auto& a : *aces) {
      if (std::find(owned.begin(), owned.end(), a) == owned.end()) owned.push_back(std::move(a));
    }
  }
  // Exactly sandboxctl's ACEs come out: another grant on the same path (another
  // profile's user) keeps its own.
  bool changed = false;
  return RemoveAcesOnTree(g->path, owned, &changed, nullptr);
}

// --- Windows Firewall -----------------------------------------------------------------

Result<std::optional<FirewallRuleSpec>> WantedRule(const Resource& r) {
  auto user = AccountName(r, "principal");
  if (!user.ok()) return user.error();
  auto account = LookupLocalUser(*user);
  if (!account.ok()) return account.error();
  if (!*account) return std::optional<FirewallRuleSpec>{};
  auto spec = FirewallRuleOfResource(r.attributes, (*account)->sid);
  if (!spec.ok()) return spec.error();
  return std::optional<FirewallRuleSpec>(*spec);
}

Result<Observation> ObserveRule(const Resource& r) {
  const std::string name = Str(r.attributes, "name");
  auto found = ReadFirewallRule(name);
  if (!found.ok()) return found.error();
  Observation o;
  if (!*found) return o;
  // Rules are sandboxctl's by their name: destroy removes one found here.
  o.present = true;
  auto wanted = WantedRule(r);
  if (!wanted.ok()) return wanted.error();
  if (!*wanted) {
    o.detail = "its user does not exist";
    return o;
  }
  auto differ = FirewallRuleDifferences(**wanted, **found);
  o.in_sync = differ.empty();
  if (!o.in_sync) o.detail = "differs in " + Join(differ, ", ");
  return o;
}

Result<Ok> EnsureRule(const Resource& r) {
  // FirewallRuleOfResource checks the name is one of sandboxctl's ("sandboxctl ...").
  auto wanted = WantedRule(r);
  if (!wanted.ok()) return wanted.error();
  if (!*wanted) return Error{"host_error", "", r.id, "the rule's user does not exist yet"};
  if (auto enforced = CheckFirewallEnforcesLocalRules(); !enforced.ok()) return enforced;
  return EnsureFirewallRule(**wanted);
}

Result<Ok> RemoveRule(const OwnedRecord& record) {
  const std::string name = Str(record.resource.attributes, "name");
  if (name.rfind("sandboxctl ", 0) != 0) return BadPlan(record.resource, "rule name '" + name + "' is not sandboxctl's");
  return RemoveFirewallRule(name);
}

Error Unknown(const Resource& r) { return Error{"invalid_plan", "", r.id, "no Windows resource type '" + r.type + "'"}; }

}  // namespace

Result<std::string> LoadSandboxPassword(const StateStore& store, const std::string& user) {
  auto secret = store.LoadSecret(user);
  if (!secret.ok()) return secret.error();
  if (!*secret) return Error{"host_error", "", "sandbox user " + user, "no stored password"};
  return UnprotectSecret(**secret, PasswordLabel(user));
}

Result<std::optional<Sid>> ReadCapabilitySid(const WindowsHostConfig& config, const std::string& profile) {
  return CapabilityStore(config).Read(profile);
}

Result<Observation> WindowsHost::Observe(const Resource& r) {
  const CapabilityStore caps(config_);
  if (r.type == "ntfs_ace") return ObserveAces(r, caps);
  if (r.type == "local_user") return ObserveUser(r, *config_.store);
  if (r.type == "capability_sid") return ObserveCapability(r, caps);
  if (r.type == "directory") return ObserveDirectory(r);
  if (r.type == "firewall_rule") return ObserveRule(r);
  return Unknown(r);
}

Result<Ok> WindowsHost::Ensure(const Resource& r, const NotePrior& note_prior) {
  const CapabilityStore caps(config_);
  if (r.type == "ntfs_ace") return EnsureAcesOf(r, caps, note_prior);
  if (r.type == "local_user") return EnsureUser(r, *config_.store);
  if (r.type == "capability_sid") return EnsureCapability(r, caps);
  if (r.type == "directory") return EnsureDirectory(r);
  if (r.type == "firewall_rule") return EnsureRule(r);
  return Unknown(r);
}

Result<Ok> WindowsHost::Remove(const OwnedRecord& record) {
  const Resource& r = record.resource;
  const CapabilityStore caps(config_);
  if (r.type == "ntfs_ace") return RemoveAcesOf(record);
  if (r.type == "local_user") return RemoveUser(record, *config_.store);
  if (r.type == "capability_sid") return RemoveCapability(record, caps);
  if (r.type == "directory") return RemoveDirectoryOf(record);
  if (r.type == "firewall_rule") return RemoveRule(record);
  return Unknown(r);
}

}  // namespace sbx
