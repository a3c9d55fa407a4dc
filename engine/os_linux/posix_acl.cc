#include "engine/os_linux/accounts.h"
#include "engine/os_linux/sys_error.h"
#include "engine/os_linux/posix_acl.h"

#include <acl/libacl.h>
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/acl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <atomic>
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
  acl_permset_t ps;
  acl_get_permset(e, &ps);
  Perm p;
  p.r = acl_get_perm(ps, ACL_READ) == 1;
  p.w = acl_get_perm(ps, ACL_WRITE) == 1;
  p.x = acl_get_perm(ps, ACL_EXECUTE) == 1;
  return p;
}

void SetPerm(acl_entry_t e, const Perm& p) {
  acl_permset_t ps;
  acl_get_permset(e, &ps);
  acl_clear_perms(ps);
  if (p.r) acl_add_perm(ps, ACL_READ);
  if (p.w) acl_add_perm(ps, ACL_WRITE);
  if (p.x) acl_add_perm(ps, ACL_EXECUTE);
  acl_set_permset(e, ps);
}

bool SamePerm(const Perm& a, const Perm& b) { return a.r == b.r && a.w == b.w && a.x == b.x; }
bool Covers(const Perm& mask, const Perm& want) { return (mask.r || !want.r) && (mask.w || !want.w) && (mask.x || !want.x); }
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
  acl_entry_t e;
  for (int id = ACL_FIRST_ENTRY; acl_get_entry(acl, id, &e) == 1; id = ACL_NEXT_ENTRY) {
    ++s.entries;
    acl_tag_t tag;
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

Perm Want(const Perm& p, bool is_dir, mode_t mode) {
  Perm w = p;
  w.x = p.x || (p.cap_x && (is_dir || (mode & 0111)));
  w.cap_x = false;
  return w;
}

bool EntryInSync(acl_t acl, uid_t uid, const Perm& want) {
  if (!acl) return false;
  Summary s = Summarize(acl, uid);
  if (!s.mine || !SamePerm(PermOf(*s.mine), want)) return false;
  return !s.mask || Covers(PermOf(*s.mask), want);
}

// A fresh default ACL starts from the directory's access ACL base entries.
acl_t NewDefaultFrom(acl_t access) {
  acl_t d = acl_init(4);
  acl_entry_t e;
  for (int id = ACL_FIRST_ENTRY; acl_get_entry(access, id, &e) == 1; id = ACL_NEXT_ENTRY) {
    acl_tag_t tag;
    acl_get_tag_type(e, &tag);
    if (tag != ACL_USER_OBJ && tag != ACL_GROUP_OBJ && tag != ACL_OTHER) continue;
    acl_entry_t copy;
    acl_create_entry(&d, &copy);
    acl_copy_entry(copy, e);
  }
  return d;
}

bool SetEntry(acl_t* acl, uid_t uid, const Perm& want) {
  Summary s = Summarize(*acl, uid);
  acl_entry_t e;
  if (s.mine) {
    e = *s.mine;
  } else {
    if (acl_create_entry(acl, &e) != 0) return false;
    acl_set_tag_type(e, ACL_USER);
    acl_set_qualifier(e, &uid);
  }
  SetPerm(e, want);
  return acl_calc_mask(acl) == 0;
}

// --- walking ------------------------------------------------------------------------

struct Node {
  const std::string& path;
  int fd;            // the object itself, opened without following symlinks
  bool is_dir;
  mode_t mode;
  std::string Proc() const { return "/proc/self/fd/" + std::to_string(fd); }  // for the default ACL
};

using Visit = std::function<Result<Ok>(const Node&)>;

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

Result<Ok> WalkEntries(int dirfd, const std::string& path, const std::vector<std::pair<std::string, unsigned char>>& names,
                       const Grant& g, const Visit& visit);

Result<Ok> WalkDir(int dirfd, const std::string& path, const struct stat& st, const Grant& g, const Visit& visit,
                   bool parallel = false) {
  if (auto r = visit(Node{path, dirfd, true, st.st_mode}); !r.ok()) return r;
  if (!g.subtree) return Ok{};
  int dup_fd = dup(dirfd);
  if (dup_fd < 0) return SysError("dup", path, errno);
  DIR* dir = fdopendir(dup_fd);
  if (!dir) {
    close(dup_fd);
    return SysError("fdopendir", path, errno);
  }
  std::vector<std::pair<std::string, unsigned char>> names;
  while (dirent* e = readdir(dir)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    unsigned char type = e->d_type;
    if (type == DT_UNKNOWN) {  // file systems that do not say: ask, without following
      struct stat est {};
      if (fstatat(dirfd, n.c_str(), &est, AT_SYMLINK_NOFOLLOW) != 0) continue;
      type = S_ISDIR(est.st_mode) ? DT_DIR : S_ISREG(est.st_mode) ? DT_REG : DT_LNK;
    }
    names.emplace_back(n, type);
  }
  closedir(dir);
  // The subdirectories of a grant's root are walked by a few threads at once: each walk is
  // independent (its own descriptors), and ACL calls wait on the disk, not the CPU.
  if (parallel) {
    std::vector<std::pair<std::string, unsigned char>> subdirs, rest;
    for (const auto& entry : names) (entry.second == DT_DIR ? subdirs : rest).push_back(entry);
    const size_t workers = std::min<size_t>(subdirs.size(), std::max(2u, std::thread::hardware_concurrency()) * 2);
    if (workers > 1) {
      std::atomic<size_t> next{0};
      std::mutex failed_mutex;
      std::optional<Error> failed;
      auto work = [&] {
        for (size_t i = next++; i < subdirs.size(); i = next++) {
          {
            std::lock_guard<std::mutex> lock(failed_mutex);
            if (failed) return;
          }
          std::vector<std::pair<std::string, unsigned char>> one{subdirs[i]};
          auto r = WalkEntries(dirfd, path, one, g, visit);
          if (!r.ok()) {
            std::lock_guard<std::mutex> lock(failed_mutex);
            if (!failed) failed = r.error();
          }
        }
      };
      std::vector<std::thread> threads;
      for (size_t t = 0; t < workers; ++t) threads.emplace_back(work);
      for (auto& t : threads) t.join();
      if (failed) return *failed;
      return WalkEntries(dirfd, path, rest, g, visit);
    }
  }
  return WalkEntries(dirfd, path, names, g, visit);
}

Result<Ok> WalkEntries(int dirfd, const std::string& path, const std::vector<std::pair<std::string, unsigned char>>& names,
                       const Grant& g, const Visit& visit) {
  for (const auto& [name, type] : names) {
    const std::string child = path == "/" ? "/" + name : path + "/" + name;
    if (g.except.count(child)) continue;
    bool is_dir = false;
    int fd = OpenEntry(dirfd, name, type, &is_dir);
    if (fd == -2) continue;  // symlinks, sockets, FIFOs and devices carry no grant
    if (fd < 0) {
      if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR) continue;  // gone or swapped meanwhile
      return SysError("openat", child, errno);
    }
    struct stat cst {};
    Result<Ok> r = Ok{};
    if (fstat(fd, &cst) != 0) {
      r = SysError("fstat", child, errno);
    } else if (is_dir && S_ISDIR(cst.st_mode)) {
      r = WalkDir(fd, child, cst, g, visit);
    } else if (!is_dir && S_ISREG(cst.st_mode)) {
      r = visit(Node{child, fd, false, cst.st_mode});
    }
    close(fd);
    if (!r.ok()) return r;
  }
  return Ok{};
}

// Visits the grant's path (and its tree); `missing` tells whether the path exists at all.
Result<Ok> Walk(const Grant& g, const Visit& visit, bool* missing) {
  *missing = false;
  struct stat st {};
  if (lstat(g.path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      *missing = true;
      return Ok{};
    }
    return SysError("lstat", g.path, errno);
  }
  if (S_ISLNK(st.st_mode)) {
    return Error{"host_error", "open", g.path, "is a symbolic link; name the real directory in the profile"};
  }
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) return Ok{};
  int fd = S_ISDIR(st.st_mode) ? open(g.path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                               : open(g.path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return SysError("open", g.path, errno);
  Result<Ok> r = Ok{};
  if (fstat(fd, &st) != 0) r = SysError("fstat", g.path, errno);
  else if (S_ISDIR(st.st_mode)) r = WalkDir(fd, g.path, st, g, visit, /*parallel=*/true);
  else if (S_ISREG(st.st_mode)) r = visit(Node{g.path, fd, false, st.st_mode});
  close(fd);
  return r;
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

}  // namespace

Result<Observation> ObserveAclGrant(const Resource& resource, bool shallow) {
  const auto& a = resource.attributes;
  const bool other_may_suffice = a.value("only_if_needed", false) || a.value("access", "") == "read";
  auto grant = ReadGrant(resource, /*allow_missing_user=*/other_may_suffice);
  if (!grant.ok()) {
    if (grant.error().call == "getpwnam") return Observation{};  // the user comes first
    return grant.error();
  }
  Grant g = *grant;
  if (shallow) g.subtree = false;
  size_t files = 0, differ = 0;
  nlohmann::json masks = nlohmann::json::object(), had_default = nlohmann::json::array(),
                 entry_existed = nlohmann::json::array();
  bool missing = false;
  std::mutex mutex;  // the walk runs on several threads
  auto walked = Walk(g, [&](const Node& n) -> Result<Ok> {
    Acl access(acl_get_fd(n.fd));
    if (!access) return SysError("acl_get_fd", n.path, errno);
    bool in_sync = true;
    const bool suffices = OtherSuffices(g, n, access.get());
    if (g.access && !suffices) in_sync = EntryInSync(access.get(), g.uid, Want(*g.access, n.is_dir, n.mode));
    Summary s = Summarize(access.get(), g.uid);
    std::optional<std::string> narrowed;
    if (s.sandbox == 0 && s.mask) {
      Acl calc(acl_dup(access.get()));
      acl_calc_mask(calc.ptr());
      Summary c = Summarize(calc.get(), g.uid);
      if (c.mask && !SamePerm(PermOf(*c.mask), PermOf(*s.mask))) narrowed = PermText(PermOf(*s.mask));
    }
    bool had = false, existed = false;
    if (n.is_dir && g.dflt && !suffices) {
      Acl dflt(acl_get_file(n.Proc().c_str(), ACL_TYPE_DEFAULT));
      if (!dflt) return SysError("acl_get_file", n.path, errno);
      Summary d = Summarize(dflt.get(), g.uid);
      had = d.entries > 0 && d.sandbox == 0;
      existed = !IsSandboxAccount(g.uid) && d.mine && d.sandbox == 0;
      in_sync = in_sync && EntryInSync(dflt.get(), g.uid, Want(*g.dflt, true, n.mode));
    }
    std::lock_guard<std::mutex> lock(mutex);
    ++files;
    if (!in_sync) ++differ;
    if (narrowed) masks[n.path] = *narrowed;
    if (had) had_default.push_back(n.path);
    if (existed) entry_existed.push_back(n.path);
    return Ok{};
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
  if (g.uid == kNoUser && differ > 0) return Observation{};  // needs entries, and its user comes first
  o.in_sync = differ == 0;
  if (!o.in_sync) o.detail = std::to_string(differ) + " of " + std::to_string(files) + " files need the entry";
  // Sorted: the threads of the walk meet the paths in any order.
  for (auto* list : {&had_default, &entry_existed}) std::sort(list->begin(), list->end());
  o.current = {{"masks", masks}, {"had_default", had_default}, {"entry_existed", entry_existed}};
  return o;
}

Result<Ok> EnsureAclGrant(const Resource& resource) {
  auto grant = ReadGrant(resource);
  if (!grant.ok()) return grant.error();
  const Grant& g = *grant;
  bool missing = false;
  return Walk(g, [&](const Node& n) -> Result<Ok> {
    Acl access(acl_get_fd(n.fd));
    if (!access) return SysError("acl_get_file", n.path, errno);
    const bool suffices = OtherSuffices(g, n, access.get());
    if (g.access && !suffices) {
      Perm want = Want(*g.access, n.is_dir, n.mode);
      if (!EntryInSync(access.get(), g.uid, want)) {  // skip what is right: no write, ctime kept
        if (!SetEntry(access.ptr(), g.uid, want)) return SysError("acl_calc_mask", n.path, errno);
        if (acl_set_fd(n.fd, access.get()) != 0) return SysError("acl_set_file", n.path, errno);
      }
    }
    if (n.is_dir && g.dflt && !suffices) {
      Acl dflt(acl_get_file(n.Proc().c_str(), ACL_TYPE_DEFAULT));
      if (!dflt) return SysError("acl_get_file", n.path, errno);
      Perm want = Want(*g.dflt, true, n.mode);
      if (!EntryInSync(dflt.get(), g.uid, want)) {
        if (Summarize(dflt.get(), g.uid).entries == 0) dflt = NewDefaultFrom(access.get());
        if (!SetEntry(dflt.ptr(), g.uid, want)) return SysError("acl_calc_mask", n.path, errno);
        if (acl_set_file(n.Proc().c_str(), ACL_TYPE_DEFAULT, dflt.get()) != 0) return SysError("acl_set_file", n.path, errno);
      }
    }
    return Ok{};
  }, &missing);
}

Result<Ok> RemoveAclGrant(const OwnedRecord& record) {
  auto grant = ReadGrant(record.resource);
  if (!grant.ok()) {
    if (grant.error().call == "getpwnam") return Ok{};  // no user, so no entry of it anywhere
    return grant.error();
  }
  const Grant& g = *grant;
  const auto& prior = record.prior;
  auto listed = [&](const char* key, const std::string& path) {
    if (!prior.is_object() || !prior.contains(key) || !prior[key].is_array()) return false;
    for (const auto& p : prior[key]) {
      if (p == path) return true;
    }
    return false;
  };
  auto recorded_mask = [&](const std::string& path) -> std::optional<Perm> {
    if (!prior.is_object() || !prior.contains("masks") || !prior["masks"].contains(path)) return std::nullopt;
    return ParsePerm(prior["masks"][path].get<std::string>());
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
  return Walk(g, [&](const Node& n) -> Result<Ok> {
    if (g.access) {
      Acl access(acl_get_fd(n.fd));
      if (!access) return SysError("acl_get_file", n.path, errno);
      if (Summarize(access.get(), g.uid).mine) {
        if (!strip(access.ptr(), recorded_mask(n.path))) return SysError("acl_calc_mask", n.path, errno);
        if (acl_set_fd(n.fd, access.get()) != 0) return SysError("acl_set_file", n.path, errno);
      }
    }
    if (n.is_dir && g.dflt && !listed("entry_existed", n.path)) {
      Acl dflt(acl_get_file(n.Proc().c_str(), ACL_TYPE_DEFAULT));
      if (!dflt) return SysError("acl_get_file", n.path, errno);
      if (Summarize(dflt.get(), g.uid).mine) {
        if (!strip(dflt.ptr(), std::nullopt)) return SysError("acl_calc_mask", n.path, errno);
        Summary left = Summarize(dflt.get(), g.uid);
        if (left.named == 0 && !listed("had_default", n.path)) {
          if (acl_delete_def_file(n.Proc().c_str()) != 0) return SysError("acl_delete_def_file", n.path, errno);
        } else if (acl_set_file(n.Proc().c_str(), ACL_TYPE_DEFAULT, dflt.get()) != 0) {
          return SysError("acl_set_file", n.path, errno);
        }
      }
    }
    return Ok{};
  }, &missing);
}

}  // namespace sbx
