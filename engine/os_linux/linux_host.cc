#include "engine/os_linux/sys_error.h"
#include "engine/os_linux/linux_host.h"

#include <acl/libacl.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "engine/core/names.h"
#include "engine/core/strings.h"
#include "engine/os_linux/accounts.h"
#include "engine/os_linux/files.h"
#include "engine/os_linux/posix_acl.h"
#include "engine/os_linux/run_command.h"

namespace sbx {
namespace {

std::string Str(const nlohmann::json& attributes, const char* key) {
  return attributes.contains(key) && attributes[key].is_string() ? attributes[key].get<std::string>() : "";
}

// --- accounts ---------------------------------------------------------------------

Result<std::string> AccountName(const Resource& r) {
  std::string name = Str(r.attributes, "name");
  // Names reach useradd's command line: check them here as well as in the compiler.
  if (!IsValidUserName(name)) return Error{"invalid_plan", "", r.id, "not a valid account name: '" + name + "'"};
  return name;
}

Result<Observation> ObserveGroup(const Resource& r) {
  auto name = AccountName(r);
  if (!name.ok()) return name.error();
  Observation o;
  if (auto gid = LookupGroup(*name)) {
    o.present = o.in_sync = true;
    o.foreign = true;  // unless the state says sandboxctl made it
    o.current = {{"name", *name}, {"gid", *gid}};
  }
  return o;
}

Result<Observation> ObserveUser(const Resource& r) {
  auto name = AccountName(r);
  if (!name.ok()) return name.error();
  Observation o;
  auto account = LookupUser(*name);
  if (!account) return o;
  o.present = true;
  o.foreign = true;
  o.current = {{"name", *name}, {"uid", account->uid}, {"gid", account->gid}, {"shell", account->shell}, {"home", account->home}};
  auto gid = LookupGroup(Str(r.attributes, "group"));
  std::vector<std::string> differ;
  if (account->shell != Str(r.attributes, "shell")) differ.push_back("shell is " + account->shell);
  if (account->home != Str(r.attributes, "home")) differ.push_back("home is " + account->home);
  if (!gid || *gid != account->gid) differ.emplace_back("primary group differs");
  o.in_sync = differ.empty();
  o.detail = Join(differ, ", ");
  return o;
}

Result<Ok> EnsureGroup(const Resource& r) {
  auto name = AccountName(r);
  if (!name.ok()) return name.error();
  if (LookupGroup(*name)) return Ok{};
  auto added = RunAccountTool({"groupadd", "--system", *name});
  // A groupadd of an interrupted run may have finished meanwhile.
  if (!added.ok() && LookupGroup(*name)) return Ok{};
  return added;
}

Result<Ok> EnsureUser(const Resource& r) {
  auto name = AccountName(r);
  if (!name.ok()) return name.error();
  auto group = Str(r.attributes, "group");
  if (!IsValidUserName(group)) return Error{"invalid_plan", "", r.id, "not a valid group name: '" + group + "'"};
  const std::string shell = "/usr/sbin/nologin", home = "/nonexistent";
  if (!LookupUser(*name)) {
    auto added = RunAccountTool({"useradd", "--system", "--gid", group, "--no-create-home", "--home-dir", home,
                                 "--shell", shell, "--comment", "sandboxctl sandbox user", *name});
    // cppcheck-suppress knownConditionTrueFalse ; the failed useradd may have made the user all the same
    if (added.ok() || !LookupUser(*name)) return added;
    // A useradd of an interrupted run finished meanwhile: make sure it is as planned.
  }
  return RunAccountTool({"usermod", "--gid", group, "--home", home, "--shell", shell, *name});
}

Result<Ok> RemoveAccount(const OwnedRecord& record, bool user) {
  auto name = AccountName(record.resource);
  if (!name.ok()) return name.error();
  if (!record.prior.is_null()) {
    return Error{"host_error", "", record.resource.id, "sandboxctl never changes accounts it did not create"};
  }
  auto exists = [&] { return user ? LookupUser(*name).has_value() : LookupGroup(*name).has_value(); };
  if (!exists()) return Ok{};
  auto removed = RunAccountTool({user ? "userdel" : "groupdel", *name});
  // A userdel of an interrupted run may have finished meanwhile.
  if (!removed.ok() && !exists()) return Ok{};
  return removed;
}

// --- directories ------------------------------------------------------------------

Result<mode_t> ParseMode(const Resource& r) {
  std::string text = Str(r.attributes, "mode");
  if (text.size() != 4 || text.find_first_not_of("01234567") != std::string::npos) {
    return Error{"invalid_plan", "", r.id, "bad mode '" + text + "'"};
  }
  return static_cast<mode_t>(std::stoul(text, nullptr, 8));
}

std::string ModeText(mode_t mode) {
  char buf[8];  // four octal digits: snprintf cannot fail or cut them short
  (void)std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

// `path` is a directory already checked not to be a symlink, or /proc/self/fd/N of one
// opened with O_NOFOLLOW (a magic link that must be followed to reach it).
bool HasExtendedAcl(const std::string& path) { return acl_extended_file(path.c_str()) == 1; }

Result<std::string> DirectoryPath(const Resource& r) {
  std::string path = Str(r.attributes, "path");
  if (path.empty() || path[0] != '/' || path.find("/../") != std::string::npos || path.find("/./") != std::string::npos) {
    return Error{"invalid_plan", "", r.id, "not an absolute normal path: '" + path + "'"};
  }
  return path;
}

// Why a directory found where sandboxctl keeps one is someone else's, or "": not made by
// root, or open to others' writes, so anything could have been put in it first (a
// .gitconfig in a sandbox's HOME). Such a directory is never taken over.
std::string Who(uid_t uid) {
  const auto account = LookupUserById(uid);
  return "uid " + std::to_string(uid) + (account ? " (" + account->name + ")" : "");
}

std::string NotSandboxctls(const struct stat& st, bool extended_acl) {
  if (st.st_uid != 0) return "made by " + Who(st.st_uid) + ", not by root";
  // With an extended ACL the group bits are the mask of the grants sandboxctl made.
  const bool group_writes = !extended_acl && st.st_gid != 0 && (st.st_mode & S_IWGRP) != 0;
  if ((st.st_mode & S_IWOTH) != 0 || group_writes) {
    return "writable by others (mode " + ModeText(st.st_mode) + "): anything may have been put in it";
  }
  return "";
}

Result<Observation> ObserveDirectory(const Resource& r) {
  auto path = DirectoryPath(r);
  if (!path.ok()) return path.error();
  auto mode = ParseMode(r);
  if (!mode.ok()) return mode.error();
  Observation o;
  struct stat st {};
  if (lstat(path->c_str(), &st) != 0) {
    if (errno == ENOENT) return o;
    return SysError("lstat", *path, errno);
  }
  o.present = true;
  o.current = {{"uid", st.st_uid}, {"gid", st.st_gid}, {"mode", ModeText(st.st_mode)}};
  if (!S_ISDIR(st.st_mode)) {
    // A symlink or file planted where sandboxctl keeps its directories is never used.
    o.foreign = true;
    o.detail = std::string(S_ISLNK(st.st_mode) ? "is a symbolic link" : "is not a directory") + ", made by " +
               Who(st.st_uid) + "; sandboxctl keeps a directory of its own there";
    return o;
  }
  const bool extended = HasExtendedAcl(*path);
  if (const std::string whose = NotSandboxctls(st, extended); !whose.empty()) {
    // Never taken over; one sandboxctl made that is like this now is drift apply refuses
    // to repair (EnsureDirectory).
    o.foreign = true;
    o.detail = whose;
    return o;
  }
  std::vector<std::string> differ;
  if (st.st_gid != 0) differ.emplace_back("not owned by root:root");
  // With an extended ACL the group bits show the ACL mask, which the grants manage.
  const mode_t compared = extended ? 07707 : 07777;
  if ((st.st_mode & compared) != (*mode & compared)) {
    differ.push_back("mode is " + ModeText(st.st_mode) + ", not " + ModeText(*mode));
  }
  o.in_sync = differ.empty();
  o.detail = Join(differ, ", ");
  return o;
}

Result<Ok> EnsureDirectory(const Resource& r) {
  auto path = DirectoryPath(r);
  if (!path.ok()) return path.error();
  auto mode = ParseMode(r);
  if (!mode.ok()) return mode.error();
  const bool made = mkdir(path->c_str(), 0700) == 0;
  if (!made && errno != EEXIST) return SysError("mkdir", *path, errno);
  // Adjust through a descriptor opened without following symlinks.
  int fd = open(path->c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR) {
      return Error{"foreign", "", *path, "exists and is not a directory sandboxctl made (a link or a file); remove it"};
    }
    return SysError("open", *path, errno);
  }
  Result<Ok> result = Ok{};
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    close(fd);
    return SysError("fstat", *path, errno);
  }
  const bool extended = HasExtendedAcl("/proc/self/fd/" + std::to_string(fd));
  // Someone may have made it between the look and now: only one of root's is used.
  if (const std::string whose = made ? "" : NotSandboxctls(st, extended); !whose.empty()) {
    close(fd);
    return Error{"foreign", "", *path, "exists and was " + whose + "; remove it, then apply again"};
  }
  mode_t target = *mode;
  // Keep the group bits (the ACL mask) of a directory the grants gave an extended ACL.
  if (extended) target = (*mode & 07707) | (st.st_mode & 0070);
  if (fchown(fd, 0, 0) != 0) result = SysError("fchown", *path, errno);
  else if (fchmod(fd, target) != 0) result = SysError("fchmod", *path, errno);
  close(fd);
  return result;
}

// Removes everything below the directory `fd` refers to, never following a symlink: the
// sandbox may have written anything there, links to /etc included. Two descriptors at
// most, however deep the tree the sandbox made (WalkTree).
Result<Ok> EmptyDirectory(int fd, const std::string& path) {
  return WalkTree(
      fd, path,
      [](int dirfd, const std::string& name, const struct stat& st, const std::string& at) -> Result<bool> {
        if (S_ISDIR(st.st_mode)) return true;
        if (unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT) return SysError("unlinkat", at, errno);
        return false;
      },
      [](int dirfd, const std::string& name, const std::string& at) -> Result<Ok> {
        if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) return SysError("unlinkat", at, errno);
        return Ok{};
      });
}

Result<Ok> RemoveDirectory(const OwnedRecord& record) {
  auto path = DirectoryPath(record.resource);
  if (!path.ok()) return path.error();
  int fd = open(path->c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Ok{};
    return SysError("open", *path, errno);
  }
  if (!record.prior.is_null()) {  // it existed before: give back owner and mode
    Result<Ok> result = Ok{};
    const auto& p = record.prior;
    if (!p.contains("uid") || !p.contains("gid") || !p.contains("mode")) {
      result = Error{"invalid_state", "", record.resource.id, "prior value incomplete"};
    } else if (fchown(fd, p["uid"].get<uid_t>(), p["gid"].get<gid_t>()) != 0) {
      result = SysError("fchown", *path, errno);
    } else if (fchmod(fd, static_cast<mode_t>(std::stoul(p["mode"].get<std::string>(), nullptr, 8))) != 0) {
      result = SysError("fchmod", *path, errno);
    }
    close(fd);
    return result;
  }
  auto emptied = EmptyDirectory(fd, *path);
  close(fd);
  if (!emptied.ok()) return emptied;
  if (rmdir(path->c_str()) != 0 && errno != ENOENT) return SysError("rmdir", *path, errno);
  return Ok{};
}

// --- nftables -----------------------------------------------------------------------

bool IsNftName(const std::string& s) {
  return !s.empty() && s.size() <= 64 && s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") == std::string::npos;
}

Result<std::string> TableSpec(const nlohmann::json& a, const std::string& id, const char* key) {
  std::string family = Str(a, "family"), table = Str(a, key);
  if (family != "inet" || !IsNftName(table)) return Error{"invalid_plan", "", id, "bad nftables table"};
  return family + " " + table;
}

// Each rule carries its resource id and a fingerprint of its text and of the uid the
// user name resolves to now, so a recreated user (new uid) makes the rule out of date.
std::string RuleComment(const Resource& r, uid_t uid) {
  const std::string rule = Str(r.attributes, "rule");
  return "sandboxctl " + r.id + " " + Hex(Fnv1a64(rule + "|" + std::to_string(uid)), 12);
}

struct ChainRule {
  uint64_t handle;
  std::string comment;
  std::optional<uint64_t> skuid;  // the uid the rule matches ("meta skuid N"), if it does
};

// The uid a listed rule matches, from its expressions ({"match": {"left": {"meta": {"key":
// "skuid"}}, "right": N}}).
std::optional<uint64_t> RuleUid(const nlohmann::json& rule) {
  if (!rule.contains("expr") || !rule["expr"].is_array()) return std::nullopt;
  for (const auto& e : rule["expr"]) {
    if (!e.is_object() || !e.contains("match")) continue;
    const auto& m = e["match"];
    if (m.contains("left") && m["left"].is_object() && m["left"].contains("meta") && m["left"]["meta"].is_object() &&
        m["left"]["meta"].value("key", "") == "skuid" && m.contains("right") && m["right"].is_number_unsigned()) {
      return m["right"].get<uint64_t>();
    }
  }
  return std::nullopt;
}

// Who has `uid` now, for people: "sbx-other", or "no account".
std::string UidOwner(uint64_t uid) {
  const auto account = LookupUserById(static_cast<uid_t>(uid));
  return account ? "which belongs to " + account->name + " now" : "which no account has now";
}

Result<std::vector<ChainRule>> RulesOf(const Result<nlohmann::json>& listed) {
  if (!listed.ok()) {
    if (listed.error().code == "not_found") return std::vector<ChainRule>{};
    return listed.error();
  }
  std::vector<ChainRule> rules;
  for (const auto& item : *listed) {
    if (!item.contains("rule")) continue;
    const auto& r = item["rule"];
    rules.push_back({r.value("handle", uint64_t{0}), r.value("comment", std::string()), RuleUid(r)});
  }
  return rules;
}

Result<std::vector<ChainRule>> ListChain(Nftables& nft, const std::string& table, const std::string& chain) {
  return RulesOf(nft.List("list chain " + table + " " + chain));
}

std::optional<size_t> FindRule(const std::vector<ChainRule>& rules, const std::string& id) {
  const std::string prefix = "sandboxctl " + id + " ";
  for (size_t i = 0; i < rules.size(); ++i) {
    if (StartsWith(rules[i].comment, prefix)) return i;
  }
  return std::nullopt;
}

// The order of a rule of `principal` from its comment ("sandboxctl nft:<user>:<NNNN>-...").
std::optional<int> OrderOf(const std::string& comment, const std::string& principal) {
  const std::string prefix = "sandboxctl nft:" + principal + ":";
  if (!StartsWith(comment, prefix) || comment.size() < prefix.size() + 5 || comment[prefix.size() + 4] != '-') {
    return std::nullopt;
  }
  const std::string digits = comment.substr(prefix.size(), 4);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoi(digits);
}

// The principal's nearest rules before and after `order` in the chain, by position.
struct Neighbours {
  std::optional<size_t> before, after;
};

Neighbours FindNeighbours(const std::vector<ChainRule>& rules, const std::string& principal, int order) {
  Neighbours n;
  int best_before = 0, best_after = 0;
  for (size_t i = 0; i < rules.size(); ++i) {
    auto o = OrderOf(rules[i].comment, principal);
    if (!o || *o == order) continue;
    if (*o < order && *o > best_before) {
      best_before = *o;
      n.before = i;
    }
    if (*o > order && (best_after == 0 || *o < best_after)) {
      best_after = *o;
      n.after = i;
    }
  }
  return n;
}

struct RuleTarget {
  std::string table, chain, principal, text;
  int order;
  uid_t uid;
};

Result<RuleTarget> ReadRule(const Resource& r) {
  const auto& a = r.attributes;
  auto table = TableSpec(a, r.id, "table");
  if (!table.ok()) return table.error();
  RuleTarget t{*table, Str(a, "chain"), Str(a, "principal"), Str(a, "rule"), a.value("order", 0), 0};
  if (!IsNftName(t.chain) || !IsValidUserName(t.principal) || t.order < 1 || t.text.empty() ||
      t.text.find_first_of("\n;#") != std::string::npos) {
    return Error{"invalid_plan", "", r.id, "bad nftables rule"};
  }
  auto account = LookupUser(t.principal);
  if (!account) return Error{"host_error", "getpwnam", t.principal, "no such user; the rule needs its user first"};
  t.uid = account->uid;
  return t;
}

}  // namespace

LinuxHost::LinuxHost() : nft_(std::make_unique<Nftables>()) {}

LinuxHost::LinuxHost(BootUnitConfig boot, RunnerConfig runner)
    : boot_(std::move(boot)), runner_(std::move(runner)), nft_(std::make_unique<Nftables>()) {}

Result<nlohmann::json> LinuxHost::ListForObserve(const std::string& command) {
  if (!cache_listings_) return nft_->List(command);
  auto it = listed_.find(command);
  if (it == listed_.end()) it = listed_.emplace(command, nft_->List(command)).first;
  return it->second;
}

Result<Observation> LinuxHost::Observe(const Resource& r) {
  if (r.type == "posix_acl") return ObserveAclGrant(r, shallow_);
  if (r.type == "boot_unit") return ObserveBootUnit(r, boot_);
  if (r.type == "group") return ObserveGroup(r);
  if (r.type == "group_member") return ObserveGroupMember(r);
  if (r.type == "runner") return ObserveRunner(r, runner_);
  if (r.type == "launch_record") return ObserveLaunchRecord(r, runner_);
  if (r.type == "user") return ObserveUser(r);
  if (r.type == "directory") return ObserveDirectory(r);
  if (r.type == "nft_table" || r.type == "nft_chain") {
    auto table = TableSpec(r.attributes, r.id, r.type == "nft_table" ? "name" : "table");
    if (!table.ok()) return table.error();
    std::string what = r.type == "nft_table" ? "table " + *table : "chain " + *table + " " + Str(r.attributes, "name");
    auto listed = ListForObserve("list " + what);
    Observation o;
    if (!listed.ok()) {
      if (listed.error().code == "not_found") return o;
      return listed.error();
    }
    o.present = true;
    o.in_sync = true;
    if (r.type == "nft_chain") {
      for (const auto& item : *listed) {
        if (!item.contains("chain")) continue;
        const auto& c = item["chain"];
        o.in_sync = c.value("hook", "") == Str(r.attributes, "hook") && c.value("type", "") == Str(r.attributes, "type") &&
                    c.value("policy", "") == Str(r.attributes, "policy") && c.value("prio", -1) == r.attributes.value("priority", 0);
        if (!o.in_sync) o.detail = "chain settings differ";
      }
    }
    return o;
  }
  if (r.type == "nft_rule") {
    Observation o;
    auto target = ReadRule(r);
    if (!target.ok() && target.error().call != "getpwnam") return target.error();
    // Without its user the rule may still be there, matching a uid the next account gets.
    auto table = TableSpec(r.attributes, r.id, "table");
    if (!table.ok()) return table.error();
    auto rules = RulesOf(ListForObserve("list chain " + *table + " " + Str(r.attributes, "chain")));
    if (!rules.ok()) return rules.error();
    auto at = FindRule(*rules, r.id);
    if (!at) return o;
    o.present = true;
    o.current = nullptr;  // rules are sandboxctl's own; nothing to restore
    const std::optional<uint64_t> matched = (*rules)[*at].skuid;
    const std::string principal = Str(r.attributes, "principal");
    if (!target.ok()) {
      o.detail = "its user " + principal + " is gone" +
                 (matched ? ", and it still matches uid " + std::to_string(*matched) + ", " + UidOwner(*matched) : "");
      return o;
    }
    const bool same = (*rules)[*at].comment == RuleComment(r, target->uid);
    const Neighbours n = FindNeighbours(*rules, target->principal, target->order);
    const bool ordered = (!n.before || *n.before < *at) && (!n.after || *n.after > *at);
    o.in_sync = same && ordered;
    if (!same && matched && *matched != target->uid) {
      o.detail = "matches uid " + std::to_string(*matched) + ", " + UidOwner(*matched) + ", not " + principal + "'s (" +
                 std::to_string(target->uid) + ")";
    } else {
      o.detail = !same ? "rule differs (text or the user's uid changed)" : ordered ? "" : "out of order";
    }
    return o;
  }
  return Error{"unsupported", "", r.id, "resource type '" + r.type + "' is not supported by this version on Linux"};
}

Result<Ok> LinuxHost::Ensure(const Resource& r, const NotePrior& note_prior) {
  listed_.clear();  // what was listed may change now
  if (r.type == "posix_acl") return EnsureAclGrant(r, note_prior);
  if (r.type == "boot_unit") return EnsureBootUnit(r, boot_);
  if (r.type == "group") return EnsureGroup(r);
  if (r.type == "group_member") return EnsureGroupMember(r);
  if (r.type == "runner") return EnsureRunner(r, runner_);
  if (r.type == "launch_record") return EnsureLaunchRecord(r, runner_);
  if (r.type == "user") return EnsureUser(r);
  if (r.type == "directory") return EnsureDirectory(r);
  if (r.type == "nft_table") {
    auto table = TableSpec(r.attributes, r.id, "name");
    if (!table.ok()) return table.error();
    return nft_->Run("add table " + *table);
  }
  if (r.type == "nft_chain") {
    auto table = TableSpec(r.attributes, r.id, "table");
    if (!table.ok()) return table.error();
    const auto& a = r.attributes;
    if (!IsNftName(Str(a, "name")) || Str(a, "type") != "filter" || Str(a, "hook") != "output" ||
        Str(a, "policy") != "accept") {
      return Error{"invalid_plan", "", r.id, "bad nftables chain"};
    }
    return nft_->Run("add chain " + *table + " " + Str(a, "name") + " { type filter hook output priority " +
                     std::to_string(a.value("priority", 0)) + "; policy accept; }");
  }
  if (r.type == "nft_rule") {
    auto t = ReadRule(r);
    if (!t.ok()) return t.error();
    auto rules = ListChain(*nft_, t->table, t->chain);
    if (!rules.ok()) return rules.error();
    // One transaction: drop the old copy, put the new one right after the principal's
    // previous rule (or before its next one), so accepts always precede rejects.
    std::string batch;
    if (auto at = FindRule(*rules, r.id)) {
      batch += "delete rule " + t->table + " " + t->chain + " handle " + std::to_string((*rules)[*at].handle) + "\n";
    }
    const std::string body = t->text + " comment \"" + RuleComment(r, t->uid) + "\"";
    const Neighbours n = FindNeighbours(*rules, t->principal, t->order);
    const std::optional<size_t> before = n.before, after = n.after;
    if (before) {
      batch += "add rule " + t->table + " " + t->chain + " position " + std::to_string((*rules)[*before].handle) + " " + body;
    } else if (after) {
      batch += "insert rule " + t->table + " " + t->chain + " position " + std::to_string((*rules)[*after].handle) + " " + body;
    } else {
      batch += "add rule " + t->table + " " + t->chain + " " + body;
    }
    return nft_->Run(batch);
  }
  return Error{"unsupported", "", r.id, "resource type '" + r.type + "' is not supported by this version on Linux"};
}

Result<Ok> LinuxHost::Remove(const OwnedRecord& record) {
  listed_.clear();
  const Resource& r = record.resource;
  if (r.type == "posix_acl") return RemoveAclGrant(record);
  if (r.type == "boot_unit") return RemoveBootUnit(record, boot_);
  if (r.type == "group") return RemoveAccount(record, false);
  if (r.type == "group_member") return RemoveGroupMember(record);
  if (r.type == "runner") return RemoveRunner(record, runner_);
  if (r.type == "launch_record") return RemoveLaunchRecord(record, runner_);
  if (r.type == "user") return RemoveAccount(record, true);
  if (r.type == "directory") return RemoveDirectory(record);
  if (r.type == "nft_table" || r.type == "nft_chain") {
    auto table = TableSpec(r.attributes, r.id, r.type == "nft_table" ? "name" : "table");
    if (!table.ok()) return table.error();
    std::string what = r.type == "nft_table" ? "table " + *table : "chain " + *table + " " + Str(r.attributes, "name");
    if (r.type == "nft_chain" && !IsNftName(Str(r.attributes, "name"))) return Error{"invalid_state", "", r.id, "bad chain"};
    auto listed = nft_->List("list " + what);
    if (!listed.ok()) return listed.error().code == "not_found" ? Result<Ok>(Ok{}) : Result<Ok>(listed.error());
    return nft_->Run("delete " + what);
  }
  if (r.type == "nft_rule") {
    auto table = TableSpec(r.attributes, r.id, "table");
    if (!table.ok()) return table.error();
    const std::string chain = Str(r.attributes, "chain");
    if (!IsNftName(chain)) return Error{"invalid_state", "", r.id, "bad chain"};
    auto rules = ListChain(*nft_, *table, chain);
    if (!rules.ok()) return rules.error();
    auto at = FindRule(*rules, r.id);
    if (!at) return Ok{};
    return nft_->Run("delete rule " + *table + " " + chain + " handle " + std::to_string((*rules)[*at].handle));
  }
  return Error{"unsupported", "", r.id, "resource type '" + r.type + "' is not supported by this version on Linux"};
}

}  // namespace sbx
