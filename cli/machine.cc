#include "cli/machine.h"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "engine/core/host_info.h"
#include "engine/core/names.h"
#include "engine/os_linux/launch_record.h"
#include "engine/os_linux/run_command.h"
#include "engine/os_linux/sys_error.h"
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
  d.add_options()
      ("state-dir", po::value(&m.state_dir), "where the state file and lock live (default /var/lib/sandboxctl)")
      ("log-dir", po::value(&m.log_dir), "where the audit log goes (default /var/log/sandboxctl)")
      ("lock-timeout", po::value(&m.lock_timeout), "seconds to wait for another run (default 300)")
      ("nft-table", po::value(&m.nft_table), "name of sandboxctl's nftables table (default sandboxctl)")
      ("tmp-root", po::value(&m.tmp_root), "parent of the per-profile ${tmp} directories (default /var/tmp/sandboxctl)")
      ("unit-dir", po::value(&m.unit_dir), "where the boot unit goes (default /etc/systemd/system)")
      ("runner-group", po::value(&m.runner_group), "group whose members may exec through the runner (default sandboxctl)")
      ("runner-dir", po::value(&m.runner_dir), "where the runner goes (default /usr/local/libexec/sandboxctl)");
  return d;
}

std::optional<Plan> CompileWorkspacePlan(const GlobalOptions& g, const MachineOptions& m, const fs::path& ws, Io io) {
  Catalog catalog = Catalog::Load(CatalogFor(g, ws));
  std::vector<Diagnostic> diags = catalog.diagnostics();
  // No profile left in the workspace is not an error here: apply then prunes what the
  // workspace had.
  std::vector<const Profile*> selected = SelectProfiles(catalog, m.profiles, ws, /*require_some=*/false, diags);
  if (m.nft_table.empty() || m.nft_table.size() > 32 ||
      m.nft_table.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
    throw UsageError{"", "invalid --nft-table '" + m.nft_table + "': use 1 to 32 of a-z, 0-9 and _"};
  }
  if (!IsValidUserName(m.runner_group)) {
    throw UsageError{"", "invalid --runner-group '" + m.runner_group + "': not a valid group name"};
  }
  if (!fs::path(m.runner_dir).is_absolute()) {
    throw UsageError{"", "--runner-dir '" + m.runner_dir + "' is not an absolute path"};
  }
  if (!m.tmp_root.empty() && !fs::path(m.tmp_root).is_absolute()) {
    throw UsageError{"", "--tmp-root '" + m.tmp_root + "' is not an absolute path"};
  }
  CompileResult result;
  if (!HasErrors(diags)) {
    Context context = HostContext(Target::kLinux, ws);
    context.nft_table = m.nft_table;
    context.runner_group = m.runner_group;
    if (!m.tmp_root.empty()) context.tmp_root = m.tmp_root;
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

BootUnitConfig BootConfig(const MachineOptions& m) {
  auto exe = ExecutablePath();
  return BootUnitConfig{fs::absolute(m.unit_dir), exe.ok() ? *exe : fs::path("/usr/bin/sandboxctl"),
                        fs::absolute(m.state_dir)};
}

RunnerConfig RunnerSetup(const MachineOptions& m) {
  auto exe = ExecutablePath();
  const fs::path bin = exe.ok() ? exe->parent_path() : fs::path("/usr/local/bin");
  return RunnerConfig{fs::path(m.runner_dir).lexically_normal(),
                      (bin.parent_path() / "libexec" / "sandboxctl" / kRunnerName).lexically_normal(),
                      fs::absolute(m.state_dir)};
}

bool RequireRoot(const std::string& command, Io io) {
  if (RunningAsRoot()) return true;
  io.err << "sandboxctl " << command << ": must run as root (it creates users, ACL entries and firewall rules); "
         << "try: sudo sandboxctl " << command << "\n";
  return false;
}

std::optional<Loaded> LoadState(const std::string& command, const MachineOptions& m, bool lock, Io io) {
  auto store = StateStore::Open(m.state_dir, lock, std::chrono::seconds(m.lock_timeout), [&] {
    io.err << "sandboxctl: waiting for another sandboxctl run to finish (lock " << m.state_dir << "/lock)...\n";
  });
  auto state = store.ok() ? store->Load() : Result<State>(store.error());
  if (!state.ok()) {
    io.err << "sandboxctl " << command << ": " << state.error().Render() << "\n";
    return std::nullopt;
  }
  return Loaded{std::move(*store), std::move(*state)};
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
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::ostringstream ts;
  ts << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  entry["time"] = ts.str();
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
  // While users, grants and rules change, the runner starts nothing (it cannot see the
  // state file's steps in progress); the mark stays where a run fails or is killed, until
  // an apply or destroy finishes.
  const fs::path busy = LaunchBusyPath(store.dir());
  if (total > 0) {
    int fd = open(busy.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd >= 0) {
      fsync(fd);
      close(fd);
    } else if (errno != ENOENT) {  // no launch directory: no record the runner could use
      return SysError("open", busy.string(), errno);
    }
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
  if (result.ok()) unlink(busy.c_str());
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

Result<int> StartBackgroundWorker(const GlobalOptions& g, const MachineOptions& m, const fs::path& workspace,
                                  size_t grants) {
  auto exe = ExecutablePath();
  if (!exe.ok()) return exe.error();
  std::vector<std::string> argv{exe->string()};
  if (g.machine_profiles) argv.insert(argv.end(), {"--machine-profiles", *g.machine_profiles});
  if (g.builtin_profiles) argv.insert(argv.end(), {"--builtin-profiles", *g.builtin_profiles});
  argv.insert(argv.end(), {"--workspace", workspace.string(), "apply", "--background-worker", "--yes", "--state-dir",
                           fs::absolute(m.state_dir).string(), "--log-dir", fs::absolute(m.log_dir).string(),
                           "--lock-timeout", "3600", "--nft-table", m.nft_table, "--unit-dir",
                           fs::absolute(m.unit_dir).string(), "--runner-group", m.runner_group, "--runner-dir",
                           m.runner_dir});
  if (!m.tmp_root.empty()) argv.insert(argv.end(), {"--tmp-root", fs::absolute(m.tmp_root).string()});
  for (const auto& p : m.profiles) argv.insert(argv.end(), {"--profile", p});
  auto pid = SpawnDetached(argv);
  if (!pid.ok()) return pid.error();
  auto store = StateStore::Open(m.state_dir, false, std::chrono::seconds(0), nullptr);
  if (store.ok()) {
    store->SaveProgress({{"pid", *pid}, {"workspace", workspace.string()}, {"total", grants}, {"done", 0},
                         {"current", "waiting for the lock"}}).ok();
  }
  return pid;
}

}  // namespace sbx::cli
