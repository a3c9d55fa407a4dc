#include "engine/os_linux/accounts.h"

#include <dirent.h>
#include <grp.h>
#include <signal.h>  // NOLINT(modernize-deprecated-headers): kill and signals are POSIX
#include <sys/syscall.h>
#include <pwd.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <chrono>
#include <thread>
#include <vector>

#include "engine/os_linux/run_command.h"

namespace sbx {
namespace {

std::optional<Account> FromPasswd(const passwd& pw) {
  return Account{pw.pw_uid, pw.pw_gid, pw.pw_shell ? pw.pw_shell : "", pw.pw_dir ? pw.pw_dir : "",
                 pw.pw_gecos ? pw.pw_gecos : "", pw.pw_name ? pw.pw_name : ""};
}

}  // namespace

std::optional<Account> LookupUser(const std::string& name) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) return std::nullopt;
  return FromPasswd(pw);
}

std::optional<Account> LookupUserById(uid_t uid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || !found) return std::nullopt;
  return FromPasswd(pw);
}

std::optional<gid_t> LookupGroup(const std::string& name) {
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  if (getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found) return std::nullopt;
  return gr.gr_gid;
}

std::optional<std::vector<std::string>> GroupMembers(const std::string& name) {
  std::vector<char> buf(1 << 16);
  group gr{};
  group* found = nullptr;
  if (getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found) return std::nullopt;
  std::vector<std::string> members;
  for (char** m = gr.gr_mem; m && *m; ++m) members.emplace_back(*m);
  return members;
}

Result<Ok> RunAccountTool(const std::vector<std::string>& argv) {
  for (int attempt = 0;; ++attempt) {
    auto r = RunCommand(argv);
    if (r.ok() || attempt >= 50 || r.error().message.find("cannot lock") == std::string::npos) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

namespace {

// Whether the process `pid` has `uid` among its uids (/proc/PID/status "Uid:" line) and
// still runs (a zombie, ended and not yet reaped, does not).
bool HasUid(const std::string& pid, uid_t uid) {
  std::ifstream status("/proc/" + pid + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("State:", 0) == 0 && line.find('Z') != std::string::npos) return false;
    if (line.rfind("Uid:", 0) != 0) continue;
    std::istringstream ids(line.substr(4));
    for (long long id = 0; ids >> id;) {
      if (id == static_cast<long long>(uid)) return true;
    }
    return false;
  }
  return false;
}

}  // namespace

std::vector<ProcessOf> ProcessesOf(uid_t uid) {
  std::vector<ProcessOf> out;
  DIR* proc = opendir("/proc");
  if (!proc) return out;
  while (dirent* e = readdir(proc)) {
    const std::string pid = e->d_name;
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (!HasUid(pid, uid)) continue;
    std::ifstream cmdline("/proc/" + pid + "/cmdline");
    std::string command;
    std::getline(cmdline, command, '\0');
    out.push_back({static_cast<pid_t>(std::strtol(pid.c_str(), nullptr, 10)), command});
  }
  closedir(proc);
  return out;
}

Result<size_t> EndProcessesOf(uid_t uid, int rounds) {
  size_t ended = 0;
  for (int round = 0; round < rounds; ++round) {
    const auto found = ProcessesOf(uid);
    if (found.empty()) return ended;
    for (const auto& p : found) {
      const int fd = static_cast<int>(syscall(SYS_pidfd_open, p.pid, 0));
      if (fd < 0) continue;  // gone already
      // The pid is held now: only if it is still one of uid's does it get the signal.
      if (HasUid(std::to_string(p.pid), uid) && syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0) == 0) ++ended;
      close(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(round < 10 ? 5 : 20));
  }
  const auto left = ProcessesOf(uid);
  if (left.empty()) return ended;
  return Error{"still_running", "kill", "uid " + std::to_string(uid),
               std::to_string(left.size()) + " processes still run after " + std::to_string(rounds) + " rounds of SIGKILL"};
}

}  // namespace sbx
