// The seccomp filter of `exec`, compiled with libseccomp in the parent; the child installs
// the finished BPF program as its very last step before execve.
//
// It refuses, with EPERM, what a build or a test never needs and what would reach past
// the sandbox: other processes' memory (process_vm_*), kernel keyrings, module and kexec
// loading, bpf, perf_event_open, userfaultfd, mount and friends, io_uring (whose
// operations bypass seccomp), raw and packet sockets, setns and mount_setattr, and every
// way to give a file the setuid or setgid bit (chmod and the mode of open, mkdir, mknod). With `unix_sockets_only` (offline
// without a private network namespace) every socket family but AF_UNIX is refused too.
// ptrace of processes outside the sandbox is refused by Landlock, so debuggers keep
// working on the sandbox's own children.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "engine/core/result.h"

namespace sbx {

struct SeccompProgram {
  std::vector<sock_filter> code;
  sock_fprog Program() const {
    return sock_fprog{static_cast<unsigned short>(code.size()), const_cast<sock_filter*>(code.data())};
  }
};

Result<SeccompProgram> CompileSeccomp(bool unix_sockets_only);

// In the child: installs `program`. Async-signal-safe; needs no_new_privs first.
int InstallSeccomp(const sock_fprog& program);

}  // namespace sbx
