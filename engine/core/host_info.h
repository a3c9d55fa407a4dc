// Facts about the machine sandboxctl runs on, implemented per OS (engine/os_*).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace sbx {

struct InvokingUser {
  std::string name;
  std::string home;
  bool via_sudo = false;  // root running on behalf of SUDO_USER
};

// The person sandboxctl works for: under sudo, the user sudo was run by (verified
// against the password database, never taken from $HOME); otherwise the current user.
Result<InvokingUser> QueryInvokingUser();

// True when running with root privileges (effective uid 0).
bool RunningAsRoot();

// This process's id.
int CurrentPid();

// True when standard input is a terminal (a person can answer a question).
bool StdinIsTerminal();

// The plan target of this machine: "linux" or "windows".
std::string_view HostTargetName();

// Absolute path of the running executable.
Result<std::filesystem::path> ExecutablePath();

}  // namespace sbx
