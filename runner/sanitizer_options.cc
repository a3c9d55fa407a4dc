// Linked into sandboxctl-runner in sanitizer builds only (SANDBOXCTL_SANITIZERS; see
// scripts/test-sanitizers). The runner holds file capabilities, so the kernel makes it
// non-dumpable, and LeakSanitizer's check at exit, which stops the process's threads
// with ptrace, cannot attach to it: it would end every run with "LeakSanitizer has
// encountered a fatal error" and exit status 1. AddressSanitizer and UBSan stay on; only
// the leak check is off, and only in the runner. The runner's environment cannot carry
// this: it starts from a clean one, and ASAN_OPTIONS is the caller's to set.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
