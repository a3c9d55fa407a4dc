// Looking up accounts in the password and group databases (thread-safe, _r variants).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace sbx {

struct Account {
  uid_t uid;
  gid_t gid;
  std::string shell, home, gecos;
};

std::optional<Account> LookupUser(const std::string& name);
std::optional<Account> LookupUserById(uid_t uid);
std::optional<gid_t> LookupGroup(const std::string& name);

}  // namespace sbx
