#include "engine/os_linux/run_command.h"

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace sbx {

namespace bp = boost::process;

Result<Ok> RunCommand(const std::vector<std::string>& argv) {
  if (argv.empty()) return Error{"host_error", "exec", "", "empty command"};
  std::filesystem::path exe;
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/sbin", "/bin"}) {
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::path(dir) / argv[0], ec)) {
      exe = std::filesystem::path(dir) / argv[0];
      break;
    }
  }
  if (exe.empty()) return Error{"host_error", "exec", argv[0], "not found in /usr/sbin, /usr/bin, /sbin or /bin"};
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  // The caller's environment (LD_PRELOAD, PATH, locale) never reaches the tool.
  bp::environment env;
  env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
  env["LC_ALL"] = "C";
  bp::ipstream err;
  try {
    bp::child child(exe.string(), bp::args = args, bp::env = env, bp::std_in < bp::null, bp::std_out > bp::null,
                    bp::std_err > err);
    std::ostringstream text;
    text << err.rdbuf();
    child.wait();
    const int status = child.exit_code();
    if (status != 0) {
      std::string message = text.str();
      while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
      return Error{"host_error", argv[0], args.empty() ? "" : args.back(),
                   "exited with status " + std::to_string(status) + (message.empty() ? "" : ": " + message)};
    }
  } catch (const bp::process_error& e) {
    return Error{"host_error", "exec", exe.string(), e.what()};
  }
  return Ok{};
}

Result<int> SpawnDetached(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') return Error{"host_error", "exec", "", "needs an absolute path"};
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char lang_env[] = "LC_ALL=C";
  // cppcheck-suppress variableScope ; prepared before fork, like everything the child uses
  char* env[] = {path_env, lang_env, nullptr};
  pid_t pid = fork();
  if (pid < 0) return Error{"host_error", "fork", argv[0], std::strerror(errno)};
  if (pid == 0) {
    setsid();
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
    }
    close_range(3, ~0U, 0);
    execve(args[0], args.data(), env);
    _exit(127);
  }
  return static_cast<int>(pid);
}

}  // namespace sbx
