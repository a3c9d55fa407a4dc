// Looking up accounts in the password and group databases (thread-safe, _r variants),
// and running the tools that change them.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/core/result.h"
#include "engine/reconcile/host.h"

namespace sbx {

struct Account {
  uid_t uid;
  gid_t gid;
  std::string shell, home, gecos;
  std::string name;
};

std::optional<Account> LookupUser(const std::string& name);
std::optional<Account> LookupUserById(uid_t uid);
std::optional<gid_t> LookupGroup(const std::string& name);
// The group's listed members (not those whose primary group it is); nullopt: no group.
std::optional<std::vector<std::string>> GroupMembers(const std::string& name);

// A process of the machine: its pid and its command line's first word, for people.
struct ProcessOf {
  pid_t pid;
  std::string command;
};

// The processes with `uid` as their real, effective, saved or file-system uid (the
// sandbox user's commands, and the runner's waiting side, whose real uid it is).
std::vector<ProcessOf> ProcessesOf(uid_t uid);

// Ends every process of `uid` (SIGKILL through a pidfd taken after its uid was read, so
// a reused pid is never hit), again and again while new ones appear, up to `rounds`;
// returns how many were ended, or an error if some still run.
Result<size_t> EndProcessesOf(uid_t uid, int rounds = 200);

// Runs useradd, groupadd, gpasswd & co (RunCommand), waiting while another process holds
// the passwd/group lock (an interrupted earlier run may have left one finishing).
Result<Ok> RunAccountTool(const std::vector<std::string>& argv);

}  // namespace sbx
