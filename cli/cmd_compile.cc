// sandboxctl compile: the plan for the selected profiles, lowered for a target.
#include <iostream>

#include "cli/common.h"
#include "engine/core/host_info.h"
#include "engine/core/strings.h"
#include "engine/core/suggest.h"
#include "engine/profile/parse.h"

namespace sbx::cli {

namespace po = boost::program_options;

int RunCompile(GlobalOptions g, const std::vector<std::string>& args, Io io) {
  po::options_description specific("compile options");
  std::vector<std::string> names;
  std::string target_name(HostTargetName());
  std::string format = "text";
  std::optional<std::string> as_workspace, as_user, as_home, tmp_root;
  specific.add_options()
      ("profile,p", po::value(&names)->composing(), "profile to compile (repeatable; default: the workspace's profiles)")
      ("target,t", po::value(&target_name), "linux or windows (default: this machine's)")
      ("format", po::value(&format), "text (default), json (as --json), or powershell: a Windows plan as a script "
       "an administrator can review and run")
      ("as-workspace", po::value<std::string>()->notifier([&](const std::string& v) { as_workspace = v; }),
       "workspace path on the target machine (default: this workspace)")
      ("as-user", po::value<std::string>()->notifier([&](const std::string& v) { as_user = v; }),
       "invoking user on the target machine (default: you)")
      ("as-home", po::value<std::string>()->notifier([&](const std::string& v) { as_home = v; }),
       "home directory of that user (default: yours)")
      ("tmp-root", po::value<std::string>()->notifier([&](const std::string& v) { tmp_root = v; }),
       "parent of the per-profile ${tmp} directories (default /var/tmp/sandboxctl, "
       "C:\\ProgramData\\sandboxctl\\tmp)");
  po::positional_options_description positional;
  if (!ParseCommandLine("compile", args, specific, positional, g,
                        "sandboxctl compile [--profile NAME]... [--target linux|windows] [--format F]\n\n"
                        "Shows the plan: principals, directories, file grants, network rules and the launch\n"
                        "spec of each profile, lowered for the target. Changes nothing.",
                        io.out)) {
    return kExitOk;
  }
  auto target = ParseTarget(target_name);
  if (!target) {
    throw UsageError{"compile", "invalid --target '" + target_name + "'; use linux or windows" +
                                    DidYouMean(target_name, {"linux", "windows"})};
  }
  if (format != "text" && format != "json" && format != "powershell") {
    throw UsageError{"compile", "invalid --format '" + format + "'; use text, json or powershell" +
                                    DidYouMean(format, {"text", "json", "powershell"})};
  }
  if (format == "powershell" && *target != Target::kWindows) {
    throw UsageError{"compile", "--format powershell renders Windows plans; add --target windows"};
  }
  if (format == "json") g.json = true;
  const auto ws = ResolveWorkspace(g);
  Catalog catalog = Catalog::Load(CatalogFor(g, ws));
  std::vector<Diagnostic> diags = catalog.diagnostics();

  std::vector<const Profile*> selected = SelectProfiles(catalog, names, ws, /*require_some=*/true, diags);

  Context context = HostContext(*target, ws);
  if (as_workspace) context.workspace = *as_workspace;
  if (as_user) {
    if (!IsValidUserName(*as_user)) throw UsageError{"compile", "invalid --as-user '" + *as_user + "': not a user name"};
    context.user = *as_user;
  }
  if (as_home) context.home = *as_home;
  if (tmp_root) context.tmp_root = *tmp_root;
  else if (*target == Target::kWindows) context.tmp_root = DefaultTmpRoot(*target);
  const PathStyle style = StyleFor(*target);
  for (auto [label, value] : {std::pair{"--as-workspace", &context.workspace}, {"--as-home", &context.home},
                              {"--tmp-root", &context.tmp_root}}) {
    if (value->empty() || !IsAbsolutePath(*value, style)) {
      throw UsageError{"compile", std::string(label) + " '" + *value + "' is not an absolute " +
                                      std::string(TargetName(*target)) + " path"};
    }
  }

  CompileResult result;
  if (!HasErrors(diags)) {
    result = CompilePlan(selected, context);
    diags.insert(diags.end(), result.diagnostics.begin(), result.diagnostics.end());
  }
  const bool ok = !HasErrors(diags);
  if (g.json) {
    if (ok) {
      nlohmann::json j = PlanToJson(result.plan);
      if (!diags.empty()) j["diagnostics"] = DiagnosticsToJson(diags);
      io.out << j.dump(2) << "\n";
    } else {
      io.out << nlohmann::json{{"ok", false}, {"diagnostics", DiagnosticsToJson(diags)}}.dump(2) << "\n";
    }
  } else {
    PrintDiagnostics(diags, catalog.sources(), io.err);
    if (ok) io.out << (format == "powershell" ? RenderPowerShell(result.plan) : RenderPlanText(result.plan));
  }
  return ok ? kExitOk : kExitFailure;
}

}  // namespace sbx::cli
