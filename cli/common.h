// Shared by the subcommands: options every command takes, finding the workspace and the
// profiles, and reporting diagnostics once, as text or JSON.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "engine/core/diagnostic.h"
#include "engine/plan/plan.h"
#include "engine/profile/catalog.h"

namespace sbx::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // invalid profile or failed operation
inline constexpr int kExitUsage = 2;

inline constexpr const char* kDefaultMachineProfiles = "/etc/sandboxctl";

// Options are spelled out: no abbreviations, so what a script says is what runs.
inline constexpr int kOptionStyle =
    boost::program_options::command_line_style::default_style & ~boost::program_options::command_line_style::allow_guessing;

struct GlobalOptions {
  std::optional<std::string> workspace;
  bool json = false;
  std::string log_level = "warn";
  std::optional<std::string> machine_profiles;
  std::optional<std::string> builtin_profiles;
};

// Thrown for usage errors; main prints it with a hint and exits 2.
struct UsageError {
  std::string command;
  std::string message;
  int exit_code = kExitUsage;  // exec reports its own usage errors as 125, like env and timeout
};

struct Io {
  std::ostream& out;
  std::ostream& err;
};

// Options accepted before and after the command name.
boost::program_options::options_description GlobalOptionsDescription(GlobalOptions& g);

// Parses a subcommand's arguments (global options included); returns false after
// printing help when --help was given.
bool ParseCommandLine(const std::string& command, const std::vector<std::string>& args,
                      boost::program_options::options_description& specific,
                      const boost::program_options::positional_options_description& positional, GlobalOptions& g,
                      const std::string& usage, std::ostream& out);

void ApplyLogLevel(const std::string& level);

std::filesystem::path CurrentDirectory();
std::filesystem::path ResolveWorkspace(const GlobalOptions& g);
std::optional<std::filesystem::path> BuiltinProfilesDir(const GlobalOptions& g);
std::optional<std::filesystem::path> MachineProfilesDir(const GlobalOptions& g);
CatalogOptions CatalogFor(const GlobalOptions& g, const std::optional<std::filesystem::path>& workspace);

// The profiles a command works on: those named (any layer), else the workspace's own.
// Unknown names, and with `require_some` an empty selection, are reported in `diags`.
std::vector<const Profile*> SelectProfiles(const Catalog& catalog, const std::vector<std::string>& names,
                                           const std::filesystem::path& workspace, bool require_some,
                                           std::vector<Diagnostic>& diags);

// The plan context for this machine and workspace.
Context HostContext(Target target, const std::filesystem::path& workspace);

nlohmann::json DiagnosticToJson(const Diagnostic& d);
nlohmann::json DiagnosticsToJson(const std::vector<Diagnostic>& diagnostics);
// Renders each diagnostic with its source line; returns the number of errors.
int PrintDiagnostics(const std::vector<Diagnostic>& diagnostics, const SourceMap& sources, std::ostream& err);

int RunValidate(GlobalOptions g, const std::vector<std::string>& args, Io io);
int RunList(GlobalOptions g, const std::vector<std::string>& args, Io io);
int RunCompile(GlobalOptions g, const std::vector<std::string>& args, Io io);
int RunPlan(GlobalOptions g, const std::vector<std::string>& args, Io io);
int RunApply(GlobalOptions g, const std::vector<std::string>& args, Io io);
int RunStatus(GlobalOptions g, const std::vector<std::string>& args, Io io);
int RunDestroy(GlobalOptions g, const std::vector<std::string>& args, Io io);
int RunRestore(GlobalOptions g, const std::vector<std::string>& args, Io io);
int RunExec(GlobalOptions g, const std::vector<std::string>& args, Io io);
int RunTrust(GlobalOptions g, const std::vector<std::string>& args, Io io);

}  // namespace sbx::cli
