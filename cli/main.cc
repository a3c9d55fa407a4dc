// sandboxctl: command-line front end. Parses global options and the command name, then
// hands the rest to cmd_<verb>.cc.
#include <algorithm>
#include <iostream>
#include <map>

#include "cli/common.h"
#include "engine/core/suggest.h"

namespace {

namespace po = boost::program_options;
using sbx::cli::GlobalOptions;
using sbx::cli::Io;
using sbx::cli::kOptionStyle;

struct Command {
  int (*run)(GlobalOptions, const std::vector<std::string>&, Io);
  const char* summary;
};

const std::map<std::string, Command>& Commands() {
  static const std::map<std::string, Command> kCommands{
      {"validate", {sbx::cli::RunValidate, "check profiles and report every problem"}},
      {"list", {sbx::cli::RunList, "list the profiles this workspace can use"}},
      {"compile", {sbx::cli::RunCompile, "show the plan for profiles, for linux or windows"}},
      {"plan", {sbx::cli::RunPlan, "show what apply would change on this machine"}},
      {"apply", {sbx::cli::RunApply, "make this machine match the profiles (root)"}},
      {"status", {sbx::cli::RunStatus, "report drift; exit 3 when drifted"}},
      {"destroy", {sbx::cli::RunDestroy, "remove what sandboxctl made and restore what it changed (root)"}},
      {"exec", {sbx::cli::RunExec, "run a command inside a profile's sandbox"}},
      {"trust", {sbx::cli::RunTrust, "show what a workspace's profiles allow and trust them for namespace isolation"}},
      {"restore", {sbx::cli::RunRestore, "put the firewall rules back after a reboot (root; run at boot)"}},
  };
  return kCommands;
}

void PrintUsage(std::ostream& out, const po::options_description& global) {
  out << "Usage: sandboxctl [OPTIONS] <command> [ARGS]\n\n"
         "Runs commands in sandboxes described by TOML profiles (.sandboxctl/*.toml).\n\n"
         "Commands:\n";
  for (const auto& [name, c] : Commands()) out << "  " << name << std::string(12 - name.size(), ' ') << c.summary << "\n";
  out << "  help        show help for a command\n\n"
      << global
      << "  --version             print the version\n\n"
         "Exit status: 0 success, 1 invalid profile or failed operation, 2 usage error,\n"
         "3 drift found by status.\n"
         "Run 'sandboxctl help <command>' for a command's options.\n";
}

// Index of the command name: the first argument that is neither a global option nor
// the value of one. Everything after it belongs to the command.
int CommandIndex(int argc, char** argv) {
  static const std::vector<std::string> kTakesValue{"--workspace", "--log-level", "--machine-profiles",
                                                    "--builtin-profiles"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") return i + 1 < argc ? i + 1 : argc;
    if (a.empty() || a[0] != '-') return i;
    if (std::find(kTakesValue.begin(), kTakesValue.end(), a) != kTakesValue.end()) ++i;
  }
  return argc;
}

int Main(int argc, char** argv) {
  GlobalOptions g;
  po::options_description global = sbx::cli::GlobalOptionsDescription(g);
  bool help = false, version = false;
  po::options_description top;
  top.add(global);
  top.add_options()("help,h", po::bool_switch(&help))("version", po::bool_switch(&version));
  const int command_index = CommandIndex(argc, argv);
  std::string command = command_index < argc ? argv[command_index] : "";
  std::vector<std::string> rest(argv + std::min(command_index + 1, argc), argv + argc);
  try {
    std::vector<std::string> globals(argv + 1, argv + command_index);
    if (!globals.empty() && globals.back() == "--") globals.pop_back();
    po::variables_map vm;
    po::store(po::command_line_parser(globals).options(top).style(kOptionStyle).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw sbx::cli::UsageError{"", e.what()};
  }
  if (version) {
    std::cout << "sandboxctl " << SANDBOXCTL_VERSION << "\n";
    return sbx::cli::kExitOk;
  }
  if (command.empty() || help) {
    PrintUsage(help ? std::cout : std::cerr, global);
    return help ? sbx::cli::kExitOk : sbx::cli::kExitUsage;
  }
  if (command == "help") {
    if (rest.empty()) {
      PrintUsage(std::cout, global);
      return sbx::cli::kExitOk;
    }
    command = rest.front();
    rest = {"--help"};
  }
  auto it = Commands().find(command);
  if (it == Commands().end()) {
    std::vector<std::string> names;
    for (const auto& [name, c] : Commands()) names.push_back(name);
    throw sbx::cli::UsageError{"", "unknown command '" + command + "'" + sbx::DidYouMean(command, names)};
  }
  return it->second.run(g, rest, Io{std::cout, std::cerr});
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const sbx::cli::UsageError& e) {
    std::cerr << "sandboxctl" << (e.command.empty() ? "" : " " + e.command) << ": " << e.message << "\n"
              << "Try 'sandboxctl help" << (e.command.empty() ? "" : " " + e.command) << "'.\n";
    return e.exit_code;
  } catch (const std::exception& e) {
    std::cerr << "sandboxctl: internal error: " << e.what() << "\n";
    return sbx::cli::kExitFailure;
  }
}
