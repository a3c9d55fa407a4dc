#include "engine/os_linux/run_command.h"

#include <boost/process.hpp>
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
  int status = -1;
  try {
    bp::child child(exe.string(), bp::args = args, bp::env = env, bp::std_in < bp::null, bp::std_out > bp::null,
                    bp::std_err > err);
    std::ostringstream text;
    text << err.rdbuf();
    child.wait();
    status = child.exit_code();
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

}  // namespace sbx
