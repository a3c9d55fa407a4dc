#include "engine/os_linux/launch_record.h"

#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "engine/core/strings.h"
#include "engine/os_linux/sys_error.h"

namespace sbx {

namespace fs = std::filesystem;

fs::path LaunchRecordPath(const fs::path& state_dir, const std::string& workspace, const std::string& profile) {
  std::string key = workspace;
  key += '\0';
  key += profile;
  return state_dir / "launch" / (Hex(Fnv1a64(key), 16) + ".json");
}

fs::path LaunchBusyPath(const fs::path& state_dir) { return state_dir / "launch" / "busy"; }

bool WaitWhileChanging(const fs::path& state_dir, std::chrono::milliseconds timeout, std::ostream* say) {
  const fs::path busy = LaunchBusyPath(state_dir);
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (bool said = false;; said = true) {
    struct stat st {};
    if (lstat(busy.c_str(), &st) != 0) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    if (!said && say) {
      *say << "sandboxctl exec: waiting for an apply or destroy to finish (up to " +
                  std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) + " s)...\n"
           << std::flush;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

nlohmann::json LaunchRecordToJson(const LaunchRecord& r) {
  return {{"format", kLaunchRecordFormat},
          {"workspace", r.workspace},
          {"profile", r.profile},
          {"group", {{"name", r.group}, {"gid", r.group_gid}}},
          {"users", r.users},
          {"applied_by", r.applied_by},
          {"user", {{"name", r.user}, {"uid", r.uid}, {"gid", r.gid}}},
          {"firewall_boot_id", r.firewall_boot_id},
          {"launch", LaunchSpecToJson(r.spec)}};
}

namespace {

Error BadRecord(const std::string& what) { return Error{"invalid_state", "", "launch record", what}; }

template <typename T>
bool Id(const nlohmann::json& j, const char* key, T& out) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_unsigned()) return false;
  const uint64_t v = j[key].get<uint64_t>();
  if (v >= 0xffffffffULL) return false;  // (uid_t)-1 means "unchanged" to setresuid
  out = static_cast<T>(v);
  return true;
}

}  // namespace

Result<LaunchRecord> LaunchRecordFromJson(const nlohmann::json& j, const std::string& workspace,
                                          const std::string& profile) {
  if (!j.is_object() || !j.contains("format") || !j["format"].is_number_integer() || j["format"] != kLaunchRecordFormat) {
    return BadRecord("unknown format");
  }
  LaunchRecord r;
  for (auto [key, field] : {std::pair{"workspace", &r.workspace}, std::pair{"profile", &r.profile},
                            std::pair{"firewall_boot_id", &r.firewall_boot_id}}) {
    if (!j.contains(key) || !j[key].is_string()) return BadRecord(std::string("'") + key + "' is not a string");
    *field = j[key].get<std::string>();
  }
  if (r.workspace != workspace || r.profile != profile) {
    return BadRecord("it is for profile '" + r.profile + "' in " + r.workspace);
  }
  const auto& group = j.value("group", nlohmann::json());
  const auto& user = j.value("user", nlohmann::json());
  if (!group.is_object() || !group.contains("name") || !group["name"].is_string() || !Id(group, "gid", r.group_gid)) {
    return BadRecord("'group' is not a name and gid");
  }
  r.group = group["name"].get<std::string>();
  if (!user.is_object() || !user.contains("name") || !user["name"].is_string() || !Id(user, "uid", r.uid) ||
      !Id(user, "gid", r.gid)) {
    return BadRecord("'user' is not a name, uid and gid");
  }
  r.user = user["name"].get<std::string>();
  if (r.uid == 0 || r.gid == 0) return BadRecord("the sandbox user may not be root");
  if (!Id(j, "applied_by", r.applied_by)) return BadRecord("'applied_by' is not a uid");
  if (!j.contains("users") || !j["users"].is_array()) return BadRecord("'users' is not a list");
  for (const auto& u : j["users"]) {
    nlohmann::json wrap = {{"uid", u}};
    uid_t uid = 0;
    if (!Id(wrap, "uid", uid)) return BadRecord("'users' holds something that is not a uid");
    r.users.push_back(uid);
  }
  if (!j.contains("launch")) return BadRecord("'launch' is missing");
  auto spec = LaunchSpecFromJson(j["launch"]);
  if (!spec.ok()) return BadRecord(spec.error().message);
  r.spec = std::move(*spec);
  if (r.spec.profile != profile || r.spec.user != r.user) return BadRecord("its launch spec is for another profile");
  return r;
}

Result<std::string> ReadRootOwnedFile(const fs::path& path, size_t max_bytes) {
  if (!path.is_absolute()) return Error{"untrusted_state", "", path.string(), "not an absolute path"};
  auto untrusted = [&](const std::string& what, const std::string& why) {
    return Error{"untrusted_state", "", what, why + "; only root may be able to change it"};
  };
  int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return SysError("open", "/", errno);
  std::string so_far;
  std::vector<std::string> parts;
  for (const auto& part : path.relative_path()) parts.push_back(part.string());
  if (parts.empty()) {
    close(dir);
    return untrusted(path.string(), "not a file");
  }
  for (size_t i = 0;; ++i) {
    struct stat st {};
    if (fstat(dir, &st) != 0) {
      const int err = errno;
      close(dir);
      return SysError("fstat", so_far.empty() ? "/" : so_far, err);
    }
    const std::string here = so_far.empty() ? "/" : so_far;
    const bool sticky = st.st_mode & S_ISVTX;
    if (st.st_uid != 0 || ((st.st_mode & 022) && !sticky)) {
      close(dir);
      return untrusted(here, "directory not owned by root or writable by others");
    }
    so_far += "/" + parts[i];
    const bool last = i + 1 == parts.size();
    if (parts[i] == ".." || parts[i] == "." || parts[i].empty()) {
      close(dir);
      return untrusted(so_far, "not a plain path");
    }
    int next = openat(dir, parts[i].c_str(), (last ? O_RDONLY : O_PATH | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
    const int err = errno;
    close(dir);
    if (next < 0) return SysError("open", so_far, err);
    dir = next;
    if (last) break;
  }
  struct stat st {};
  if (fstat(dir, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022)) {
    close(dir);
    return untrusted(so_far, "not a regular file owned by root");
  }
  std::string text;
  char buf[8192];
  ssize_t n = 0;
  while ((n = read(dir, buf, sizeof buf)) > 0) {
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > max_bytes) {
      close(dir);
      return Error{"invalid_state", "read", so_far, "larger than " + std::to_string(max_bytes) + " bytes"};
    }
  }
  const int err = errno;
  close(dir);
  if (n < 0) return SysError("read", so_far, err);
  return text;
}

Result<LaunchRecord> ReadLaunchRecord(const fs::path& state_dir, const std::string& workspace,
                                      const std::string& profile) {
  const fs::path path = LaunchRecordPath(state_dir, workspace, profile);
  auto text = ReadRootOwnedFile(path, 1 << 20);
  if (!text.ok()) return text.error();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Error{"invalid_state", "parse", path.string(), "not JSON"};
  auto record = LaunchRecordFromJson(j, workspace, profile);
  if (!record.ok()) return Error{"invalid_state", "", path.string(), record.error().message};
  return record;
}

fs::path FirewallCheckedPath(const fs::path& state_dir, const std::string& workspace, const std::string& profile) {
  return LaunchRecordPath(state_dir, workspace, profile).replace_extension(".checked");
}

std::optional<FirewallChecked> ReadFirewallChecked(const fs::path& path) {
  auto text = ReadRootOwnedFile(path, 8192);
  if (!text.ok()) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  auto str = [&](const char* key) { return j.is_object() && j.contains(key) && j[key].is_string(); };
  auto num = [&](const char* key, uint64_t max) {
    return j.is_object() && j.contains(key) && j[key].is_number_unsigned() && j[key].get<uint64_t>() <= max;
  };
  if (!str("workspace") || !str("profile") || !str("boot_id") || !num("netns", UINT64_MAX) ||
      !num("generation", UINT32_MAX) || !str("rules")) {
    return std::nullopt;
  }
  return FirewallChecked{j["workspace"], j["profile"], j["boot_id"], j["netns"].get<uint64_t>(),
                         j["generation"].get<uint32_t>(), j["rules"]};
}

std::string FirewallCheckedText(const FirewallChecked& c) {
  return nlohmann::json{{"workspace", c.workspace}, {"profile", c.profile}, {"boot_id", c.boot_id},
                        {"netns", c.netns},         {"generation", c.generation}, {"rules", c.rules}}
             .dump() +
         "\n";
}

uint64_t CurrentNetns() {
  struct stat st {};
  return stat("/proc/self/ns/net", &st) == 0 ? static_cast<uint64_t>(st.st_ino) : 0;
}

std::string CurrentBootId() {
  int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[64];
  const ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  if (n <= 0) return "";
  std::string id(buf, static_cast<size_t>(n));
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id;
}

std::string RunnerConfText(const fs::path& state_dir) {
  return "# Written by sandboxctl apply: where sandboxctl-runner finds its launch records.\nstate_dir=" +
         state_dir.string() + "\n";
}

Result<fs::path> ParseRunnerConf(const std::string& text) {
  for (const auto& line : Split(text, '\n')) {
    if (StartsWith(line, "state_dir=")) {
      fs::path dir = line.substr(10);
      if (!dir.is_absolute()) break;
      return dir;
    }
  }
  return Error{"invalid_state", "", kRunnerConf, "no absolute state_dir= line"};
}

}  // namespace sbx
