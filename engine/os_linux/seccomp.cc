#include "engine/os_linux/seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>
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
    "lookup_dcookie", "vhangup", "syslog", "nfsservctl", "uselib",
    // Into another sandbox's (or any) namespaces, and mount flags changed in place.
    "setns", "mount_setattr"};

// fchmodat2 (Linux 6.6) is newer than Debian 12's libseccomp: by number where it has none.
#ifndef __NR_fchmodat2
#if defined(__x86_64__) || defined(__aarch64__) || defined(__i386__)
constexpr int kFchmodat2 = 452;
#else
constexpr int kFchmodat2 = -1;
#endif
#else
constexpr int kFchmodat2 = __NR_fchmodat2;
#endif

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
  // No file becomes setuid or setgid: one left in a writable root would run as the sandbox's
  // user, outside the sandbox, for anyone who starts it. The mode is the argument of chmod
  // and of every call that creates a file or directory; openat2 keeps it in memory, where
  // the filter cannot look, so it is ENOSYS (the C library's open uses openat).
  // open's mode counts only when it creates (O_CREAT, O_TMPFILE): the flags are compared too.
  struct ModeArg {
    int nr;
    unsigned mode, flags;  // argument positions; flags ~0u: none
    const char* name;
  };
  constexpr unsigned kNone = ~0U;
  const ModeArg mode_args[] = {
      {SCMP_SYS(chmod), 1, kNone, "chmod"},     {SCMP_SYS(fchmod), 1, kNone, "fchmod"},
      {SCMP_SYS(fchmodat), 2, kNone, "fchmodat"}, {kFchmodat2, 2, kNone, "fchmodat2"},
      {SCMP_SYS(open), 2, 1, "open"},           {SCMP_SYS(openat), 3, 2, "openat"},
      {SCMP_SYS(creat), 1, kNone, "creat"},     {SCMP_SYS(mkdir), 1, kNone, "mkdir"},
      {SCMP_SYS(mkdirat), 2, kNone, "mkdirat"}, {SCMP_SYS(mknod), 1, kNone, "mknod"},
      {SCMP_SYS(mknodat), 2, kNone, "mknodat"}};
  for (const auto& m : mode_args) {
    if (m.nr < 0) continue;  // not on this architecture
    for (scmp_datum_t bit : {S_ISUID, S_ISGID}) {
      for (scmp_datum_t creates : {scmp_datum_t{O_CREAT}, scmp_datum_t{__O_TMPFILE}}) {
        if (m.flags == kNone && creates != O_CREAT) continue;  // once for the calls without flags
        const scmp_arg_cmp cmp[2] = {{m.mode, SCMP_CMP_MASKED_EQ, bit, bit}, {m.flags, SCMP_CMP_MASKED_EQ, creates, creates}};
        if (int rc = seccomp_rule_add_array(ctx.get(), deny, m.nr, m.flags == kNone ? 1 : 2, cmp); rc != 0) {
          return fail("seccomp_rule_add", m.name, rc);
        }
      }
    }
  }
  if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0); rc != 0) {
    return fail("seccomp_rule_add", "openat2", rc);
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
