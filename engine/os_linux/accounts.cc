#include "engine/os_linux/accounts.h"

#include <grp.h>
#include <pwd.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "engine/os_linux/run_command.h"

namespace sbx {
namespace {

std::optional<Account> FromPasswd(const passwd& pw) {
  return Account{pw.pw_uid, pw.pw_gid, pw.pw_shell ? pw.pw_shell : "", pw.pw_dir ? pw.pw_dir : "",
                 pw.pw_gecos ? pw.pw_gecos : ""};
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

}  // namespace sbx
