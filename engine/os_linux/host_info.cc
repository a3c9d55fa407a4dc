#include "engine/core/host_info.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace sbx {
namespace {

Result<InvokingUser> FromPasswd(bool by_name, const std::string& name, uid_t uid) {
  long size = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(static_cast<size_t>(size > 0 ? size : 16384));
  struct passwd pw {};
  struct passwd* found = nullptr;
  int rc = by_name ? getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found)
                   : getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
  std::string object = by_name ? name : "uid " + std::to_string(uid);
  if (rc != 0) return Error{"host_error", by_name ? "getpwnam_r" : "getpwuid_r", object, std::strerror(rc)};
  if (!found) return Error{"host_error", by_name ? "getpwnam_r" : "getpwuid_r", object, "no such user"};
  return InvokingUser{pw.pw_name, pw.pw_dir, false};
}

}  // namespace

Result<InvokingUser> QueryInvokingUser() {
  uid_t uid = getuid();
  if (uid == 0) {
    const char* sudo_user = std::getenv("SUDO_USER");
    const char* sudo_uid = std::getenv("SUDO_UID");
    if (sudo_user && sudo_uid && *sudo_user) {
      // Only honour SUDO_USER when the password database agrees with SUDO_UID.
      auto r = FromPasswd(true, sudo_user, 0);
      if (r.ok()) {
        auto pw = FromPasswd(false, "", static_cast<uid_t>(std::strtoul(sudo_uid, nullptr, 10)));
        if (pw.ok() && pw->name == r->name && r->name != "root") {
          r->via_sudo = true;
          return r;
        }
      }
    }
  }
  return FromPasswd(false, "", uid);
}

bool RunningAsRoot() { return geteuid() == 0; }

std::string_view HostTargetName() { return "linux"; }

int CurrentPid() { return static_cast<int>(getpid()); }

bool StdinIsTerminal() { return isatty(STDIN_FILENO) == 1; }

Result<std::filesystem::path> ExecutablePath() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return Error{"host_error", "readlink", "/proc/self/exe", ec.message()};
  return p;
}

}  // namespace sbx
