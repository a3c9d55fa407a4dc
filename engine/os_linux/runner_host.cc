#include "engine/os_linux/runner_host.h"

#include <fcntl.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/core/names.h"
#include "engine/core/strings.h"
#include "engine/os_linux/accounts.h"
#include "engine/os_linux/files.h"
#include "engine/os_linux/launch_record.h"
#include "engine/os_linux/sys_error.h"

namespace sbx {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRunnerCapabilities = "cap_setgid,cap_setuid=ep";

std::string Str(const nlohmann::json& a, const char* key) {
  return a.contains(key) && a[key].is_string() ? a[key].get<std::string>() : "";
}

Result<std::pair<std::string, std::string>> MemberNames(const Resource& r) {
  const std::string group = Str(r.attributes, "group"), user = Str(r.attributes, "user");
  if (!IsValidUserName(group) || !IsValidUserName(user)) {
    return Error{"invalid_plan", "", r.id, "not a valid group and user name"};
  }
  return std::pair{group, user};
}

Result<gid_t> RunnerGroup(const nlohmann::json& attributes, const std::string& id) {
  const std::string group = Str(attributes, "group");
  if (!IsValidUserName(group)) return Error{"invalid_plan", "", id, "not a valid group name: '" + group + "'"};
  auto gid = LookupGroup(group);
  if (!gid) return Error{"host_error", "getgrnam", group, "no such group"};
  return *gid;
}

// "" when `path` is a root-owned file of this group and mode, else what differs.
std::string FileDiffers(const fs::path& path, gid_t gid, mode_t mode) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return path.filename().string() + " is missing";
  if (!S_ISREG(st.st_mode)) return path.string() + " is not a regular file";
  if (st.st_uid != 0 || st.st_gid != gid) return path.filename().string() + " has another owner or group";
  if ((st.st_mode & 07777) != mode) return path.filename().string() + " has another mode";
  return "";
}

std::string FileCapabilities(const fs::path& path) {
  cap_t c = cap_get_file(path.c_str());
  if (!c) return "";
  char* text = cap_to_text(c, nullptr);
  std::string out = text ? text : "";
  if (text) cap_free(text);
  cap_free(c);
  return out;
}

// `dir` and those of its ancestors that do not exist, deepest first.
std::vector<fs::path> MissingDirectories(const fs::path& dir) {
  std::vector<fs::path> missing;
  struct stat st {};
  for (fs::path d = dir; d.has_relative_path() && lstat(d.c_str(), &st) != 0; d = d.parent_path()) missing.push_back(d);
  return missing;
}

// A root-owned directory of `gid`, `mode`, made if missing.
Result<Ok> EnsureDir(const fs::path& dir, gid_t gid, mode_t mode) {
  if (mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) return SysError("mkdir", dir.string(), errno);
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return SysError("open", dir.string(), errno);
  const bool ok = fchown(fd, 0, gid) == 0 && fchmod(fd, mode) == 0;
  const int err = errno;
  close(fd);
  if (!ok) return SysError("fchown/fchmod", dir.string(), err);
  return Ok{};
}

}  // namespace

// --- group_member -------------------------------------------------------------------

Result<Observation> ObserveGroupMember(const Resource& r) {
  auto names = MemberNames(r);
  if (!names.ok()) return names.error();
  Observation o;
  auto members = GroupMembers(names->first);
  if (members && std::find(members->begin(), members->end(), names->second) != members->end()) {
    o.present = o.in_sync = true;
  }
  return o;
}

Result<Ok> EnsureGroupMember(const Resource& r) {
  auto names = MemberNames(r);
  if (!names.ok()) return names.error();
  if (!LookupUser(names->second)) return Error{"host_error", "getpwnam", names->second, "no such user"};
  auto members = GroupMembers(names->first);
  if (members && std::find(members->begin(), members->end(), names->second) != members->end()) return Ok{};
  return RunAccountTool({"gpasswd", "--add", names->second, names->first});
}

Result<Ok> RemoveGroupMember(const OwnedRecord& record) {
  auto names = MemberNames(record.resource);
  if (!names.ok()) return names.error();
  auto members = GroupMembers(names->first);
  if (!members || std::find(members->begin(), members->end(), names->second) == members->end()) return Ok{};
  return RunAccountTool({"gpasswd", "--delete", names->second, names->first});
}

// --- runner -------------------------------------------------------------------------

Result<Observation> ObserveRunner(const Resource& r, const RunnerConfig& c) {
  if (Str(r.attributes, "name") != kRunnerName || Str(r.attributes, "mode") != "0750" ||
      Str(r.attributes, "capabilities") != kRunnerCapabilities) {
    return Error{"invalid_plan", "", r.id, "unexpected runner"};
  }
  Observation o;
  const fs::path file = c.dir / kRunnerName, conf = c.dir / kRunnerConf;
  struct stat st {};
  // The directories apply will make, for destroy to take away again.
  nlohmann::json missing = nlohmann::json::array();
  for (const auto& d : MissingDirectories(c.dir)) missing.push_back(d.string());
  o.current = {{"dir", c.dir.string()}, {"missing_dirs", missing}};
  if (lstat(file.c_str(), &st) != 0) return o;
  if (access(file.c_str(), R_OK) != 0) {  // not root, not in its group: no telling
    o.unobservable = true;
    o.detail = file.string() + ": " + std::strerror(errno);
    return o;
  }
  o.present = true;
  std::vector<std::string> differ;
  auto gid = LookupGroup(Str(r.attributes, "group"));
  if (!gid) differ.push_back("group " + Str(r.attributes, "group") + " is missing");
  if (gid) {
    for (const auto& [path, mode] : {std::pair{file, mode_t{0750}}, std::pair{conf, mode_t{0644}}}) {
      const std::string d = FileDiffers(path, path == conf ? 0 : *gid, mode);
      if (!d.empty()) differ.push_back(d);
    }
  }
  if (FileCapabilities(file) != kRunnerCapabilities) differ.emplace_back("file capabilities differ");
  auto installed = ReadFileNoFollow(file), built = ReadFileNoFollow(c.source);
  if (!built) differ.push_back("the runner built with this sandboxctl (" + c.source.string() + ") is missing");
  if (built && (!installed || *installed != *built)) differ.push_back("runner differs from " + c.source.string());
  if (ReadFileNoFollow(conf).value_or("") != RunnerConfText(c.state_dir)) differ.push_back(std::string(kRunnerConf) + " differs");
  o.in_sync = differ.empty();
  o.detail = Join(differ, ", ");
  return o;
}

Result<Ok> EnsureRunner(const Resource& r, const RunnerConfig& c) {
  auto gid = RunnerGroup(r.attributes, r.id);
  if (!gid.ok()) return gid.error();
  auto built = ReadFileNoFollow(c.source);
  if (!built) return Error{"host_error", "open", c.source.string(), "the runner built with sandboxctl is missing"};
  const std::vector<fs::path> missing = MissingDirectories(c.dir);
  for (auto d = missing.rbegin(); d != missing.rend(); ++d) {
    if (mkdir(d->c_str(), 0755) != 0 && errno != EEXIST) return SysError("mkdir", d->string(), errno);
  }
  if (auto d = EnsureDir(c.dir, 0, 0755); !d.ok()) return d;
  if (auto w = WriteFileReplacing(c.dir / kRunnerConf, RunnerConfText(c.state_dir), 0, 0644, nullptr); !w.ok()) return w;
  return WriteFileReplacing(c.dir / kRunnerName, *built, *gid, 0750, kRunnerCapabilities);
}

Result<Ok> RemoveRunner(const OwnedRecord& record, const RunnerConfig& c) {
  // Where apply put it, as recorded then (the option may have changed since).
  const fs::path dir = record.prior.is_object() ? fs::path(record.prior.value("dir", "")) : fs::path();
  if (dir.empty() || !dir.is_absolute()) return Error{"invalid_state", "", record.resource.id, "no runner directory"};
  struct stat installed {}, built {};
  if (lstat((dir / kRunnerName).c_str(), &installed) == 0 && stat(c.source.c_str(), &built) == 0 &&
      installed.st_dev == built.st_dev && installed.st_ino == built.st_ino) {
    // sandboxctl was installed there itself: the program stays, its privileges go.
    const fs::path file = dir / kRunnerName;
    if (chown(file.c_str(), 0, 0) != 0 || chmod(file.c_str(), 0755) != 0) return SysError("chown/chmod", file.string(), errno);
    if (unlink((dir / kRunnerConf).c_str()) != 0 && errno != ENOENT) return SysError("unlink", (dir / kRunnerConf).string(), errno);
    return Ok{};
  }
  // A copy an interrupted apply was writing goes too (it may carry the capabilities).
  for (const std::string& name : {std::string(kRunnerName) + ".sandboxctl-new", std::string(kRunnerConf) + ".sandboxctl-new"}) {
    unlink((dir / name).c_str());
  }
  for (const char* name : {kRunnerName, kRunnerConf}) {
    if (unlink((dir / name).c_str()) != 0 && errno != ENOENT) return SysError("unlink", (dir / name).string(), errno);
  }
  for (const auto& d : record.prior.value("missing_dirs", nlohmann::json::array())) {
    if (!d.is_string()) continue;
    const fs::path made = d.get<std::string>();
    if (made != dir && dir.string().rfind(made.string() + "/", 0) != 0) continue;  // only it and its ancestors
    if (rmdir(made.c_str()) != 0 && errno != ENOENT && errno != ENOTEMPTY) return SysError("rmdir", made.string(), errno);
  }
  return Ok{};
}

// --- launch_record ------------------------------------------------------------------

namespace {

// The record apply writes for `r` now, with the machine's uids and this boot's id.
Result<LaunchRecord> ExpectedRecord(const Resource& r) {
  LaunchRecord rec;
  rec.workspace = Str(r.attributes, "workspace");
  rec.profile = Str(r.attributes, "profile");
  rec.group = Str(r.attributes, "group");
  auto gid = RunnerGroup(r.attributes, r.id);
  if (!gid.ok()) return gid.error();
  rec.group_gid = *gid;
  if (!r.attributes.contains("launch")) return Error{"invalid_plan", "", r.id, "no launch spec"};
  auto spec = LaunchSpecFromJson(r.attributes["launch"]);
  if (!spec.ok()) return Error{"invalid_plan", "", r.id, spec.error().message};
  rec.spec = std::move(*spec);
  if (rec.workspace.empty() || rec.workspace[0] != '/' || rec.profile != rec.spec.profile) {
    return Error{"invalid_plan", "", r.id, "launch record for another profile"};
  }
  rec.user = rec.spec.user;
  auto sandbox = LookupUser(rec.user);
  if (!sandbox) return Error{"host_error", "getpwnam", rec.user, "no such user"};
  rec.uid = sandbox->uid;
  rec.gid = sandbox->gid;
  if (const std::string by = Str(r.attributes, "applied_by"); !by.empty()) {
    auto account = LookupUser(by);
    if (!account) return Error{"host_error", "getpwnam", by, "no such user"};
    rec.applied_by = account->uid;
  }
  for (const auto& name : r.attributes.value("users", nlohmann::json::array())) {
    auto account = name.is_string() ? LookupUser(name.get<std::string>()) : std::nullopt;
    if (!account) return Error{"host_error", "getpwnam", name.dump(), "no such user"};
    rec.users.push_back(account->uid);
  }
  if (rec.spec.network != NetworkMode::kOnline) rec.firewall_boot_id = CurrentBootId();
  return rec;
}

}  // namespace

Result<Observation> ObserveLaunchRecord(const Resource& r, const RunnerConfig& c) {
  Observation o;
  const fs::path path = LaunchRecordPath(c.state_dir, Str(r.attributes, "workspace"), Str(r.attributes, "profile"));
  auto text = ReadFileNoFollow(path);
  if (!text && (errno == EACCES || errno == EPERM)) {  // not root, not in the runner group
    o.unobservable = true;
    o.detail = path.string() + ": " + std::strerror(errno);
    return o;
  }
  if (!text) return o;
  o.present = true;
  auto expected = ExpectedRecord(r);
  if (!expected.ok()) {
    o.detail = expected.error().Render();
    return o;
  }
  std::vector<std::string> differ;
  nlohmann::json found = nlohmann::json::parse(*text, nullptr, false);
  if (found != LaunchRecordToJson(*expected)) {
    const bool only_boot = found.is_object() && found.contains("firewall_boot_id") &&
                           found["firewall_boot_id"] != expected->firewall_boot_id;
    differ.emplace_back(only_boot ? "recorded in an earlier boot (firewall rules not restored since)" : "record differs");
  }
  if (auto d = FileDiffers(path, expected->group_gid, 0640); !d.empty()) differ.push_back(d);
  struct stat st {};
  if (lstat(path.parent_path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
      st.st_gid != expected->group_gid || (st.st_mode & 07777) != 0750) {
    differ.emplace_back("launch directory has another owner, group or mode");
  }
  o.in_sync = differ.empty();
  o.detail = Join(differ, ", ");
  return o;
}

Result<Ok> EnsureLaunchRecord(const Resource& r, const RunnerConfig& c) {
  auto rec = ExpectedRecord(r);
  if (!rec.ok()) return rec.error();
  const fs::path path = LaunchRecordPath(c.state_dir, rec->workspace, rec->profile);
  if (auto d = EnsureDir(path.parent_path(), rec->group_gid, 0750); !d.ok()) return d;
  // What an exec found of the rules before is about the record replaced: it checks again.
  if (auto checked = FirewallCheckedPath(c.state_dir, rec->workspace, rec->profile);
      unlink(checked.c_str()) != 0 && errno != ENOENT) {
    return SysError("unlink", checked.string(), errno);
  }
  return WriteFileReplacing(path, LaunchRecordToJson(*rec).dump(2) + "\n", rec->group_gid, 0640, nullptr);
}

Result<Ok> RemoveLaunchRecord(const OwnedRecord& record, const RunnerConfig& c) {
  const auto& a = record.resource.attributes;
  const fs::path path = LaunchRecordPath(c.state_dir, Str(a, "workspace"), Str(a, "profile"));
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return SysError("unlink", path.string(), errno);
  unlink((path.string() + ".sandboxctl-new").c_str());  // what an interrupted apply was writing
  const fs::path checked = FirewallCheckedPath(c.state_dir, Str(a, "workspace"), Str(a, "profile"));
  if (unlink(checked.c_str()) != 0 && errno != ENOENT) return SysError("unlink", checked.string(), errno);
  unlink((checked.string() + ".sandboxctl-new").c_str());
  // The last record gone, the directory goes, with the busy mark of the run removing it.
  bool records_left = false;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(path.parent_path(), ec)) {
    if (e.path().extension() == ".json") records_left = true;
  }
  if (records_left) return Ok{};
  unlink(LaunchBusyPath(c.state_dir).c_str());
  if (rmdir(path.parent_path().c_str()) != 0 && errno != ENOENT && errno != ENOTEMPTY) {
    return SysError("rmdir", path.parent_path().string(), errno);
  }
  return Ok{};
}

}  // namespace sbx
