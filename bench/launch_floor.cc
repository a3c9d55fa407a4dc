// The least a launch in user isolation has to do, and nothing more: a network and a PID
// namespace, a fork, the switch to an unprivileged identity, no_new_privs, a Landlock
// write restriction, a seccomp filter, exec and wait. No profile, no state, no check, no
// log. exec_vs_bwrap.sh runs it beside bwrap: its ratio is the floor under sandboxctl's.
// Usage (as root): launch_floor COMMAND [ARG]...
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

namespace {

constexpr uid_t kNobody = 65534;

[[noreturn]] void Fail(const char* call) {
  std::perror(call);
  _exit(125);
}

[[noreturn]] void Child(char** argv) {
  const gid_t group = kNobody;
  if (setgroups(1, &group) != 0) Fail("setgroups");
  if (setresgid(kNobody, kNobody, kNobody) != 0) Fail("setresgid");
  if (setresuid(kNobody, kNobody, kNobody) != 0) Fail("setresuid");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) Fail("prctl");
  landlock_ruleset_attr ruleset{};
  ruleset.handled_access_fs =
      LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REMOVE_FILE;
  const int rules = static_cast<int>(syscall(SYS_landlock_create_ruleset, &ruleset, sizeof ruleset, 0));
  if (rules < 0) Fail("landlock_create_ruleset");
  landlock_path_beneath_attr tmp{};
  tmp.allowed_access = ruleset.handled_access_fs;
  tmp.parent_fd = open("/tmp", O_PATH | O_CLOEXEC);
  if (syscall(SYS_landlock_add_rule, rules, LANDLOCK_RULE_PATH_BENEATH, &tmp, 0) != 0) Fail("landlock_add_rule");
  if (syscall(SYS_landlock_restrict_self, rules, 0) != 0) Fail("landlock_restrict_self");
  sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  sock_fprog filter{1, allow};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) != 0) Fail("seccomp");
  execv(argv[0], argv);
  Fail("execv");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    (void)std::fprintf(stderr, "usage: launch_floor COMMAND [ARG]...\n");
    return 125;
  }
  if (unshare(CLONE_NEWNET | CLONE_NEWPID) != 0) Fail("unshare");
  const pid_t child = fork();
  if (child < 0) Fail("fork");
  if (child == 0) Child(argv + 1);
  int status = 0;
  if (waitpid(child, &status, 0) != child) Fail("waitpid");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
