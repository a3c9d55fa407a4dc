#include "engine/os_windows/state_store.h"

#include <windows.h>
#include <aclapi.h>
#include <knownfolders.h>
#include <sddl.h>
#include <shlobj.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <thread>
#include <utility>

#include "engine/os_windows/text.h"

namespace sbx {

namespace fs = std::filesystem;

namespace {

constexpr const wchar_t* kStateFile = L"state.json";
constexpr const wchar_t* kProgressFile = L"background.json";
constexpr const wchar_t* kLockFile = L"lock";
constexpr const wchar_t* kSecretsDir = L"secrets";
// Owned by Administrators; a protected DACL (nothing inherited from the parent) that gives
// SYSTEM and Administrators full control and passes that on to everything made inside.
constexpr const wchar_t* kDirSddl = L"O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";
// A secret file gets the same, explicitly: it must not depend on what it would inherit.
constexpr const wchar_t* kSecretSddl = L"O:BAD:P(A;;FA;;;SY)(A;;FA;;;BA)";
// The other files: owned by Administrators whatever the policy for the default owner of
// what administrators make says, and the DACL they inherit from the directory.
constexpr const wchar_t* kFileSddl = L"O:BA";
constexpr size_t kMaxUserName = 20;

// ---- The pure check --------------------------------------------------------------------

Sid InteractiveGroupSid() { return Sid{1, 5, {4}}; }  // S-1-5-4
Sid LocalGroupSid() { return Sid{1, 2, {0}}; }        // S-1-2-0

Sid CreatorGroupSid() { return Sid{1, 3, {1}}; }  // S-1-3-1

// CREATOR OWNER, OWNER RIGHTS: stand for the owner, which must be trusted anyway, not for
// another account. Not CREATOR GROUP: it stands for the creator's primary group, which
// may be a group any user holds, so it counts as an untrusted trustee.
bool StandsForOwner(const Sid& sid) {
  return sid.authority == 3 && sid.subauthorities.size() == 1 &&
         (sid.subauthorities[0] == 0 || sid.subauthorities[0] == 4);
}

std::string NameOf(const Sid& sid) {
  if (sid == LocalSystemSid()) return "SYSTEM";
  if (sid == AdministratorsSid()) return "Administrators";
  if (sid == BuiltinUsersSid()) return "BUILTIN\\Users";
  if (sid == EveryoneSid()) return "Everyone";
  if (sid == AuthenticatedUsersSid()) return "Authenticated Users";
  if (sid == InteractiveGroupSid()) return "INTERACTIVE";
  if (sid == LocalGroupSid()) return "LOCAL";
  if (sid == CreatorGroupSid()) return "CREATOR GROUP";
  return FormatSid(sid);
}

// "SYSTEM and Administrators"; "A, B and C".
std::string NamesOf(const std::vector<Sid>& sids) {
  std::string out;
  for (size_t i = 0; i < sids.size(); ++i) {
    if (i > 0) out += i + 1 == sids.size() ? " and " : ", ";
    out += NameOf(sids[i]);
  }
  return out;
}

// An allow ACE with generic rights grants what they stand for: counted so here, so that the
// check errs on the side of refusing. (Deny ACEs are left as they are, for the same reason.)
std::vector<Ace> GenericRightsMapped(std::vector<Ace> aces) {
  for (Ace& a : aces) {
    if (!a.allow) continue;
    if (a.mask & ntfs::kGenericReadBit) a.mask |= ntfs::kGenericRead;
    if (a.mask & ntfs::kGenericWriteBit) a.mask |= ntfs::kGenericWrite;
    if (a.mask & ntfs::kGenericExecuteBit) a.mask |= ntfs::kGenericExecute;
    if (a.mask & ntfs::kGenericAllBit) a.mask |= ntfs::kFullControl;
  }
  return aces;
}

// Whether the token gets any one of the rights in `mask`.
bool AnyGranted(const std::vector<Ace>& aces, const std::vector<Sid>& token, uint32_t mask) {
  for (uint32_t bit = 1; bit != 0; bit <<= 1) {
    if ((mask & bit) && AccessGranted(aces, token, bit)) return true;
  }
  return false;
}

struct Concern {
  const std::vector<Ace>* aces;  // the DACL the rights are checked against
  uint32_t rights;
  std::string what;  // "may write this state directory"
};

std::string Noun(StoreItem item) {
  switch (item) {
    case StoreItem::kStateDir: return "state directory";
    case StoreItem::kSecretsDir: return "secrets directory";
    case StoreItem::kStateFile: return "state file";
    case StoreItem::kSecretFile: return "secret";
    case StoreItem::kProgramDir: return "program's directory";
    case StoreItem::kProgram: return "program";
  }
  return "object";
}

}  // namespace

Result<Ok> CheckStoreSecurity(const std::string& path, StoreItem item, const Sid& owner, const Dacl& dacl,
                              const std::vector<Sid>& trusted) {
  const bool directory = item == StoreItem::kStateDir || item == StoreItem::kSecretsDir || item == StoreItem::kProgramDir;
  const bool secret = item == StoreItem::kSecretsDir || item == StoreItem::kSecretFile;
  const std::string noun = Noun(item), only = "; only " + NamesOf(trusted) + " may";
  auto is_trusted = [&](const Sid& sid) { return std::find(trusted.begin(), trusted.end(), sid) != trusted.end(); };
  auto refuse = [&](const std::string& why) { return Error{"untrusted_state", "", path, why}; };

  // The owner may always change the DACL, whatever it says.
  if (!is_trusted(owner)) return refuse("this " + noun + " is owned by " + NameOf(owner) + only + " own it");
  if (!dacl) return refuse("this " + noun + " has no DACL, so everyone may change it" + only);
  // Windows evaluates ACEs of other types (a conditional allow ACE, an object ACE) and the
  // model here does not, so none may be there.
  for (const Ace& a : *dacl) {
    if (!a.other.empty()) {
      return refuse("this " + noun +
                    " has an ACE that is not a plain allow or deny ACE (a conditional or object ACE, which "
                    "Windows evaluates and sandboxctl cannot check)");
    }
  }

  const std::vector<Ace> self = GenericRightsMapped(*dacl);
  // What the files sandboxctl makes inside will have (they take the directory's inherited
  // ACEs; the creator, whom CREATOR OWNER stands for, is sandboxctl).
  const std::vector<Ace> files = directory ? InheritedAces(self, false) : std::vector<Ace>{};
  constexpr uint32_t kWrite = ntfs::kWriteData | ntfs::kAppendData | ntfs::kWriteEa | ntfs::kWriteAttributes;
  std::vector<Concern> concerns;
  if (secret && !directory) concerns.push_back({&self, ntfs::kReadData, "may read this " + noun});
  concerns.push_back({&self, kWrite, "may write this " + noun});
  if (directory) concerns.push_back({&self, ntfs::kDeleteChild, "may delete what is in this " + noun});
  concerns.push_back({&self, ntfs::kDelete, "may delete or rename this " + noun});
  concerns.push_back({&self, ntfs::kWriteDac, "may change the permissions of this " + noun});
  concerns.push_back({&self, ntfs::kWriteOwner, "may take ownership of this " + noun});
  if (directory) {
    if (secret) concerns.push_back({&files, ntfs::kReadData, "may read the files made in this " + noun});
    concerns.push_back({&files, kWrite | ntfs::kDelete | ntfs::kWriteDac | ntfs::kWriteOwner,
                        "may change the files made in this " + noun});
  }

  // Every user holds these groups; any other account or group the DACL names may be one
  // of them too.
  const std::vector<Sid> groups = {EveryoneSid(), AuthenticatedUsersSid(), BuiltinUsersSid(), InteractiveGroupSid(),
                                   LocalGroupSid()};
  std::vector<Sid> others;
  for (const std::vector<Ace>* aces : {&self, &files}) {
    for (const Ace& a : *aces) {
      if (!a.allow || !a.other.empty() || is_trusted(a.trustee) || StandsForOwner(a.trustee)) continue;
      if (std::find(groups.begin(), groups.end(), a.trustee) != groups.end()) continue;
      if (std::find(others.begin(), others.end(), a.trustee) == others.end()) others.push_back(a.trustee);
    }
  }
  for (const Concern& c : concerns) {
    if (AnyGranted(*c.aces, groups, c.rights)) {
      // Named by the group whose ACE it is (all of them together when it takes more).
      std::string who = "every user";
      for (const Sid& g : groups) {
        if (AnyGranted(*c.aces, {g}, c.rights)) {
          who = NameOf(g);
          break;
        }
      }
      return refuse(who + " " + c.what + only);
    }
    for (const Sid& o : others) {
      std::vector<Sid> token = groups;
      token.push_back(o);
      if (AnyGranted(*c.aces, token, c.rights)) return refuse(NameOf(o) + " " + c.what + only);
    }
  }
  return Ok{};
}

namespace {

// ---- Win32 -----------------------------------------------------------------------------

// A HANDLE, closed when it goes.
class Handle {
 public:
  Handle() = default;
  explicit Handle(HANDLE h) : h_(h == INVALID_HANDLE_VALUE ? nullptr : h) {}
  Handle(Handle&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
  Handle& operator=(Handle&&) = delete;
  ~Handle() { Reset(); }
  bool valid() const { return h_ != nullptr; }
  HANDLE get() const { return h_; }
  HANDLE Release() { return std::exchange(h_, nullptr); }
  void Reset() {
    if (h_) CloseHandle(std::exchange(h_, nullptr));
  }

 private:
  HANDLE h_ = nullptr;
};

// Memory the Windows API hands out with LocalAlloc.
struct LocalFreer {
  void operator()(void* p) const { LocalFree(p); }
};
using LocalMemory = std::unique_ptr<void, LocalFreer>;

std::string Show(const fs::path& path) { return Utf8(path.wstring()); }

Error Failed(const char* call, const fs::path& object, DWORD code) { return Win32Failed(call, Show(object), code); }

bool IsMissing(DWORD code) { return code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND; }

Result<LocalMemory> Descriptor(const wchar_t* sddl, const fs::path& object) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd, nullptr)) {
    return Failed("ConvertStringSecurityDescriptorToSecurityDescriptorW", object, GetLastError());
  }
  return LocalMemory(sd);
}

// The object open at `h` is what `item` says it is (a real directory or a plain file, never
// a junction or symbolic link), and its owner and DACL pass CheckStoreSecurity.
Result<Ok> CheckOpened(HANDLE h, const fs::path& path, StoreItem item, const std::vector<Sid>& trusted) {
  const bool directory = item == StoreItem::kStateDir || item == StoreItem::kSecretsDir || item == StoreItem::kProgramDir;
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(h, &info)) return Failed("GetFileInformationByHandle", path, GetLastError());
  if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
    return Error{"untrusted_state", "", Show(path),
                 "is a junction or symbolic link; the " + Noun(item) + " must be the real " +
                     (directory ? "directory" : "file")};
  }
  if (directory != ((info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0)) {
    return Error{"untrusted_state", "", Show(path), directory ? "is not a directory" : "is a directory"};
  }
  PSID owner = nullptr;
  PACL acl = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  const DWORD rc = GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner,
                                   nullptr, &acl, nullptr, &sd);
  if (rc != ERROR_SUCCESS) return Failed("GetSecurityInfo", path, rc);
  LocalMemory hold(sd);
  if (!owner || !IsValidSid(owner)) return Error{"untrusted_state", "GetSecurityInfo", Show(path), "has no owner"};
  auto owner_sid = SidFromBytes(static_cast<const uint8_t*>(owner), GetLengthSid(owner));
  if (!owner_sid.ok()) return Error{"host_error", "GetSecurityInfo", Show(path), owner_sid.error().message};
  Dacl dacl;
  if (acl) {
    auto aces = AclFromBytes(reinterpret_cast<const uint8_t*>(acl), acl->AclSize);
    if (!aces.ok()) return Error{"host_error", "GetSecurityInfo", Show(path), aces.error().message};
    dacl = *aces;
  }
  return CheckStoreSecurity(Show(path), item, *owner_sid, dacl, trusted);
}

// Makes the directory when `create` (the last component only) with kDirSddl, then opens
// it itself (not what a reparse point there leads to) and checks it. False when it is not
// there and not to be made.
Result<bool> EnsureStoreDir(const fs::path& dir, StoreItem item, const std::vector<Sid>& trusted, bool create) {
  if (create) {
    auto sd = Descriptor(kDirSddl, dir);
    if (!sd.ok()) return sd.error();
    SECURITY_ATTRIBUTES attributes{sizeof attributes, sd->get(), FALSE};
    if (!CreateDirectoryW(dir.c_str(), &attributes)) {
      const DWORD err = GetLastError();
      if (err != ERROR_ALREADY_EXISTS) return Failed("CreateDirectoryW", dir, err);
    }
  }
  Handle h(CreateFileW(dir.c_str(), READ_CONTROL | FILE_READ_ATTRIBUTES,
                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                       FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
  if (!h.valid()) {
    const DWORD err = GetLastError();
    if (!create && IsMissing(err)) return false;
    return Failed("CreateFileW", dir, err);
  }
  if (auto checked = CheckOpened(h.get(), dir, item, trusted); !checked.ok()) return checked.error();
  return true;
}

// The whole file; nullopt when it (or its directory) is not there. The file itself is
// read, never what a reparse point there leads to; with `item`, it is checked first.
// Shared for deletion: that lets Save's POSIX-semantics rename (FileRenameInfoEx, see
// WriteAtomically) replace it while it is read. It does not help MoveFileExW, the
// fallback where that rename is not supported: that fails with access denied while the
// file is open.
Result<std::optional<std::string>> ReadStoreFile(const fs::path& path, std::optional<StoreItem> item,
                                                 const std::vector<Sid>& trusted) {
  Handle h(CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                       FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
  if (!h.valid()) {
    const DWORD err = GetLastError();
    if (IsMissing(err)) return std::optional<std::string>{};
    return Failed("CreateFileW", path, err);
  }
  if (item) {
    if (auto checked = CheckOpened(h.get(), path, *item, trusted); !checked.ok()) return checked.error();
  }
  std::string text;
  char buf[65536];
  for (;;) {
    DWORD n = 0;
    if (!ReadFile(h.get(), buf, sizeof buf, &n, nullptr)) return Failed("ReadFile", path, GetLastError());
    if (n == 0) break;
    text.append(buf, n);
  }
  return std::optional<std::string>{std::move(text)};
}

// Whether SetFileInformationByHandle refused an information class it does not know (Windows
// before 10 1607, Wine) rather than the request.
bool NotSupported(DWORD err) {
  return err == ERROR_INVALID_PARAMETER || err == ERROR_NOT_SUPPORTED || err == ERROR_INVALID_FUNCTION;
}

// FileRenameInfoEx (22 in FILE_INFO_BY_HANDLE_CLASS) and its flags, Windows 10 1607 and
// later; mingw-w64 declares the class only for a _WIN32_WINNT above the one this build
// uses. The flags take the place of FILE_RENAME_INFO's ReplaceIfExists: a DWORD at its
// start (the structure's layout is the same either way).
constexpr auto kFileRenameInfoEx = static_cast<FILE_INFO_BY_HANDLE_CLASS>(22);
constexpr DWORD kRenameReplaceIfExists = 0x00000001, kRenamePosixSemantics = 0x00000002;
static_assert(offsetof(FILE_RENAME_INFO, RootDirectory) >= sizeof(DWORD));

// Renames the open file `h` to `path`, replacing what is there with POSIX semantics: a
// reader's open handle (shared for deletion) keeps reading the old file, and the name is
// the new file's at once. False, with nothing done, when Windows does not support that.
Result<bool> RenameOverByHandle(HANDLE h, const fs::path& path) {
  const std::wstring target = path.wstring();
  const size_t name_bytes = target.size() * sizeof(wchar_t);
  // 8-byte aligned, as the structure (it holds a HANDLE) is; the name with its NUL.
  std::vector<ULONGLONG> buffer((offsetof(FILE_RENAME_INFO, FileName) + name_bytes + sizeof(wchar_t)) /
                                    sizeof(ULONGLONG) + 1);
  auto* rename = reinterpret_cast<FILE_RENAME_INFO*>(buffer.data());
  const DWORD flags = kRenameReplaceIfExists | kRenamePosixSemantics;
  std::memcpy(buffer.data(), &flags, sizeof flags);
  rename->RootDirectory = nullptr;
  rename->FileNameLength = static_cast<DWORD>(name_bytes);
  std::memcpy(rename->FileName, target.c_str(), name_bytes + sizeof(wchar_t));
  if (SetFileInformationByHandle(h, kFileRenameInfoEx, rename, static_cast<DWORD>(buffer.size() * sizeof(ULONGLONG)))) {
    return true;
  }
  const DWORD err = GetLastError();
  if (NotSupported(err)) return false;
  return Failed("SetFileInformationByHandle(FileRenameInfoEx)", path, err);
}

// <path>.tmp written through and flushed, then renamed over `path` through its own handle
// (RenameOverByHandle), or, where Windows cannot do that, by MoveFileExW: a reader sees
// the old file or the new one, never a part. The rename itself is a change of directory
// metadata that NTFS journals: after a crash the file is the old one or the new one, but
// the new one may be lost (MOVEFILE_WRITE_THROUGH only makes a move across volumes, a copy,
// wait for the disk). A stale temporary file is removed first, so that the new one is made
// afresh, with the descriptor `sddl`. Any failure removes it.
Result<Ok> WriteAtomically(const fs::path& path, std::string_view bytes, const wchar_t* sddl) {
  const fs::path tmp = path.wstring() + L".tmp";
  auto sd = Descriptor(sddl, tmp);
  if (!sd.ok()) return sd.error();
  SECURITY_ATTRIBUTES attributes{sizeof attributes, sd->get(), FALSE};
  if (!DeleteFileW(tmp.c_str())) {
    const DWORD err = GetLastError();
    if (!IsMissing(err)) return Failed("DeleteFileW", tmp, err);
  }
  // DELETE: the right to rename it.
  Handle h(CreateFileW(tmp.c_str(), GENERIC_WRITE | DELETE, 0, &attributes, CREATE_NEW,
                       FILE_ATTRIBUTE_NORMAL | FILE_FLAG_WRITE_THROUGH, nullptr));
  if (!h.valid()) return Failed("CreateFileW", tmp, GetLastError());
  auto fail = [&](const char* call, const fs::path& object, DWORD err) {
    h.Reset();
    DeleteFileW(tmp.c_str());
    return Failed(call, object, err);
  };
  size_t done = 0;
  while (done < bytes.size()) {
    const DWORD chunk = static_cast<DWORD>(std::min<size_t>(bytes.size() - done, 1u << 20));
    DWORD n = 0;
    if (!WriteFile(h.get(), bytes.data() + done, chunk, &n, nullptr)) return fail("WriteFile", tmp, GetLastError());
    if (n == 0) return fail("WriteFile", tmp, ERROR_WRITE_FAULT);
    done += n;
  }
  if (!FlushFileBuffers(h.get())) return fail("FlushFileBuffers", tmp, GetLastError());
  auto renamed = RenameOverByHandle(h.get(), path);
  if (!renamed.ok()) {
    h.Reset();
    DeleteFileW(tmp.c_str());
    return renamed.error();
  }
  h.Reset();
  if (*renamed) return Ok{};
  if (!MoveFileExW(tmp.c_str(), path.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    return fail("MoveFileExW", path, GetLastError());
  }
  return Ok{};
}

Error ReadOnly(const fs::path& dir) { return Error{"host_error", "", Show(dir), "state opened read-only"}; }

// A sandbox user's name as a file name: what Windows allows for the accounts sandboxctl
// makes, and nothing that could leave the secrets directory or name a device.
Result<Ok> CheckUserName(const std::string& user) {
  std::string shown;
  for (char c : user.substr(0, 40)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
  auto refuse = [&](const std::string& why) {
    return Error{"invalid_name", "", "sandbox user '" + shown + "'", why};
  };
  if (user.empty() || user.size() > kMaxUserName) return refuse("a user name has 1 to 20 characters");
  for (char c : user) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    if (!ok) return refuse("a user name has only letters, digits, '-', '_' and '.'");
  }
  if (user.find_first_not_of('.') == std::string::npos) return refuse("a user name is not only dots");
  std::string upper;
  for (char c : user) upper += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  const bool device = upper == "CON" || upper == "PRN" || upper == "AUX" || upper == "NUL" ||
                      (upper.size() == 4 && (upper.rfind("COM", 0) == 0 || upper.rfind("LPT", 0) == 0) &&
                       upper[3] >= '0' && upper[3] <= '9');
  if (device) return refuse("is the name of a Windows device");
  return Ok{};
}

fs::path SecretPath(const fs::path& dir, const std::string& user) {
  return dir / kSecretsDir / (Wide(user) + L".bin");
}

}  // namespace

Result<Ok> CheckOpenedSecurity(void* handle, const fs::path& path, StoreItem item, const std::vector<Sid>& trusted) {
  return CheckOpened(static_cast<HANDLE>(handle), path, item, trusted);
}

fs::path DefaultStateDir() {
  fs::path base = L"C:\\ProgramData";
  PWSTR known = nullptr;
  if (SUCCEEDED(SHGetKnownFolderPath(FOLDERID_ProgramData, KF_FLAG_DEFAULT, nullptr, &known)) && known && *known) {
    base = known;
  }
  CoTaskMemFree(known);  // also after a failure
  return base / L"sandboxctl";
}

Result<StateStore> StateStore::Open(const fs::path& dir, bool lock, std::chrono::seconds timeout,
                                    const std::function<void()>& waiting, const std::vector<Sid>& trusted) {
  // Only state that SYSTEM and Administrators alone can change may steer an elevated run.
  auto there = EnsureStoreDir(dir, StoreItem::kStateDir, trusted, lock);
  if (!there.ok()) return there.error();
  if (!lock) return StateStore(dir, nullptr, trusted);
  const fs::path lock_path = dir / kLockFile;
  // Not shared for deletion: the lock file stays where it is while it is held.
  Handle held(CreateFileW(lock_path.c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                          nullptr, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
  if (!held.valid()) return Failed("CreateFileW", lock_path, GetLastError());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool told = false;
  for (;;) {
    OVERLAPPED whole{};  // the lock covers the largest range, from offset 0
    if (LockFileEx(held.get(), LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, MAXDWORD, MAXDWORD, &whole)) {
      break;
    }
    const DWORD err = GetLastError();
    if (err != ERROR_LOCK_VIOLATION) return Failed("LockFileEx", lock_path, err);
    if (!told && waiting) waiting();
    told = true;
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error{"locked", "LockFileEx", Show(lock_path),
                   "another sandboxctl run still holds the lock after " + std::to_string(timeout.count()) + "s"};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return StateStore(dir, held.Release(), trusted);
}

StateStore::StateStore(StateStore&& other) noexcept
    : dir_(std::move(other.dir_)), lock_(std::exchange(other.lock_, nullptr)), trusted_(std::move(other.trusted_)) {}

StateStore::~StateStore() {
  if (!lock_) return;
  // Unlocked first: closing the handle releases the lock too, but not at once.
  OVERLAPPED whole{};
  UnlockFileEx(lock_, 0, MAXDWORD, MAXDWORD, &whole);
  CloseHandle(lock_);
}

Result<State> StateStore::Load() const {
  const fs::path path = dir_ / kStateFile;
  auto text = ReadStoreFile(path, StoreItem::kStateFile, trusted_);
  if (!text.ok()) return text.error();
  if (!*text) return State{};
  auto state = StateFromJson(**text);
  if (!state.ok()) {
    Error e = state.error();
    e.object = Show(path);
    return e;
  }
  return state;
}

Result<Ok> StateStore::Save(const State& state) const {
  if (!lock_) return ReadOnly(dir_);
  return WriteAtomically(dir_ / kStateFile, StateToJson(state), kFileSddl);
}

nlohmann::json StateStore::LoadProgress() const {
  auto text = ReadStoreFile(dir_ / kProgressFile, std::nullopt, trusted_);
  if (!text.ok() || !*text) return nullptr;
  nlohmann::json j = nlohmann::json::parse(**text, nullptr, false);
  return j.is_object() ? j : nlohmann::json(nullptr);
}

Result<Ok> StateStore::SaveProgress(const nlohmann::json& progress) const {
  return WriteAtomically(dir_ / kProgressFile, progress.dump() + "\n", kFileSddl);
}

void StateStore::ClearProgress() const { DeleteFileW((dir_ / kProgressFile).c_str()); }

Result<Ok> StateStore::SaveSecret(const std::string& user, const std::vector<uint8_t>& blob) const {
  if (auto valid = CheckUserName(user); !valid.ok()) return valid.error();
  if (!lock_) return ReadOnly(dir_);
  auto made = EnsureStoreDir(dir_ / kSecretsDir, StoreItem::kSecretsDir, trusted_, true);
  if (!made.ok()) return made.error();
  return WriteAtomically(SecretPath(dir_, user),
                         std::string_view(reinterpret_cast<const char*>(blob.data()), blob.size()), kSecretSddl);
}

Result<std::optional<std::vector<uint8_t>>> StateStore::LoadSecret(const std::string& user) const {
  using Blob = std::optional<std::vector<uint8_t>>;
  if (auto valid = CheckUserName(user); !valid.ok()) return valid.error();
  auto there = EnsureStoreDir(dir_ / kSecretsDir, StoreItem::kSecretsDir, trusted_, false);
  if (!there.ok()) return there.error();
  if (!*there) return Blob{};
  auto bytes = ReadStoreFile(SecretPath(dir_, user), StoreItem::kSecretFile, trusted_);
  if (!bytes.ok()) return bytes.error();
  if (!*bytes) return Blob{};
  return Blob{std::vector<uint8_t>((*bytes)->begin(), (*bytes)->end())};
}

Result<Ok> StateStore::RemoveSecret(const std::string& user) const {
  if (auto valid = CheckUserName(user); !valid.ok()) return valid.error();
  if (!lock_) return ReadOnly(dir_);
  auto there = EnsureStoreDir(dir_ / kSecretsDir, StoreItem::kSecretsDir, trusted_, false);
  if (!there.ok()) return there.error();
  if (!*there) return Ok{};
  const fs::path path = SecretPath(dir_, user);
  if (!DeleteFileW(path.c_str())) {
    const DWORD err = GetLastError();
    if (!IsMissing(err)) return Failed("DeleteFileW", path, err);
  }
  return Ok{};
}

}  // namespace sbx
