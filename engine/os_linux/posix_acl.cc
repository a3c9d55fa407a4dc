#include "engine/os_linux/accounts.h"
#include "engine/os_linux/files.h"
#include "engine/os_linux/sys_error.h"
#include "engine/os_linux/posix_acl.h"

#include <acl/libacl.h>
#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <sys/acl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "engine/core/names.h"
#include "engine/core/strings.h"

namespace sbx {
namespace {

constexpr const char* kSandboxComment = "sandboxctl sandbox user";

struct Perm {
  bool r = false, w = false, x = false, cap_x = false;  // cap_x: 'X', execute for directories and executables
};

struct Grant {
  std::string id, path, principal;
  uid_t uid = 0;
  bool subtree = false;
  bool only_if_needed = false;
  bool read_only_grant = false;  // access "read": nothing to do where "other" may read
  bool restricts = false;        // deny_write, deny_read: the entry takes access away
  bool writes = false;           // access "write": the sandbox user may have made files there
  std::set<std::string> except;
  std::optional<Perm> access, dflt;
};

std::optional<Perm> ParsePerm(const std::string& text) {
  if (text.size() != 3) return std::nullopt;
  Perm p;
  if (text[0] == 'r') p.r = true;
  else if (text[0] != '-') return std::nullopt;
  if (text[1] == 'w') p.w = true;
  else if (text[1] != '-') return std::nullopt;
  if (text[2] == 'x') p.x = true;
  else if (text[2] == 'X') p.cap_x = true;
  else if (text[2] != '-') return std::nullopt;
  return p;
}

bool IsSandboxAccount(uid_t uid) {
  static std::mutex mutex;
  static std::map<uid_t, bool> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(uid);
  if (it != cache.end()) return it->second;
  auto account = LookupUserById(uid);
  bool yes = account && account->gecos == kSandboxComment;
  if (account) cache[uid] = yes;  // an unknown uid may be created later: do not cache it
  return yes;
}

bool IsNormalAbsolute(const std::string& p) {
  return !p.empty() && p[0] == '/' && p.find("//") == std::string::npos && p.find("/./") == std::string::npos &&
         p.find("/../") == std::string::npos && (p.size() == 1 || p.back() != '/') &&
         !(p.size() >= 3 && p.compare(p.size() - 3, 3, "/..") == 0) && !(p.size() >= 2 && p.compare(p.size() - 2, 2, "/.") == 0);
}

constexpr uid_t kNoUser = static_cast<uid_t>(-1);

// With `allow_missing_user`, a grant whose user does not exist yet is read with uid
// kNoUser: it has no entry anywhere, and traverse or read grants may be known to need none.
Result<Grant> ReadGrant(const Resource& r, bool allow_missing_user = false) {
  const auto& a = r.attributes;
  auto bad = [&](const std::string& why) { return Error{"invalid_plan", "", r.id, why}; };
  Grant g;
  g.id = r.id;
  g.path = a.value("path", "");
  g.principal = a.value("principal", "");
  if (!IsNormalAbsolute(g.path)) return bad("not an absolute normal path");
  if (!IsValidUserName(g.principal)) return bad("bad principal");
  g.subtree = a.value("scope", "") == "subtree";
  g.only_if_needed = a.value("only_if_needed", false);
  g.read_only_grant = a.value("access", "") == "read";
  g.restricts = a.value("access", "") == "deny_write" || a.value("access", "") == "deny_read";
  g.writes = a.value("access", "") == "write";
  if (a.contains("except") && a["except"].is_array()) {
    for (const auto& e : a["except"]) {
      if (!e.is_string() || !IsNormalAbsolute(e.get<std::string>())) return bad("bad except path");
      g.except.insert(e.get<std::string>());
    }
  }
  auto entry = [&](const char* key) -> Result<std::optional<Perm>> {
    if (!a.contains(key) || !a[key].is_array()) return bad(std::string("'") + key + "' is not a list");
    if (a[key].empty()) return std::optional<Perm>();
    if (a[key].size() != 1 || !a[key][0].is_string()) return bad(std::string("'") + key + "' must hold one entry");
    const std::string text = a[key][0].get<std::string>();
    const std::string prefix = "user:" + g.principal + ":";
    if (!StartsWith(text, prefix)) return bad("entry '" + text + "' is not for " + g.principal);
    auto perm = ParsePerm(text.substr(prefix.size()));
    if (!perm) return bad("bad permissions in '" + text + "'");
    return std::optional<Perm>(*perm);
  };
  auto access = entry("acl");
  if (!access.ok()) return access.error();
  auto dflt = entry("default_acl");
  if (!dflt.ok()) return dflt.error();
  g.access = *access;
  g.dflt = *dflt;
  auto account = LookupUser(g.principal);
  if (!account && !allow_missing_user) return Error{"host_error", "getpwnam", g.principal, "no such user"};
  g.uid = account ? account->uid : kNoUser;
  return g;
}

// --- ACL helpers --------------------------------------------------------------------

class Acl {
 public:
  explicit Acl(acl_t acl = nullptr) : acl_(acl) {}
  ~Acl() {
    if (acl_) acl_free(acl_);
  }
  Acl(const Acl&) = delete;
  Acl& operator=(const Acl&) = delete;
  Acl& operator=(acl_t acl) {
    if (acl_) acl_free(acl_);
    acl_ = acl;
    return *this;
  }
  acl_t get() const { return acl_; }
  acl_t* ptr() { return &acl_; }
  explicit operator bool() const { return acl_ != nullptr; }

 private:
  acl_t acl_;
};

Perm PermOf(acl_entry_t e) {
  acl_permset_t ps = nullptr;
  acl_get_permset(e, &ps);
  Perm p;
  p.r = acl_get_perm(ps, ACL_READ) == 1;
  p.w = acl_get_perm(ps, ACL_WRITE) == 1;
  p.x = acl_get_perm(ps, ACL_EXECUTE) == 1;
  return p;
}

void SetPerm(acl_entry_t e, const Perm& p) {
  acl_permset_t ps = nullptr;
  acl_get_permset(e, &ps);
  acl_clear_perms(ps);
  if (p.r) acl_add_perm(ps, ACL_READ);
  if (p.w) acl_add_perm(ps, ACL_WRITE);
  if (p.x) acl_add_perm(ps, ACL_EXECUTE);
  acl_set_permset(e, ps);
}

bool SamePerm(const Perm& a, const Perm& b) { return a.r == b.r && a.w == b.w && a.x == b.x; }
std::string PermText(const Perm& p) { return std::string(p.r ? "r" : "-") + (p.w ? "w" : "-") + (p.x ? "x" : "-"); }

struct Summary {
  std::optional<acl_entry_t> mine;  // the entry for the grant's uid
  std::optional<acl_entry_t> mask;
  int named = 0;                    // ACL_USER and ACL_GROUP entries
  int sandbox = 0;                  // named entries of sandbox accounts
  int entries = 0;
};

Summary Summarize(acl_t acl, uid_t uid) {
  Summary s;
  acl_entry_t e = nullptr;
  for (int id = ACL_FIRST_ENTRY; acl_get_entry(acl, id, &e) == 1; id = ACL_NEXT_ENTRY) {
    ++s.entries;
    acl_tag_t tag = ACL_UNDEFINED_TAG;
    acl_get_tag_type(e, &tag);
    if (tag == ACL_MASK) s.mask = e;
    if (tag == ACL_USER || tag == ACL_GROUP) ++s.named;
    if (tag == ACL_USER) {
      auto* q = static_cast<uid_t*>(acl_get_qualifier(e));
      if (q) {
        if (*q == uid) s.mine = e;
        if (IsSandboxAccount(*q)) ++s.sandbox;
        acl_free(q);
      }
    }
  }
  return s;
}

// rwX as chmod reads it: x on a directory, or on a file someone may execute. A file's
// group bits are its ACL's mask, which says nothing of that: only the owner's and
// others' x count.
Perm Want(const Perm& p, bool is_dir, mode_t mode) {
  Perm w = p;
  w.x = p.x || (p.cap_x && (is_dir || (mode & (S_IXUSR | S_IXOTH))));
  w.cap_x = false;
  return w;
}

// The entry for `uid` gives exactly `want`, as the kernel reads it: the entry limited by
// the mask. A file the sandbox made under a default `rwx` entry keeps `rwx` with the mask
// its mode gave (`rw-` for a plain file), which is what `rwX` asks of a file that is not
// executable: in sync, and never "repaired" by widening the mask.
bool EntryInSync(acl_t acl, uid_t uid, const Perm& want) {
  if (!acl) return false;
  Summary s = Summarize(acl, uid);
  if (!s.mine) return false;
  Perm have = PermOf(*s.mine);
  if (s.mask) {
    const Perm m = PermOf(*s.mask);
    have = Perm{have.r && m.r, have.w && m.w, have.x && m.x};
  }
  return SamePerm(have, want);
}

// A fresh default ACL starts from the directory's access ACL base entries.
acl_t NewDefaultFrom(acl_t access) {
  acl_t d = acl_init(4);
  acl_entry_t e = nullptr;
  for (int id = ACL_FIRST_ENTRY; acl_get_entry(access, id, &e) == 1; id = ACL_NEXT_ENTRY) {
    acl_tag_t tag = ACL_UNDEFINED_TAG;
    acl_get_tag_type(e, &tag);
    if (tag != ACL_USER_OBJ && tag != ACL_GROUP_OBJ && tag != ACL_OTHER) continue;
    acl_entry_t copy = nullptr;
    acl_create_entry(&d, &copy);
    acl_copy_entry(copy, e);
  }
  return d;
}

// Sets `uid`'s entry to `want`. A directory's mask becomes the union of its group class
// (acl_calc_mask). A plain file's mask only gains what `want` needs: the union would also
// let in what other entries hold and the mask had kept out (a group::r-x inherited from a
// directory's default ACL made a build's object files group-executable, and then look
// executable to rwX, so each apply wanted another change).
bool SetEntry(acl_t* acl, uid_t uid, const Perm& want, bool plain_file = false) {
  Summary s = Summarize(*acl, uid);
  std::optional<Perm> mask_before;
  if (plain_file && s.mask) mask_before = PermOf(*s.mask);
  acl_entry_t e = nullptr;
  if (s.mine) {
    e = *s.mine;
  } else {
    if (acl_create_entry(acl, &e) != 0) return false;
    acl_set_tag_type(e, ACL_USER);
    acl_set_qualifier(e, &uid);
  }
  SetPerm(e, want);
  if (acl_calc_mask(acl) != 0) return false;
  if (mask_before) {
    Summary after = Summarize(*acl, uid);
    const Perm m = *mask_before;
    if (after.mask) SetPerm(*after.mask, Perm{m.r || want.r, m.w || want.w, m.x || want.x});
  }
  return true;
}

// --- access ACLs of files, by name ----------------------------------------------------
//
// From Linux 6.13 on, getxattrat/setxattrat read and write an extended attribute of a
// directory entry relative to the directory's descriptor, without following a symlink.
// For the files of a tree that saves an open, an fstat and a close per file: a converged
// re-apply makes one system call per file instead of four. libacl has no call taking a
// directory descriptor and a name, so the kernel's xattr form of an access ACL (a version
// header, then {tag, perm, id} entries in little endian, sorted by tag and id) is converted
// here. Older kernels answer ENOSYS and every file is opened as before.

#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#endif
#ifndef SYS_getxattrat
#define SYS_getxattrat 464
#endif

constexpr const char* kAccessXattr = "system.posix_acl_access";
constexpr const char* kDefaultXattr = "system.posix_acl_default";
constexpr uint32_t kXattrVersion = 2;
constexpr uint32_t kUndefinedId = 0xffffffff;

struct XattrArgs {  // struct xattr_args of the kernel
  uint64_t value;
  uint32_t size;
  uint32_t flags;
};

struct XattrEntry {
  uint16_t tag, perm;
  uint32_t id;
};

std::atomic<bool> by_name_available{true};

acl_t AclFromXattr(const char* data, size_t size) {
  uint32_t version = 0;
  if (size < sizeof version || (size - sizeof version) % sizeof(XattrEntry) != 0) {
    errno = EINVAL;
    return nullptr;
  }
  std::memcpy(&version, data, sizeof version);
  if (le32toh(version) != kXattrVersion) {
    errno = EINVAL;
    return nullptr;
  }
  const size_t count = (size - sizeof version) / sizeof(XattrEntry);
  Acl acl(acl_init(static_cast<int>(count)));
  for (size_t i = 0; acl && i < count; ++i) {
    XattrEntry x{};
    std::memcpy(&x, data + sizeof version + i * sizeof x, sizeof x);
    acl_entry_t e = nullptr;
    if (acl_create_entry(acl.ptr(), &e) != 0) return nullptr;
    const acl_tag_t tag = le16toh(x.tag);
    const uint16_t perm = le16toh(x.perm);
    acl_set_tag_type(e, tag);
    if (tag == ACL_USER || tag == ACL_GROUP) {
      const id_t id = le32toh(x.id);
      acl_set_qualifier(e, &id);
    }
    SetPerm(e, Perm{(perm & ACL_READ) != 0, (perm & ACL_WRITE) != 0, (perm & ACL_EXECUTE) != 0});
  }
  acl_t out = acl.get();
  *acl.ptr() = nullptr;
  return out;
}

std::string AclToXattr(acl_t acl) {
  std::vector<XattrEntry> entries;
  acl_entry_t e = nullptr;
  for (int id = ACL_FIRST_ENTRY; acl_get_entry(acl, id, &e) == 1; id = ACL_NEXT_ENTRY) {
    acl_tag_t tag = ACL_UNDEFINED_TAG;
    acl_get_tag_type(e, &tag);
    uint32_t qualifier = kUndefinedId;
    if (tag == ACL_USER || tag == ACL_GROUP) {
      auto* q = static_cast<id_t*>(acl_get_qualifier(e));
      if (q) {
        qualifier = *q;
        acl_free(q);
      }
    }
    Perm p = PermOf(e);
    const uint16_t perm = (p.r ? ACL_READ : 0) | (p.w ? ACL_WRITE : 0) | (p.x ? ACL_EXECUTE : 0);
    entries.push_back({static_cast<uint16_t>(tag), perm, qualifier});
  }
  std::sort(entries.begin(), entries.end(),
            [](const XattrEntry& a, const XattrEntry& b) { return a.tag != b.tag ? a.tag < b.tag : a.id < b.id; });
  std::string out(sizeof(uint32_t) + entries.size() * sizeof(XattrEntry), '\0');
  const uint32_t version = htole32(kXattrVersion);
  std::memcpy(out.data(), &version, sizeof version);
  for (size_t i = 0; i < entries.size(); ++i) {
    XattrEntry x{htole16(entries[i].tag), htole16(entries[i].perm), htole32(entries[i].id)};
    std::memcpy(out.data() + sizeof version + i * sizeof x, &x, sizeof x);
  }
  return out;
}

// The permission bits of a file that has an access ACL are in the ACL itself.
mode_t ModeFromAcl(acl_t acl) {
  mode_t user = 0, group = 0, mask = 0, other = 0;
  bool has_mask = false;
  acl_entry_t e = nullptr;
  for (int id = ACL_FIRST_ENTRY; acl_get_entry(acl, id, &e) == 1; id = ACL_NEXT_ENTRY) {
    acl_tag_t tag = ACL_UNDEFINED_TAG;
    acl_get_tag_type(e, &tag);
    Perm p = PermOf(e);
    const mode_t bits = (p.r ? 4 : 0) | (p.w ? 2 : 0) | (p.x ? 1 : 0);
    if (tag == ACL_USER_OBJ) user = bits;
    if (tag == ACL_GROUP_OBJ) group = bits;
    if (tag == ACL_MASK) mask = bits, has_mask = true;
    if (tag == ACL_OTHER) other = bits;
  }
  return S_IFREG | user << 6 | (has_mask ? mask : group) << 3 | other;
}

enum class ByName { kRead, kSkip, kUnavailable, kFailed };

// Reads the access ACL and the mode of the regular file `name` in `dirfd` (and its link
// count when it had to be looked up: else 0). kSkip: it is gone or is no regular file any
// more; kFailed: errno tells, `call` names the call.
ByName ReadByName(int dirfd, const char* name, Acl& access, mode_t* mode, nlink_t* nlink, const char** call) {
  if (!by_name_available.load(std::memory_order_relaxed)) return ByName::kUnavailable;
  char small[256];
  std::vector<char> large;
  char* buf = small;
  size_t size = sizeof small;
  long n = -1;
  for (;;) {
    XattrArgs args{reinterpret_cast<uintptr_t>(buf), static_cast<uint32_t>(size), 0};
    n = syscall(SYS_getxattrat, dirfd, name, AT_SYMLINK_NOFOLLOW, kAccessXattr, &args, sizeof args);
    if (n >= 0 || errno != ERANGE || large.size() > (1u << 20)) break;
    large.resize(std::max<size_t>(size * 4, 4096));  // grown meanwhile: ask again, larger
    buf = large.data();
    size = large.size();
  }
  *call = "getxattrat";
  if (n >= 0) {
    access = AclFromXattr(buf, static_cast<size_t>(n));
    if (!access) return ByName::kFailed;
    *mode = ModeFromAcl(access.get());
    return ByName::kRead;
  }
  if (errno == ENOSYS) {
    by_name_available = false;
    return ByName::kUnavailable;
  }
  if (errno == ENOENT) return ByName::kSkip;
  if (errno != ENODATA && errno != EOPNOTSUPP) return ByName::kFailed;
  const int why = errno;
  struct stat st {};
  *call = "fstatat";
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? ByName::kSkip : ByName::kFailed;
  if (!S_ISREG(st.st_mode)) return ByName::kSkip;  // swapped for a symlink or another kind meanwhile
  if (why == EOPNOTSUPP) {  // a file system without ACLs
    *call = "getxattrat";
    errno = why;
    return ByName::kFailed;
  }
  access = acl_from_mode(st.st_mode);
  *mode = st.st_mode;
  *nlink = st.st_nlink;
  return access ? ByName::kRead : ByName::kFailed;
}

// --- walking ------------------------------------------------------------------------

struct Node {
  const std::string& path;
  int fd = -1;             // the object itself, opened without following symlinks; or -1:
  int dirfd = -1;          //   the regular file `name` in `dirfd`, reached by name
  const char* name = nullptr;
  bool is_dir = false;
  mode_t mode = 0;
  bool noted = false;      // its prior value is saved: it may be changed now
  nlink_t nlink = 0;       // link count, 0 when not looked up yet
};

// Writes a node's access ACL, through its descriptor or by name.
Result<Ok> WriteAccess(const Node& n, acl_t acl) {
  if (n.fd >= 0) {
    if (acl_set_fd(n.fd, acl) != 0) return SysError("acl_set_fd", n.path, errno);
    return Ok{};
  }
  const std::string value = AclToXattr(acl);
  XattrArgs args{reinterpret_cast<uintptr_t>(value.data()), static_cast<uint32_t>(value.size()), 0};
  if (syscall(SYS_setxattrat, n.dirfd, n.name, AT_SYMLINK_NOFOLLOW, kAccessXattr, &args, sizeof args) != 0) {
    return SysError("setxattrat", n.path, errno);
  }
  return Ok{};
}

// A visit either is done with a node or defers it: the node holds something to restore
// that must be saved before the node is changed. The walk saves what the deferred nodes of
// a directory hold in one go (Flush), then visits them again, marked `noted`.
enum class Visited { kDone, kDeferred, kOpen };  // kOpen: visit again through a descriptor
// The walk reads each node's access ACL and hands it over; a visit that changes it writes
// it back with WriteAccess.
using Visit = std::function<Result<Visited>(const Node&, Acl& access)>;
using Flush = std::function<Result<Ok>()>;
using Entries = std::vector<std::pair<std::string, unsigned char>>;

// Opens a directory entry that readdir says is a regular file, for reading its ACL through
// the descriptor. O_NONBLOCK: if it was swapped for a FIFO meanwhile, the open does not
// hang (and fstat then shows it is not a regular file).
int OpenEntry(int dirfd, const std::string& name, unsigned char type, bool* is_dir) {
  *is_dir = type == DT_DIR;
  if (type == DT_DIR) return openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (type == DT_REG) {
    const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    int fd = openat(dirfd, name.c_str(), flags | O_NOATIME);  // root may; others only on their own files
    if (fd < 0 && errno == EPERM) fd = openat(dirfd, name.c_str(), flags);
    return fd;
  }
  return -2;  // not a file or directory: no grant
}

// Walks a grant's tree on one thread per CPU: the directories met are queued, each with
// its own descriptor, and any idle thread takes the next one, so a tree whose files sit
// under one deep subdirectory is spread as well as a flat one. The time goes to the
// kernel's ACL calls.
class Walker {
 public:
  Walker(const Grant& g, const Visit& visit, const Flush& flush) : g_(g), visit_(visit), flush_(flush) {}

  // Visits the grant's path (and its tree); `missing` tells whether the path exists at all.
  // changed() tells afterwards how many names the walk found changed since their
  // directory was listed: gone, or no longer of the type listed (traded for a link).
  // No component of the path may be a symbolic link, the last one included: a link
  // committed to a repository (`out -> ../../..`) must not carry a grant somewhere else,
  // nor a deny-read path that is a link be passed over, its target left readable through it.
  Result<Ok> Run(bool* missing) {
    *missing = false;
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_NO_SYMLINKS;
    int pathfd = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, g_.path.c_str(), &how, sizeof how));
    if (pathfd < 0) {
      if (errno == ENOENT) {
        *missing = true;
        return Ok{};
      }
      if (errno == ELOOP) {
        return Error{"host_error", "openat2", g_.path,
                     "passes through a symbolic link; name the real directory in the profile"};
      }
      return SysError("openat2", g_.path, errno);
    }
    struct stat st {};
    if (fstat(pathfd, &st) != 0) {
      close(pathfd);
      return SysError("fstat", g_.path, errno);
    }
    // The object itself, reopened from the path descriptor: a directory to list, a file
    // to read (without blocking, should it be a FIFO); nothing else carries a grant.
    int fd = -1;
    if (S_ISDIR(st.st_mode)) {
      fd = openat(pathfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } else if (S_ISREG(st.st_mode)) {
      fd = open(("/proc/self/fd/" + std::to_string(pathfd)).c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    } else {
      close(pathfd);
      return Ok{};
    }
    const int err = errno;
    close(pathfd);
    if (fd < 0) return SysError("open", g_.path, err);
    if (fstat(fd, &st) != 0) {
      close(fd);
      return SysError("fstat", g_.path, errno);
    }
    if (S_ISREG(st.st_mode)) {
      auto r = Opened(Node{g_.path, fd, -1, nullptr, false, st.st_mode, false, st.st_nlink});
      close(fd);
      return r;
    }
    if (!S_ISDIR(st.st_mode)) {
      close(fd);
      return Ok{};
    }
    if (!g_.subtree) {  // one directory: no threads
      auto r = Opened(Node{g_.path, fd, -1, nullptr, true, st.st_mode});
      close(fd);
      return r;
    }
    queue_.push_back({fd, g_.path, st});
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < std::max(2u, std::thread::hardware_concurrency()); ++t) threads.emplace_back([this] { Work(); });
    for (auto& t : threads) t.join();
    for (const auto& job : queue_) close(job.fd);  // left by a failure
    if (failed_) return *failed_;
    return Ok{};
  }

  size_t changed() const { return changed_; }

 private:
  struct Job {
    int fd = -1;
    std::string path;
    struct stat st {};
  };

  void Work() {
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return failed_ || !queue_.empty() || busy_ == 0; });
        if (failed_ || queue_.empty()) {
          wake_.notify_all();
          return;
        }
        job = std::move(queue_.front());
        queue_.pop_front();
        ++busy_;
      }
      auto r = Dir(job.fd, job.path, job.st);
      close(job.fd);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        --busy_;
        if (!r.ok() && !failed_) {
          failed_ = r.error();
          stop_ = true;
        }
      }
      wake_.notify_all();
    }
  }

  // Hands a directory over to the queue, unless enough are waiting (each holds a
  // descriptor): then the caller walks it itself.
  bool Offer(int fd, const std::string& path, const struct stat& st) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (queue_.size() >= kMaxQueued) return false;
      queue_.push_back({fd, path, st});
    }
    wake_.notify_one();
    return true;
  }

  // A node reached through its descriptor: visited, and again after a flush if deferred.
  Result<Ok> Opened(Node n) {
    for (;;) {
      Acl access(acl_get_fd(n.fd));
      if (!access) return SysError("acl_get_fd", n.path, errno);
      auto v = visit_(n, access);
      if (!v.ok()) return v.error();
      if (*v == Visited::kDone || n.noted) return Ok{};
      if (auto f = flush_(); !f.ok()) return f;
      n.noted = true;
    }
  }

  Result<Ok> Dir(int dirfd, const std::string& path, const struct stat& st) {
    if (stop_) return Ok{};  // another thread failed; its error is the one reported
    if (auto r = Opened(Node{path, dirfd, -1, nullptr, true, st.st_mode}); !r.ok()) return r;
    int dup_fd = dup(dirfd);
    if (dup_fd < 0) return SysError("dup", path, errno);
    DIR* dir = fdopendir(dup_fd);
    if (!dir) {
      close(dup_fd);
      return SysError("fdopendir", path, errno);
    }
    Entries names;
    while (dirent* e = readdir(dir)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      unsigned char type = e->d_type;
      if (type == DT_UNKNOWN) {  // file systems that do not say: ask, without following
        struct stat est {};
        if (fstatat(dirfd, n.c_str(), &est, AT_SYMLINK_NOFOLLOW) != 0) {
          ++changed_;
          continue;
        }
        type = S_ISDIR(est.st_mode) ? DT_DIR : S_ISREG(est.st_mode) ? DT_REG : DT_LNK;
      }
      names.emplace_back(n, type);
    }
    closedir(dir);
    return Children(dirfd, path, names);
  }

  Result<Ok> Children(int dirfd, const std::string& path, const Entries& names, bool noted = false) {
    Entries deferred;
    // Once a file read by name had to be opened to be changed, the files after it in the
    // directory are opened straight away (a first apply changes them all): each is read
    // once, through its descriptor, instead of by name and then again.
    bool open_first = false;
    for (const auto& entry : names) {
      const auto& [name, type] = entry;
      const std::string child = path == "/" ? "/" + name : path + "/" + name;
      if (g_.except.contains(child)) continue;
      if (type == DT_REG && !open_first) {
        Acl access;
        mode_t mode = 0;
        nlink_t nlink = 0;
        const char* call = "";
        switch (ReadByName(dirfd, name.c_str(), access, &mode, &nlink, &call)) {
          case ByName::kRead: {
            auto v = visit_(Node{child, -1, dirfd, name.c_str(), false, mode, noted, nlink}, access);
            if (!v.ok()) return v.error();
            if (*v == Visited::kDeferred && !noted) deferred.push_back(entry);
            if (*v != Visited::kOpen) continue;
            open_first = true;
            break;  // to be changed: through a descriptor, below
          }
          case ByName::kSkip:
            ++changed_;
            continue;
          case ByName::kFailed: return SysError(call, child, errno);
          case ByName::kUnavailable: break;  // an older kernel: open the file
        }
      }
      bool is_dir = false;
      int fd = OpenEntry(dirfd, name, type, &is_dir);
      if (fd == -2) continue;  // symlinks, sockets, FIFOs and devices carry no grant
      if (fd < 0) {
        if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR) return SysError("openat", child, errno);
        ++changed_;  // gone or swapped meanwhile
        continue;
      }
      struct stat cst {};
      Result<Ok> r = Ok{};
      if (fstat(fd, &cst) != 0) {
        r = SysError("fstat", child, errno);
      } else if (is_dir && S_ISDIR(cst.st_mode)) {
        if (Offer(fd, child, cst)) continue;  // the queue owns the descriptor now
        r = Dir(fd, child, cst);
      } else if (!is_dir && S_ISREG(cst.st_mode)) {
        r = Opened(Node{child, fd, -1, nullptr, false, cst.st_mode, noted, cst.st_nlink});
      } else {
        ++changed_;  // a directory now where a file was listed
      }
      close(fd);
      if (!r.ok()) return r;
    }
    if (deferred.empty()) return Ok{};
    if (auto f = flush_(); !f.ok()) return f;
    return Children(dirfd, path, deferred, /*noted=*/true);
  }

  static constexpr size_t kMaxQueued = 64;
  const Grant& g_;
  const Visit& visit_;
  const Flush& flush_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  size_t busy_ = 0;
  std::optional<Error> failed_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> changed_{0};
};

Result<Ok> NoFlush() { return Ok{}; }

Result<Ok> Walk(const Grant& g, const Visit& visit, bool* missing, const Flush& flush = NoFlush,
                size_t* changed = nullptr) {
  Walker walker(g, visit, flush);
  auto r = walker.Run(missing);
  if (changed) *changed = walker.changed();
  return r;
}

// A walk that changes entries, again while names change under it. A name that changed
// (gone, or traded for a link, after its directory was listed) may hide a part of the
// tree, moved to a name the walk had passed: given no entry, or its entry left in place.
// Neither may pass for done. Had apply given a directory the invoking user's default
// entry but not the sandbox user's, the next apply would take that entry for one that
// was there before, and destroy would leave a default ACL behind. What a walk changed
// already is in sync the next time and not written twice; a tree that keeps changing
// fails the step, with what it holds to restore recorded for the next run. `doing`
// says what the walk does, for the message.
Result<Ok> WalkUntilStill(const Grant& g, const Visit& visit, const std::string& doing, bool* missing,
                          const Flush& flush = NoFlush) {
  constexpr int kWalks = 3;
  size_t changed = 0;
  for (int walk = 0; walk < kWalks; ++walk) {
    auto r = Walk(g, visit, missing, flush, &changed);
    if (!r.ok() || changed == 0) return r;
  }
  return Error{"host_error", "", g.path,
               "changed while sandboxctl " + doing + ", " + std::to_string(kWalks) + " times (last time " +
                   std::to_string(changed) + " names were gone or had traded places with a link); nothing outside "
                   "it was changed, and what it holds to restore is recorded: run the command again once the tree "
                   "is still"};
}

// A regular file with more than one name may be linked from outside the granted tree (a
// key of the developer's, a file of another user's), and an entry written on it is
// written there too. It gets no entry that gives access (SharedFileGetsNothing); an entry
// that takes access away (deny_read, a carve-out's deny_write) still goes on, no wider
// than what "other" already allows, so that it gives nothing through the file's other
// names (WantAccess). The link count is looked up only where the entry is not already
// what a file with one name gets. Entries are written only through a descriptor of the
// file (a file read by name is opened and read again first), whose link count is the one
// that counts.
nlink_t LinkCount(const Node& n) {
  if (n.nlink) return n.nlink;
  struct stat st {};
  const int rc = n.fd >= 0 ? fstat(n.fd, &st) : fstatat(n.dirfd, n.name, &st, AT_SYMLINK_NOFOLLOW);
  return rc == 0 ? st.st_nlink : 2;  // unknown: as if shared
}

// Whether `uid` owns the node: its owner's rights are then the sandbox user's, whatever
// entry the node has.
bool OwnedBy(const Node& n, uid_t uid) {
  struct stat st {};
  const int rc = n.fd >= 0 ? fstat(n.fd, &st) : fstatat(n.dirfd, n.name, &st, AT_SYMLINK_NOFOLLOW);
  return rc == 0 && st.st_uid == uid;
}

bool Shared(const Grant& g, const Node& n, acl_t access) {
  return !n.is_dir && !EntryInSync(access, g.uid, Want(*g.access, false, n.mode)) && LinkCount(n) > 1;
}

bool SharedFileGetsNothing(const Grant& g, const Node& n, acl_t access) {
  return g.access && !g.restricts && Shared(g, n, access);
}

Perm OtherPerm(acl_t acl) {
  acl_entry_t e = nullptr;
  for (int id = ACL_FIRST_ENTRY; acl_get_entry(acl, id, &e) == 1; id = ACL_NEXT_ENTRY) {
    acl_tag_t tag = ACL_UNDEFINED_TAG;
    acl_get_tag_type(e, &tag);
    if (tag == ACL_OTHER) return PermOf(e);
  }
  return Perm{};
}

Perm WantAccess(const Grant& g, const Node& n, acl_t access) {
  Perm want = Want(*g.access, n.is_dir, n.mode);
  if (g.restricts && Shared(g, n, access)) {
    const Perm other = OtherPerm(access);
    want = Perm{want.r && other.r, want.w && other.w, want.x && other.x};
  }
  return want;
}

// Traverse grants are needed only where "other" cannot already search the directory.
// Where "other" already allows what a traverse or read grant gives, the sandbox user (in
// the other class, having no entry) needs nothing: world-readable trees get no read grants.
bool OtherSuffices(const Grant& g, const Node& n, acl_t access) {
  if (!g.only_if_needed && !g.read_only_grant) return false;
  if (Summarize(access, g.uid).mine) return false;
  if (g.only_if_needed) return n.mode & S_IXOTH;
  return (n.mode & S_IROTH) && (!n.is_dir || (n.mode & S_IXOTH));
}

// What a node holds that destroy must put back: a mask narrowed by hand, a default ACL
// that was already there, the invoking user's default entry that was already there.
// Nodes that carry a sandbox account's entry have been changed by sandboxctl before and
// hold nothing new to record.
struct Prior {
  std::optional<std::string> narrowed;
  bool had_default = false, entry_existed = false;
  bool Any() const { return narrowed || had_default || entry_existed; }
};

// `dflt`: the node's default ACL where the grant sets default entries, else null.
Prior PriorOf(const Grant& g, acl_t access, acl_t dflt) {
  Prior p;
  Summary s = Summarize(access, g.uid);
  if (s.sandbox == 0 && s.mask) {
    Acl calc(acl_dup(access));
    acl_calc_mask(calc.ptr());
    Summary c = Summarize(calc.get(), g.uid);
    if (c.mask && !SamePerm(PermOf(*c.mask), PermOf(*s.mask))) p.narrowed = PermText(PermOf(*s.mask));
  }
  if (dflt) {
    Summary d = Summarize(dflt, g.uid);
    p.had_default = d.entries > 0 && d.sandbox == 0;
    p.entry_existed = !IsSandboxAccount(g.uid) && d.mine && d.sandbox == 0;
  }
  return p;
}

// The prior values met by a walk (on several threads), as the grant's record keeps them.
class PriorList {
 public:
  void Add(const std::string& path, const Prior& p) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (p.narrowed) masks_[path] = *p.narrowed;
    if (p.had_default) had_default_.insert(path);
    if (p.entry_existed) entry_existed_.insert(path);
  }
  bool Empty() {
    std::lock_guard<std::mutex> lock(mutex_);
    return masks_.empty() && had_default_.empty() && entry_existed_.empty();
  }
  // Sorted: the threads of a walk meet the paths in any order.
  nlohmann::json Take() {
    std::lock_guard<std::mutex> lock(mutex_);
    nlohmann::json j = {{"masks", masks_}, {"had_default", had_default_}, {"entry_existed", entry_existed_}};
    masks_.clear();
    had_default_.clear();
    entry_existed_.clear();
    return j;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::string> masks_;
  std::set<std::string> had_default_, entry_existed_;
};

// Default ACLs of directories, through the directory's descriptor: an empty ACL when it
// has none, as libacl gives it.
Result<Acl*> ReadDefault(const Node& n, Acl& dflt) {
  std::vector<char> buf(256);
  ssize_t size = 0;
  while ((size = fgetxattr(n.fd, kDefaultXattr, buf.data(), buf.size())) < 0 && errno == ERANGE &&
         buf.size() < (1u << 20)) {
    buf.resize(buf.size() * 4);
  }
  if (size < 0 && errno != ENODATA) return SysError("fgetxattr", n.path, errno);
  dflt = size < 0 ? acl_init(0) : AclFromXattr(buf.data(), static_cast<size_t>(size));
  if (!dflt) return SysError("fgetxattr", n.path, errno);
  return &dflt;
}

Result<Ok> WriteDefault(const Node& n, acl_t dflt) {
  const std::string value = AclToXattr(dflt);
  if (fsetxattr(n.fd, kDefaultXattr, value.data(), value.size(), 0) != 0) return SysError("fsetxattr", n.path, errno);
  return Ok{};
}

}  // namespace

Result<Observation> ObserveAclGrant(const Resource& resource, bool shallow) {
  auto grant = ReadGrant(resource, /*allow_missing_user=*/true);
  if (!grant.ok()) return grant.error();
  Grant g = *grant;
  // Before its user exists, a write grant needs every entry: the grant's own path tells
  // that. What the tree holds to restore is recorded by the first apply as it goes.
  if (shallow || (g.uid == kNoUser && !g.only_if_needed && !g.read_only_grant)) g.subtree = false;
  size_t files = 0, differ = 0;
  PriorList prior;
  bool missing = false;
  std::mutex mutex;  // the walk runs on several threads
  auto walked = Walk(g, [&](const Node& n, const Acl& access) -> Result<Visited> {
    bool in_sync = true;
    // Nothing to give: "other" already may, or the file has other names.
    const bool suffices = OtherSuffices(g, n, access.get()) || SharedFileGetsNothing(g, n, access.get());
    // What the sandbox user owns is its own to write: a write grant asks nothing of it.
    auto owned = [&] { return g.writes && OwnedBy(n, g.uid); };
    if (g.access && !suffices) in_sync = EntryInSync(access.get(), g.uid, WantAccess(g, n, access.get())) || owned();
    Acl dflt;
    if (n.is_dir && g.dflt && !suffices) {
      if (auto r = ReadDefault(n, dflt); !r.ok()) return r.error();
      in_sync = in_sync && (EntryInSync(dflt.get(), g.uid, Want(*g.dflt, true, n.mode)) || owned());
    }
    prior.Add(n.path, PriorOf(g, access.get(), dflt.get()));
    std::lock_guard<std::mutex> lock(mutex);
    ++files;
    if (!in_sync) ++differ;
    return Visited::kDone;
  }, &missing);
  if (!walked.ok()) return walked.error();
  Observation o;
  o.present = true;
  if (missing) {
    // A directory this plan creates gets its grant once it exists (same run, after it).
    const std::string dir_id = "dir:" + g.path;
    if (std::find(resource.depends_on.begin(), resource.depends_on.end(), dir_id) != resource.depends_on.end()) {
      o.present = false;
      return o;
    }
    // Nothing to grant on a path that does not exist; status shows it again once it does.
    o.in_sync = true;
    o.detail = g.path + " does not exist";
    return o;
  }
  o.current = prior.Take();
  if (g.uid == kNoUser && differ > 0) {
    o.present = false;  // needs entries, and its user comes first
    return o;
  }
  o.in_sync = differ == 0;
  if (!o.in_sync) o.detail = std::to_string(differ) + " of " + std::to_string(files) + " files need the entry";
  return o;
}

Result<Ok> EnsureAclGrant(const Resource& resource, const NotePrior& note_prior) {
  auto grant = ReadGrant(resource);
  if (!grant.ok()) return grant.error();
  const Grant& g = *grant;
  PriorList pending;  // met, not yet saved: their nodes wait
  // One flush at a time, the save included: a thread whose nodes went out with another
  // thread's flush waits here until that save is done before it changes them.
  std::mutex flushing;
  bool missing = false;
  return WalkUntilStill(g, [&](const Node& n, Acl& access) -> Result<Visited> {
    // Nothing to give: "other" already may, or the file has other names.
    const bool suffices = OtherSuffices(g, n, access.get()) || SharedFileGetsNothing(g, n, access.get());
    Acl dflt;
    if (n.is_dir && g.dflt && !suffices) {
      if (auto r = ReadDefault(n, dflt); !r.ok()) return r.error();
    }
    // Skip what is right: no write, ctime kept.
    const Perm want_access = g.access && !suffices ? WantAccess(g, n, access.get()) : Perm{};
    auto owned = [&] { return g.writes && OwnedBy(n, g.uid); };  // as in ObserveAclGrant
    const bool access_differs = g.access && !suffices && !EntryInSync(access.get(), g.uid, want_access) && !owned();
    const Perm want_default = dflt ? Want(*g.dflt, true, n.mode) : Perm{};
    const bool default_differs = dflt && !EntryInSync(dflt.get(), g.uid, want_default) && !owned();
    // Nor is anything noted there: what the grant finds in place may be its own work, from
    // a run stopped inside this step; what was there before is in the prior value already.
    if (!access_differs && !default_differs) return Visited::kDone;
    if (note_prior && !n.noted) {
      Prior p = PriorOf(g, access.get(), dflt.get());
      if (p.Any()) {
        pending.Add(n.path, p);
        return Visited::kDeferred;
      }
    }
    if (access_differs) {
      // Read by name, the file may have been swapped for another since (one linked from
      // outside): the whole ACL, base entries included, would go to that one.
      if (n.fd < 0) return Visited::kOpen;
      if (!SetEntry(access.ptr(), g.uid, want_access, !n.is_dir)) return SysError("acl_calc_mask", n.path, errno);
      if (auto r = WriteAccess(n, access.get()); !r.ok()) return r.error();
    }
    if (default_differs) {
      if (Summarize(dflt.get(), g.uid).entries == 0) dflt = NewDefaultFrom(access.get());
      if (!SetEntry(dflt.ptr(), g.uid, want_default)) return SysError("acl_calc_mask", n.path, errno);
      if (auto r = WriteDefault(n, dflt.get()); !r.ok()) return r.error();
    }
    return Visited::kDone;
  }, "gave it its entries", &missing, [&]() -> Result<Ok> {
    std::lock_guard<std::mutex> lock(flushing);
    return pending.Empty() ? Result<Ok>(Ok{}) : note_prior(pending.Take());
  });
}

void UseAclCallsByName(bool use) { by_name_available = use; }

// What the sandbox user made in a writable root goes to the root's owner (its parent's, if
// the sandbox user owns the root itself), with setuid and setgid bits cleared and the owner
// able to read, write and remove it: once the account is gone its uid is free for the next
// account, which would otherwise own the files. Whatever the sandbox left (links, FIFOs,
// a tree thousands deep) is walked without following a link and with two descriptors.
Result<Ok> HandBack(const Grant& g) {
  open_how how{};
  how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS;
  const int root = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, g.path.c_str(), &how, sizeof how));
  if (root < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Ok{};
    if (errno == ELOOP) {  // as the grant's own walk says it
      return Error{"host_error", "openat2", g.path, "passes through a symbolic link; name the real directory in the profile"};
    }
    return SysError("openat2", g.path, errno);
  }
  struct stat rst {};
  if (fstat(root, &rst) != 0) {
    close(root);
    return SysError("fstat", g.path, errno);
  }
  if (rst.st_uid == g.uid) {
    struct stat pst {};
    const std::string parent = g.path.substr(0, std::max<size_t>(g.path.rfind('/'), 1));
    if (stat(parent.c_str(), &pst) == 0) {
      rst.st_uid = pst.st_uid;
      rst.st_gid = pst.st_gid;
    }
  }
  const uid_t to_uid = rst.st_uid;
  const gid_t to_gid = rst.st_gid;
  // The entry itself, opened without following a link: mode and owner set through it.
  auto give = [&](int dirfd, const std::string& name, const struct stat& st, const std::string& at) -> Result<Ok> {
    const bool dir = S_ISDIR(st.st_mode);
    if (!dir && !S_ISREG(st.st_mode)) {  // a link, FIFO or socket: only its owner
      if (fchownat(dirfd, name.c_str(), to_uid, to_gid, AT_SYMLINK_NOFOLLOW) != 0 && errno != ENOENT) {
        return SysError("fchownat", at, errno);
      }
      return Ok{};
    }
    const int fd = openat(dirfd, name.c_str(),
                          (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY | O_NONBLOCK | O_NOCTTY) | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT || errno == ELOOP ? Result<Ok>(Ok{}) : SysError("openat", at, errno);
    struct stat now {};
    Result<Ok> r = Ok{};
    if (fstat(fd, &now) != 0) {
      r = SysError("fstat", at, errno);
    } else if (now.st_uid == g.uid) {
      const mode_t mode = dir ? (now.st_mode & 07777) | S_IRWXU
                              : (now.st_mode & 07777 & ~static_cast<mode_t>(S_ISUID | S_ISGID)) | S_IRUSR | S_IWUSR;
      if (fchown(fd, to_uid, to_gid) != 0) r = SysError("fchown", at, errno);
      else if (fchmod(fd, mode) != 0) r = SysError("fchmod", at, errno);  // after chown, which may clear bits
    }
    close(fd);
    return r;
  };
  auto walked = WalkTree(
      root, g.path,
      [&](int dirfd, const std::string& name, const struct stat& st, const std::string& at) -> Result<bool> {
        if (st.st_uid == g.uid) {
          if (auto r = give(dirfd, name, st, at); !r.ok()) return r.error();
        }
        return S_ISDIR(st.st_mode);
      },
      [](int, const std::string&, const std::string&) -> Result<Ok> { return Ok{}; });
  close(root);
  return walked;
}

Result<Ok> RemoveAclGrant(const OwnedRecord& record) {
  auto grant = ReadGrant(record.resource);
  if (!grant.ok()) {
    if (grant.error().call == "getpwnam") return Ok{};  // no user, so no entry of it anywhere
    return grant.error();
  }
  const Grant& g = *grant;
  const auto& prior = record.prior;
  auto paths = [&](const char* key) {
    std::set<std::string> out;
    if (!prior.is_object() || !prior.contains(key) || !prior[key].is_array()) return out;
    for (const auto& p : prior[key]) {
      if (p.is_string()) out.insert(p.get<std::string>());
    }
    return out;
  };
  const std::map<std::string, std::set<std::string>> recorded = {{"had_default", paths("had_default")},
                                                                 {"entry_existed", paths("entry_existed")}};
  auto listed = [&](const char* key, const std::string& path) { return recorded.at(key).contains(path); };
  auto recorded_mask = [&](const std::string& path) -> std::optional<Perm> {
    if (!prior.is_object() || !prior.contains("masks") || !prior["masks"].is_object()) return std::nullopt;
    auto it = prior["masks"].find(path);
    if (it == prior["masks"].end() || !it->is_string()) return std::nullopt;
    return ParsePerm(it->get<std::string>());
  };
  // Drops the grant's entry; then the mask either guards what is left or goes.
  auto strip = [&](acl_t* acl, std::optional<Perm> narrowed) -> bool {
    Summary s = Summarize(*acl, g.uid);
    if (s.mine) acl_delete_entry(*acl, *s.mine);
    s = Summarize(*acl, g.uid);
    if (s.named == 0) {
      if (s.mask) acl_delete_entry(*acl, *s.mask);
      return true;
    }
    if (acl_calc_mask(acl) != 0) return false;
    if (narrowed && s.sandbox == 0) {
      Summary again = Summarize(*acl, g.uid);
      if (again.mask) SetPerm(*again.mask, *narrowed);
    }
    return true;
  };
  bool missing = false;
  auto strip_node = [&](const Node& n, Acl& access) -> Result<Visited> {
    if (g.access && Summarize(access.get(), g.uid).mine) {
      if (n.fd < 0) return Visited::kOpen;  // as in EnsureAclGrant
      if (!strip(access.ptr(), recorded_mask(n.path))) return SysError("acl_calc_mask", n.path, errno);
      if (auto r = WriteAccess(n, access.get()); !r.ok()) return r.error();
    }
    if (n.is_dir && g.dflt && !listed("entry_existed", n.path)) {
      Acl dflt;
      if (auto r = ReadDefault(n, dflt); !r.ok()) return r.error();
      if (Summarize(dflt.get(), g.uid).mine) {
        if (!strip(dflt.ptr(), std::nullopt)) return SysError("acl_calc_mask", n.path, errno);
        Summary left = Summarize(dflt.get(), g.uid);
        if (left.named == 0 && !listed("had_default", n.path)) {
          if (fremovexattr(n.fd, kDefaultXattr) != 0) return SysError("fremovexattr", n.path, errno);
        } else if (auto r = WriteDefault(n, dflt.get()); !r.ok()) {
          return r.error();
        }
      }
    }
    return Visited::kDone;
  };
  auto stripped = WalkUntilStill(g, strip_node, "took its entries away", &missing);
  if (!stripped.ok() || missing || !g.writes || !g.subtree) return stripped;
  // Then what the sandbox made goes back, once the tree held still for the walk above; a
  // tree moved under this walk too is walked again.
  Result<Ok> given = HandBack(g);
  for (int again = 0; again < 2 && !given.ok() && given.error().code == "changed"; ++again) given = HandBack(g);
  return given;
}

}  // namespace sbx
