#include "engine/os_linux/seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "engine/os_linux/sys_error.h"

namespace sbx {
namespace {

constexpr const char* kDenied[] = {
    "process_vm_readv", "process_vm_writev", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
    "userfaultfd", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "mount",
    "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsmount", "fsconfig", "fspick", "swapon",
    "swapoff", "reboot", "acct", "quotactl", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "lookup_dcookie", "vhangup", "syslog", "nfsservctl", "uselib"};

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

}  // namespace

Result<SeccompProgram> CompileSeccomp(bool unix_sockets_only) {
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return Error{"host_error", "seccomp_init", "seccomp filter", "libseccomp could not start a filter"};
  auto fail = [](const char* call, const std::string& what, int rc) { return SysError(call, what, -rc); };
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  for (const char* name : kDenied) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    if (int rc = seccomp_rule_add(ctx.get(), deny, nr, 0); rc != 0) return fail("seccomp_rule_add", name, rc);
  }
  // Typing into the terminal of the shell that started exec (TIOCSTI), or the console.
  for (unsigned long request : {static_cast<unsigned long>(TIOCSTI), static_cast<unsigned long>(TIOCLINUX)}) {
    if (int rc = seccomp_rule_add(ctx.get(), deny, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, request));
        rc != 0) {
      return fail("seccomp_rule_add", "ioctl(TIOCSTI)", rc);
    }
  }
  // No nested user namespaces: they would hand the command a full set of capabilities
  // over namespaced kernel interfaces. clone3 hides its flags in memory: ENOSYS makes
  // the C library fall back to clone, whose flags are checked.
  for (int nr : {SCMP_SYS(unshare), SCMP_SYS(clone)}) {
    if (int rc = seccomp_rule_add(ctx.get(), deny, nr, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
        rc != 0) {
      return fail("seccomp_rule_add", "CLONE_NEWUSER", rc);
    }
  }
  if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0); rc != 0) {
    return fail("seccomp_rule_add", "clone3", rc);
  }
  // vsock is not namespaced: it reaches the hypervisor whatever the network namespace.
  if (int rc = seccomp_rule_add(ctx.get(), deny, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_VSOCK)); rc != 0) {
    return fail("seccomp_rule_add", "socket(AF_VSOCK)", rc);
  }
  const uint32_t no_family = SCMP_ACT_ERRNO(EAFNOSUPPORT);
  if (unix_sockets_only) {
    if (int rc = seccomp_rule_add(ctx.get(), no_family, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX)); rc != 0) {
      return fail("seccomp_rule_add", "socket", rc);
    }
  } else {
    if (int rc = seccomp_rule_add(ctx.get(), deny, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_PACKET)); rc != 0) {
      return fail("seccomp_rule_add", "socket(AF_PACKET)", rc);
    }
    for (int family : {AF_INET, AF_INET6}) {
      // The type argument carries SOCK_NONBLOCK/SOCK_CLOEXEC in its high bits.
      if (int rc = seccomp_rule_add(ctx.get(), deny, SCMP_SYS(socket), 2, SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family)),
                                    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_RAW));
          rc != 0) {
        return fail("seccomp_rule_add", "socket(SOCK_RAW)", rc);
      }
    }
  }
  // libseccomp 2.5 exports BPF only to a descriptor: through a memory file, back into memory.
  int mem = memfd_create("sandboxctl-seccomp", MFD_CLOEXEC);
  if (mem < 0) return SysError("memfd_create", "seccomp filter", errno);
  if (int rc = seccomp_export_bpf(ctx.get(), mem); rc != 0) {
    close(mem);
    return fail("seccomp_export_bpf", "seccomp filter", rc);
  }
  const off_t size = lseek(mem, 0, SEEK_END);
  if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0 || size > (1 << 20)) {
    const int err = size < 0 ? errno : EIO;
    close(mem);
    return SysError("lseek", "seccomp filter", err);
  }
  SeccompProgram program;
  program.code.resize(static_cast<size_t>(size) / sizeof(sock_filter));
  const ssize_t n = pread(mem, program.code.data(), program.code.size() * sizeof(sock_filter), 0);
  const int err = errno;
  close(mem);
  if (n != static_cast<ssize_t>(program.code.size() * sizeof(sock_filter))) {
    return SysError("pread", "seccomp filter", n < 0 ? err : EIO);
  }
  return program;
}

int InstallSeccomp(const sock_fprog& program) {
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0);
}

}  // namespace sbx
