// A failed system call as an Error value: the call, the object and strerror. EACCES and
// EPERM get the code "permission_denied", so read-only commands run without root can say
// what they could not see instead of failing.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>

#include "engine/core/result.h"

namespace sbx {

inline Error SysError(const std::string& call, const std::string& object, int err) {
  return Error{err == EACCES || err == EPERM ? "permission_denied" : "host_error", call, object, std::strerror(err)};
}

}  // namespace sbx
