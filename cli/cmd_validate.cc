// sandboxctl validate [PATH...]: parse, resolve and compile profiles; report every problem.
#include <algorithm>
#include <iostream>

#include "cli/common.h"
#include "engine/core/host_info.h"
#include "engine/core/strings.h"

namespace sbx::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

// One unit of validation: a workspace's .sandboxctl/ or a set of loose files.
struct Scope {
  std::string label;
  std::optional<fs::path> workspace;  // profiles of this workspace are checked
  std::vector<fs::path> files;        // loose files checked against the current workspace
};

std::vector<Scope> ScopesFor(const std::vector<std::string>& paths, const GlobalOptions& g,
                             std::vector<Diagnostic>& problems) {
  std::vector<Scope> scopes;
  Scope loose;
  loose.label = "files";
  const fs::path cwd = CurrentDirectory();
  if (paths.empty()) {
    fs::path ws = ResolveWorkspace(g);
    scopes.push_back({DisplayPath(ws / kWorkspaceProfileDir, cwd), ws, {}});
    return scopes;
  }
  for (const auto& raw : paths) {
    fs::path p = fs::absolute(raw).lexically_normal();
    if (!p.has_filename()) p = p.parent_path();
    std::error_code ec;
    if (fs::is_directory(p / kWorkspaceProfileDir, ec)) {
      scopes.push_back({DisplayPath(p / kWorkspaceProfileDir, cwd), p, {}});
    } else if (fs::is_directory(p, ec) && p.filename() == kWorkspaceProfileDir) {
      scopes.push_back({DisplayPath(p, cwd), p.parent_path(), {}});
    } else if (fs::is_directory(p, ec)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::directory_iterator(p, ec)) {
        if (e.path().extension() == ".toml") found.push_back(e.path());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) {
        problems.push_back(MakeError(DiagCode::kIoError, SourceRegion{raw, "", {}},
                                     "no profiles here: neither .sandboxctl/ nor *.toml files"));
      }
      loose.files.insert(loose.files.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      loose.files.push_back(p);
    } else {
      problems.push_back(MakeError(DiagCode::kIoError, SourceRegion{raw, "", {}}, "no such file or directory"));
    }
  }
  if (!loose.files.empty()) scopes.push_back(std::move(loose));
  return scopes;
}

}  // namespace

int RunValidate(GlobalOptions g, const std::vector<std::string>& args, Io io) {
  po::options_description specific("validate options");
  std::vector<std::string> paths;
  specific.add_options()("path", po::value(&paths)->composing(), "profile files or directories");
  po::positional_options_description positional;
  positional.add("path", -1);
  if (!ParseCommandLine("validate", args, specific, positional, g,
                        "sandboxctl validate [PATH...]\n\n"
                        "Checks profiles: each PATH is a profile file, a directory of *.toml files, or a\n"
                        "workspace holding .sandboxctl/. Without PATH, the current workspace's profiles.\n"
                        "Exit status: 0 valid, 1 invalid, 2 usage error.",
                        io.out)) {
    return kExitOk;
  }

  std::vector<Diagnostic> all;
  SourceMap sources;
  nlohmann::json checked = nlohmann::json::array();
  int profile_count = 0;
  for (const auto& scope : ScopesFor(paths, g, all)) {
    const fs::path ws = scope.workspace ? *scope.workspace : ResolveWorkspace(g);
    CatalogOptions options = CatalogFor(g, ws);
    options.workspace = ws;
    options.files = scope.files;
    Catalog catalog = Catalog::Load(options);
    std::vector<Diagnostic> diags = catalog.diagnostics();
    const Layer layer = scope.workspace ? Layer::kWorkspace : Layer::kFile;
    std::vector<const Profile*> profiles = catalog.InLayer(layer);
    // Compile for this machine: catches expansion errors, system directories, conflicts.
    CompileResult compiled = CompilePlan(profiles, HostContext(*ParseTarget(HostTargetName()), ws));
    diags.insert(diags.end(), compiled.diagnostics.begin(), compiled.diagnostics.end());
    SortDiagnostics(diags);
    std::vector<std::string> names;
    int files_in_scope = 0;
    for (const auto& f : catalog.files()) {
      if (f.layer != layer) continue;
      ++files_in_scope;
      names.push_back(f.name);
    }
    profile_count += files_in_scope;
    if (files_in_scope == 0 && scope.workspace && !HasErrors(diags)) {
      diags.push_back(MakeError(DiagCode::kIoError, SourceRegion{scope.label, "", {}},
                                "no profiles to validate (add .toml files to .sandboxctl/ or name files to check)"));
    }
    bool ok = !HasErrors(diags);
    checked.push_back({{"scope", scope.label}, {"profiles", names}, {"valid", ok}});
    if (!g.json && ok) {
      io.out << scope.label << ": " << files_in_scope << (files_in_scope == 1 ? " profile" : " profiles") << " valid ("
             << Join(names, ", ") << ")\n";
    }
    all.insert(all.end(), diags.begin(), diags.end());
    for (const auto& [k, v] : catalog.sources()) sources[k] = v;
  }
  const bool ok = !HasErrors(all);
  if (g.json) {
    io.out << nlohmann::json{{"valid", ok}, {"checked", checked}, {"diagnostics", DiagnosticsToJson(all)}}.dump(2)
           << "\n";
  } else {
    int errors = PrintDiagnostics(all, sources, io.err);
    if (errors) {
      io.err << errors << (errors == 1 ? " error" : " errors") << " in " << profile_count
             << (profile_count == 1 ? " profile file\n" : " profile files\n");
    }
  }
  return ok ? kExitOk : kExitFailure;
}

}  // namespace sbx::cli
