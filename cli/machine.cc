#include "cli/machine.h"

#include <set>

#include "engine/core/strings.h"

#include <fmt/chrono.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <iostream>

#include "engine/core/host_info.h"
#include "engine/reconcile/apply.h"

namespace sbx::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;

po::options_description MachineOptionsDescription(MachineOptions& m, bool with_profiles) {
  po::options_description d("machine options");
  if (with_profiles) {
    d.add_options()("profile,p", po::value(&m.profiles)->composing(),
                    "profile to apply (repeatable; default: the workspace's profiles)");
  }
  const MachineOptions defaults;
  d.add_options()
      ("state-dir", po::value(&m.state_dir), ("where the state file and lock live (default " + defaults.state_dir + ")").c_str())
      ("log-dir", po::value(&m.log_dir), ("where the audit log goes (default " + defaults.log_dir + ")").c_str())
      ("lock-timeout", po::value(&m.lock_timeout), "seconds to wait for another run (default 300)")
      ("tmp-root", po::value(&m.tmp_root), ("parent of the per-profile ${tmp} directories (default " +
                                            DefaultTmpRoot(*ParseTarget(HostTargetName())) + ")").c_str());
  AddPlatformOptions(d, m);
  return d;
}

std::optional<Plan> CompileWorkspacePlan(const GlobalOptions& g, const MachineOptions& m, const fs::path& ws, Io io) {
  Catalog catalog = Catalog::Load(CatalogFor(g, ws));
  std::vector<Diagnostic> diags = catalog.diagnostics();
  // No profile left in the workspace is not an error here: apply then prunes what the
  // workspace had.
  std::vector<const Profile*> selected = SelectProfiles(catalog, m.profiles, ws, /*require_some=*/false, diags);
  if (!m.tmp_root.empty() && !fs::path(m.tmp_root).is_absolute()) {
    throw UsageError{"", "--tmp-root '" + m.tmp_root + "' is not an absolute path"};
  }
  const Context context = MachineContext(m, ws);
  CompileResult result;
  if (!HasErrors(diags)) {
    result = CompilePlan(selected, context);
    diags.insert(diags.end(), result.diagnostics.begin(), result.diagnostics.end());
  }
  if (g.json && HasErrors(diags)) {
    io.out << nlohmann::json{{"ok", false}, {"diagnostics", DiagnosticsToJson(diags)}}.dump(2) << "\n";
  } else {
    PrintDiagnostics(diags, catalog.sources(), io.err);
  }
  if (HasErrors(diags)) return std::nullopt;
  return result.plan;
}

std::optional<Loaded> LoadState(const std::string& command, const MachineOptions& m, bool lock, Io io) {
  auto store = StateStore::Open(m.state_dir, lock, std::chrono::seconds(m.lock_timeout), [&] {
    io.err << "sandboxctl: waiting for another sandboxctl run to finish (lock "
           << (fs::path(m.state_dir) / "lock").string() << ")...\n";
  });
  auto state = store.ok() ? store->Load() : Result<State>(store.error());
  if (!state.ok()) {
    io.err << "sandboxctl " << command << ": " << state.error().Render() << "\n";
    return std::nullopt;
  }
  return Loaded{std::move(*store), std::move(*state)};
}

std::vector<std::string> MissingWritableRoots(const Plan& plan) {
  std::set<std::string> made;
  for (const auto& r : plan.resources) {
    if (r.type == "directory") made.insert(r.attributes.value("path", ""));
  }
  std::set<std::string> missing;
  for (const auto& r : plan.resources) {
    if (r.kind != ResourceKind::kFileGrant || r.attributes.value("access", "") != "write") continue;
    const std::string path = r.attributes.value("path", "");
    std::error_code ec;
    if (path.empty() || made.contains(path) || fs::exists(fs::symlink_status(path, ec))) continue;
    missing.insert(path);
  }
  return {missing.begin(), missing.end()};
}

void SayMissingWritableRoots(const std::string& command, const std::vector<std::string>& missing, Io io) {
  for (const auto& path : missing) {
    io.err << "sandboxctl " << command << ": writable root " << path << " does not exist yet: it gets no entries "
           << "until it does and apply runs again (make it, or take it out of the profile)\n";
  }
}

bool SettleRunningSandboxCommands(const std::string& command, const ChangeSet& changes,
                                  const std::vector<std::string>& running, bool yes, bool quiet,
                                  const std::string& undone, Io io) {
  if (running.empty()) return true;
  if (!yes) {
    io.err << "sandboxctl " << command << ": sandboxed commands are running:\n  " << Join(running, "\n  ")
           << "\nstop them, or pass --yes to end them first\n";
    return false;
  }
  auto ended = EndRunningSandboxCommands(changes);
  if (!ended.ok()) {
    io.err << "sandboxctl " << command << ": cannot end the sandboxed commands: " << ended.error().Render() << "; "
           << undone << "\n";
    return false;
  }
  if (!quiet) io.out << "Ended " << *ended << " running sandboxed " << (*ended == 1 ? "process" : "processes") << ".\n";
  return true;
}

std::optional<Examined> Examine(const std::string& command, const Plan& plan, const std::string& workspace,
                                const State& state, Host& host, bool all_workspaces, bool partial, Io io) {
  auto observed = ObserveAll(plan, workspace, state, host, all_workspaces, partial);
  if (!observed.ok()) {
    io.err << "sandboxctl " << command << ": " << observed.error().Render() << "\n";
    return std::nullopt;
  }
  ChangeSet changes = ComputeChanges(plan, workspace, state, *observed, all_workspaces);
  return Examined{std::move(*observed), std::move(changes)};
}

AuditLog::AuditLog(const std::string& log_dir, std::string command, std::string workspace)
    : command_(std::move(command)), workspace_(std::move(workspace)) {
  try {
    std::error_code ec;
    fs::create_directories(log_dir, ec);
    auto logger = std::make_shared<spdlog::logger>(
        "audit", std::make_shared<spdlog::sinks::basic_file_sink_mt>((fs::path(log_dir) / "audit.log").string()));
    logger->set_pattern("%v");
    logger->flush_on(spdlog::level::info);
    logger_ = logger;
  } catch (const spdlog::spdlog_ex& e) {
    spdlog::warn("audit log unavailable: {}", e.what());
  }
}

void AuditLog::Write(nlohmann::json entry) {
  if (!logger_) return;
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  entry["time"] = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(now));
  entry["command"] = command_;
  entry["workspace"] = workspace_;
  static_cast<spdlog::logger*>(logger_.get())->info(entry.dump());
}

void AuditLog::Action(const Change& c, const std::optional<Error>& error) {
  nlohmann::json e = {{"event", "action"}, {"action", ActionName(c.action)}, {"id", c.resource.id},
                      {"result", error ? "error" : "ok"}};
  if (error) e["error"] = error->Render();
  Write(e);
}

void AuditLog::Exec(const nlohmann::json& result) {
  nlohmann::json e = result;
  e["event"] = "exec";
  auto user = QueryInvokingUser();
  e["user"] = user.ok() ? user->name : "";
  Write(e);
}

void AuditLog::Run(const std::string& outcome, const nlohmann::json& summary) {
  Write({{"event", "run"}, {"outcome", outcome}, {"summary", summary}});
}

Result<Ok> ExecuteChanges(const ChangeSet& changes, const std::string& workspace,
                          const std::map<std::string, Observation>& observed, const Plan& plan, Host& host, State& state,
                          const StateStore& store, AuditLog& audit, Io io, bool quiet) {
  size_t step = 0;
  const size_t total = changes.changes.size();
  if (total > 0) {
    if (auto marked = MarkChangesStarting(store); !marked.ok()) return marked;
  }
  auto result = ApplyChanges(changes, workspace, observed, plan, host, state,
                             [&](const State& s) { return store.Save(s); },
                             [&](const Change& c) {
                               ++step;
                               audit.Action(c, std::nullopt);
                               if (!quiet) {
                                 io.err << "[" << step << "/" << total << "] " << ActionName(c.action) << " "
                                        << c.resource.id << "\n";
                               }
                             });
  if (!result.ok() && step < total) audit.Action(changes.changes[step], result.error());
  if (result.ok()) MarkChangesDone(store);
  return result;
}

Result<Ok> RunBackground(const ChangeSet& background, const std::string& workspace,
                         const std::map<std::string, Observation>& observed, const Plan& plan, Host& host, State& state,
                         const StateStore& store, AuditLog& audit, Io io, bool quiet) {
  const size_t total = background.changes.size();
  const bool bar = !quiet && StdinIsTerminal();
  size_t done = 0;
  auto record = [&](const std::string& current) {
    store.SaveProgress({{"pid", CurrentPid()}, {"workspace", workspace}, {"total", total}, {"done", done},
                        {"current", current}}).ok();
  };
  auto draw = [&] {
    if (!bar) return;
    const size_t width = 30, filled = total ? width * done / total : width;
    io.err << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << done << "/" << total
           << " read grants" << std::flush;
    if (done == total) io.err << "\n";
  };
  record(total ? background.changes.front().resource.id : "");
  draw();
  ChangeSet one;
  for (const auto& c : background.changes) {
    one.changes = {c};
    record(c.resource.id);
    auto r = ApplyChanges(one, workspace, observed, plan, host, state, [&](const State& s) { return store.Save(s); });
    audit.Action(c, r.ok() ? std::nullopt : std::optional<Error>(r.error()));
    if (!r.ok()) {
      record("failed: " + r.error().Render());
      return r;
    }
    ++done;
    if (!bar && !quiet) io.err << "[" << done << "/" << total << "] " << ActionName(c.action) << " " << c.resource.id << "\n";
    draw();
  }
  store.ClearProgress();
  return Ok{};
}

}  // namespace sbx::cli
