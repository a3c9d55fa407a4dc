#include "cli/exec_common.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "engine/core/strings.h"
#include "engine/profile/parse.h"

namespace sbx::cli {

namespace po = boost::program_options;

std::pair<std::vector<std::string>, std::vector<std::string>> SplitCommand(const std::vector<std::string>& args) {
  static const std::vector<std::string> kTakesValue{
      "--profile", "-p", "--isolation", "--timeout", "--cwd", "--json-status", "--state-dir", "--log-dir",
      "--lock-timeout", "--nft-table", "--tmp-root", "--unit-dir", "--workspace", "--log-level",
      "--machine-profiles", "--builtin-profiles", "--runner-dir", "--runner-group", "--trust-store"};
  auto at = [&](size_t i) { return args.begin() + static_cast<std::ptrdiff_t>(i); };
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") return {{args.begin(), at(i)}, {at(i + 1), args.end()}};
    if (args[i].empty() || args[i][0] != '-') return {{args.begin(), at(i)}, {at(i), args.end()}};
    if (std::find(kTakesValue.begin(), kTakesValue.end(), args[i]) != kTakesValue.end()) ++i;
  }
  return {args, {}};
}

bool ParseExecOptions(const std::vector<std::string>& args, const std::vector<std::string>& command,
                      const std::string& usage, GlobalOptions& g, MachineOptions& m, ExecOptions& x, Io io) {
  po::options_description specific = MachineOptionsDescription(m, true);
  std::optional<std::string> timeout_text;
  specific.add_options()("isolation", po::value(&x.isolation), "auto, user or namespace (default auto)")(
      "timeout", po::value<std::string>()->notifier([&](const std::string& v) { timeout_text = v; }),
      "how long before the command's processes are killed (exit 124): seconds, or a duration as limits.timeout "
      "takes it (90s, 5m, 1h30m)")(
      "cwd", po::value<std::string>()->notifier([&](const std::string& v) { x.cwd = v; }),
      "directory to run in (default: the current one)")(
      "json-status", po::value<std::string>()->notifier([&](const std::string& v) { x.json_status = v; }),
      "write the result (exit code, duration, isolation and more) to this file as JSON")(
      "verbose,v", po::bool_switch(&x.verbose), "say which isolation is used and why")(
      "quiet,q", po::bool_switch(&x.quiet), "say nothing when auto picks namespace isolation")(
      "trust-store", po::value<std::string>()->notifier([&](const std::string& v) { x.trust_store = v; }),
      "the trust store of namespace isolation (default ~/.local/state/sandboxctl/trust.json)");
  try {
    if (!ParseCommandLine("exec", args, specific, {}, g, usage, io.out)) return false;
    if (command.empty()) throw UsageError{"exec", "no command given; usage: sandboxctl exec --profile NAME -- COMMAND"};
    if (x.isolation != "auto" && x.isolation != "user" && x.isolation != "namespace") {
      throw UsageError{"exec", "invalid --isolation '" + x.isolation + "'; use auto, user or namespace"};
    }
    if (m.profiles.size() > 1) throw UsageError{"exec", "give one --profile"};
    if (timeout_text) {
      // Seconds ("90", "0.5"), or a duration as profiles write limits.timeout ("5m").
      const std::string& t = *timeout_text;
      char* end = nullptr;
      const double seconds = std::strtod(t.c_str(), &end);
      if (!t.empty() && end != t.c_str() && *end == '\0') {
        x.timeout = seconds;
      } else if (auto d = ParseDuration(t)) {
        x.timeout = static_cast<double>(*d);
      } else {
        throw UsageError{"exec", "--timeout must be a positive number of seconds or a duration such as 90s, 5m or "
                                 "1h30m, not '" + t + "'"};
      }
    }
    if (x.timeout && !(*x.timeout > 0 && *x.timeout < 1e9)) {
      throw UsageError{"exec", "--timeout must be a positive number of seconds or a duration such as 90s, 5m or 1h30m"};
    }
  } catch (UsageError& e) {
    e.exit_code = kExitSetup;  // like env and timeout: the launcher's own failures are 125
    throw;
  }
  return true;
}

const LaunchSpec& ExecPlan::spec() const {
  return *std::find_if(plan.launches.begin(), plan.launches.end(),
                       [&](const LaunchSpec& l) { return l.profile == profile; });
}

std::optional<ExecPlan> CompileExecPlan(const GlobalOptions& g, const MachineOptions& m,
                                        const std::filesystem::path& ws, Io io) {
  MachineOptions own = m;
  own.profiles.clear();
  std::ostringstream quiet;
  std::optional<Plan> plan = CompileWorkspacePlan(g, own, ws, Io{quiet, quiet});
  std::string name;
  if (m.profiles.empty()) {
    if (!plan) {
      CompileWorkspacePlan(g, own, ws, io);  // prints the diagnostics
      return std::nullopt;
    }
    if (plan->launches.size() != 1) {
      std::vector<std::string> names;
      for (const auto& l : plan->launches) names.push_back(l.profile);
      throw UsageError{"exec", plan->launches.empty() ? "this workspace has no profiles; name one with --profile"
                                                      : "name the profile with --profile: " + Join(names, ", "),
                       kExitSetup};
    }
    name = plan->launches.front().profile;
  } else {
    name = m.profiles.front();
    const bool found = plan && std::any_of(plan->launches.begin(), plan->launches.end(),
                                           [&](const LaunchSpec& l) { return l.profile == name; });
    if (!found) {
      plan = CompileWorkspacePlan(g, m, ws, io);
      if (!plan) return std::nullopt;
    }
  }
  return ExecPlan{std::move(*plan), name};
}

void CheckAppliedAsPlanned(const Plan& plan, const State& state, const std::string& profile,
                           const std::function<AppliedCheck(const Resource&)>& check) {
  // While apply or destroy changes users, firewall rules or write and deny grants, no
  // sandbox process may start under a profile that is only half in place. (The
  // background read grants touch only trees the sandbox cannot change.)
  for (const auto& [id, record] : state.records) {
    if (record.intent == Intent::kNone || record.resource.attributes.value("background", false)) continue;
    throw Refusal{"an apply or destroy is changing " + id + " (or was interrupted there); wait for it, or run " +
                  PrivilegedCommand("apply")};
  }
  for (const auto& r : plan.resources) {
    if (std::find(r.profiles.begin(), r.profiles.end(), profile) == r.profiles.end()) continue;
    const AppliedCheck how = check(r);
    if (how == AppliedCheck::kNot) continue;
    auto rec = state.records.find(r.id);
    if (how == AppliedCheck::kIfRecorded && rec == state.records.end()) continue;
    if (rec == state.records.end() || rec->second.resource.type != r.type ||
        rec->second.resource.attributes != r.attributes) {
      throw Refusal{"profile '" + profile + "' changed since it was applied (" + r.id + "); run " +
                    PrivilegedCommand("apply") + " to bring the machine in step"};
    }
  }
}

}  // namespace sbx::cli
