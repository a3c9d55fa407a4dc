#include "cli/common.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdlib>
#include <iostream>

#include "engine/core/host_info.h"
#include "engine/core/strings.h"
#include "engine/core/suggest.h"

#include <algorithm>

namespace sbx::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;

po::options_description GlobalOptionsDescription(GlobalOptions& g) {
  po::options_description d("Global options");
  d.add_options()
      ("workspace", po::value<std::string>()->notifier([&g](const std::string& v) { g.workspace = v; }),
       "workspace root (default: nearest ancestor with .sandboxctl/, else the git root, else the current directory)")
      ("json", po::bool_switch()->notifier([&g](bool v) { g.json = g.json || v; }), "machine-readable output")
      ("log-level", po::value<std::string>()->notifier([&g](const std::string& v) { g.log_level = v; }),
       "trace, debug, info, warn (default), error or off")
      ("machine-profiles", po::value<std::string>()->notifier([&g](const std::string& v) { g.machine_profiles = v; }),
       "directory of machine-wide profiles (default /etc/sandboxctl; '' for none)")
      ("builtin-profiles", po::value<std::string>()->notifier([&g](const std::string& v) { g.builtin_profiles = v; }),
       "directory of built-in profiles (default: <prefix>/share/sandboxctl/profiles)");
  return d;
}

bool ParseCommandLine(const std::string& command, const std::vector<std::string>& args,
                      po::options_description& specific, const po::positional_options_description& positional,
                      GlobalOptions& g, const std::string& usage, std::ostream& out) {
  po::options_description all;
  bool help = false;
  po::options_description common = GlobalOptionsDescription(g);
  common.add_options()("help,h", po::bool_switch(&help), "show this help");
  all.add(specific).add(common);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).style(kOptionStyle).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError{command, e.what()};
  }
  if (help) {
    out << "Usage: " << usage << "\n\n" << specific << "\n" << common;
    return false;
  }
  ApplyLogLevel(g.log_level);
  return true;
}

void ApplyLogLevel(const std::string& level) {
  static bool configured = false;
  if (!configured) {
    auto logger = std::make_shared<spdlog::logger>("sandboxctl", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("sandboxctl: %l: %v");
    spdlog::set_default_logger(logger);
    configured = true;
  }
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    throw UsageError{"", "invalid --log-level '" + level + "'; use trace, debug, info, warn, error or off"};
  }
  spdlog::set_level(parsed);
}

fs::path CurrentDirectory() {
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  return ec ? fs::path("/") : cwd;
}

fs::path ResolveWorkspace(const GlobalOptions& g) {
  fs::path ws = g.workspace ? fs::absolute(*g.workspace).lexically_normal() : FindWorkspace(CurrentDirectory());
  if (ws.has_relative_path() && !ws.has_filename()) ws = ws.parent_path();
  // Its real path: grants and mounts refuse paths that pass through a symbolic link.
  std::error_code ec;
  if (fs::path real = fs::weakly_canonical(ws, ec); !ec) ws = real;
  spdlog::debug("workspace: {}", ws.string());
  return ws;
}

std::optional<fs::path> BuiltinProfilesDir(const GlobalOptions& g) {
  if (g.builtin_profiles) {
    if (g.builtin_profiles->empty()) return std::nullopt;
    return fs::absolute(*g.builtin_profiles).lexically_normal();
  }
  auto exe = ExecutablePath();
  if (!exe.ok()) {
    spdlog::warn("cannot find the built-in profiles: {}", exe.error().Render());
    return std::nullopt;
  }
  fs::path dir = (exe->parent_path() / ".." / "share" / "sandboxctl" / "profiles").lexically_normal();
  spdlog::debug("built-in profiles: {}", dir.string());
  return dir;
}

std::optional<fs::path> MachineProfilesDir(const GlobalOptions& g) {
  std::string dir = g.machine_profiles.value_or(kDefaultMachineProfiles);
  if (dir.empty()) return std::nullopt;
  return fs::path(dir);
}

CatalogOptions CatalogFor(const GlobalOptions& g, const std::optional<fs::path>& workspace) {
  CatalogOptions o;
  o.workspace = workspace;
  o.machine_dir = MachineProfilesDir(g);
  o.builtin_dir = BuiltinProfilesDir(g);
  o.cwd = CurrentDirectory();
  return o;
}

std::vector<const Profile*> SelectProfiles(const Catalog& catalog, const std::vector<std::string>& names,
                                           const fs::path& workspace, bool require_some,
                                           std::vector<Diagnostic>& diags) {
  std::vector<const Profile*> selected;
  if (names.empty()) {
    selected = catalog.InLayer(Layer::kWorkspace);
    if (require_some && selected.empty() && !HasErrors(diags)) {
      diags.push_back(MakeError(DiagCode::kUnknownProfile,
                                SourceRegion{DisplayPath(workspace / kWorkspaceProfileDir, CurrentDirectory()), "", {}},
                                "no profiles in this workspace; name one with --profile (available: " +
                                    Join(catalog.Names(), ", ") + ")"));
    }
  }
  for (const auto& name : names) {
    const Profile* p = catalog.Find(name);
    if (!p) {
      diags.push_back(MakeError(DiagCode::kUnknownProfile, SourceRegion{"sandboxctl", "", {}},
                                "unknown profile '" + name + "'" + DidYouMean(name, catalog.Names()) +
                                    " (available: " + Join(catalog.Names(), ", ") + ")"));
    } else if (std::find(selected.begin(), selected.end(), p) == selected.end()) {
      selected.push_back(p);
    }
  }
  return selected;
}

Context HostContext(Target target, const fs::path& workspace) {
  Context c;
  c.target = target;
  c.workspace = workspace.string();
  auto user = QueryInvokingUser();
  if (user.ok()) {
    c.user = user->name;
    std::error_code ec;
    fs::path home = fs::weakly_canonical(user->home, ec);  // its real path, as for the workspace
    c.home = ec ? user->home : home.string();
  } else {
    spdlog::warn("{}; ${{user}} and ${{home}} are unknown", user.error().Render());
  }
  c.tmp_root = DefaultTmpRoot(target);
  // On Windows, the drive Windows is installed on (a drive letter and a colon, or the default).
  if (const char* drive = std::getenv("SystemDrive"); target == Target::kWindows && drive && std::isalpha(
                                                          static_cast<unsigned char>(drive[0])) &&
                                                      drive[1] == ':' && drive[2] == '\0') {
    c.system_drive = drive;
  }
  return c;
}

nlohmann::json DiagnosticToJson(const Diagnostic& d) {
  nlohmann::json j = {{"severity", SeverityName(d.severity)},
                      {"code", DiagCodeName(d.code)},
                      {"message", d.message},
                      {"file", d.region.file},
                      {"origin", d.region.origin.empty() ? d.region.file : d.region.origin}};
  if (d.region.HasPosition()) {
    j["line"] = d.region.begin.line;
    j["column"] = d.region.begin.column;
  }
  return j;
}

nlohmann::json DiagnosticsToJson(const std::vector<Diagnostic>& diagnostics) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : diagnostics) out.push_back(DiagnosticToJson(d));
  return out;
}

int PrintDiagnostics(const std::vector<Diagnostic>& diagnostics, const SourceMap& sources, std::ostream& err) {
  int errors = 0;
  for (const auto& d : diagnostics) {
    err << RenderDiagnostic(d, sources);
    if (d.severity == Severity::kError) ++errors;
  }
  return errors;
}

}  // namespace sbx::cli
