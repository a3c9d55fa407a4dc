// sandboxctl trust: shows what a workspace's profiles allow and trusts exactly that content
// for namespace isolation, as `direnv allow` does for an .envrc. exec in namespace
// isolation refuses a profile whose files (its own and its `extends` parents') differ from
// what was trusted, and a run belongs to the nearest trusted workspace above it, so neither
// an edited nor a planted profile takes effect unseen. User isolation needs no trust: apply
// is its review, by root.
#include <iostream>

#include "cli/common.h"
#include "cli/machine.h"
#include "cli/trust_store.h"
#include "engine/core/strings.h"

namespace sbx::cli {

namespace fs = std::filesystem;
namespace po = boost::program_options;

namespace {

// One line of what `l` allows, as a reviewer reads it before trusting.
std::string Allows(const LaunchSpec& l) {
  auto list = [](const std::vector<std::string>& v) { return v.empty() ? std::string("nothing") : Join(v, ", "); };
  std::vector<std::string> writes = l.writable;
  for (auto& w : writes) {
    if (w == l.tmp) w = "${tmp} (empty, each run's own)";
  }
  std::string out = "    writes: " + list(writes) + "\n";
  if (!l.read_only.empty()) out += "    read-only: " + list(l.read_only) + "\n";
  if (!l.readable.empty()) out += "    reads also: " + list(l.readable) + "\n";
  if (!l.deny_read.empty()) out += "    hidden: " + list(l.deny_read) + "\n";
  out += "    network: " + std::string(NetworkModeName(l.network)) + (l.loopback ? " (loopback allowed)" : "") +
         (l.allow.empty() ? "" : ", allow " + list(l.allow)) + "\n";
  if (!l.env_allow.empty()) out += "    environment also: " + list(l.env_allow) + "\n";
  return out;
}

}  // namespace

int RunTrust(GlobalOptions g, const std::vector<std::string>& args, Io io) {
  bool list = false, revoke = false;
  std::optional<std::string> store_flag;
  po::options_description specific("trust options");
  specific.add_options()("list", po::bool_switch(&list), "list the trusted workspaces and their files")(
      "revoke", po::bool_switch(&revoke), "trust this workspace's profiles no longer")(
      "trust-store", po::value<std::string>()->notifier([&](const std::string& v) { store_flag = v; }),
      "the store to use (default ~/.local/state/sandboxctl/trust.json)");
  if (!ParseCommandLine("trust", args, specific, {}, g,
                        "sandboxctl trust [--list | --revoke] [--workspace DIR]\n\n"
                        "Shows what the workspace's profiles allow and trusts exactly their content:\n"
                        "exec runs them in namespace isolation only while every file that decides\n"
                        "their policy (their own and their extends parents') is as trusted. A run\n"
                        "belongs to the nearest trusted workspace above the current directory.",
                        io.out)) {
    return kExitOk;
  }
  if (list && revoke) throw UsageError{"trust", "give --list or --revoke, not both"};
  const fs::path path = TrustStorePath(store_flag);
  std::string error;
  auto store = LoadTrustStore(path, error);
  if (!store) {
    io.err << "sandboxctl trust: " << error << "\n";
    return kExitFailure;
  }
  if (list) {
    nlohmann::json rows = nlohmann::json::object();
    for (const auto& [ws, files] : store->workspaces) {
      std::vector<std::string> names;
      for (const auto& f : files) names.push_back(f.first);
      rows[ws] = names;
    }
    if (g.json) {
      io.out << nlohmann::json{{"store", path.string()}, {"workspaces", rows}}.dump(2) << "\n";
    } else {
      if (rows.empty()) io.out << "No trusted workspaces (" << path.string() << ").\n";
      for (const auto& [ws, names] : rows.items()) io.out << ws << "\n  " << Join(names.get<std::vector<std::string>>(), "\n  ") << "\n";
    }
    return kExitOk;
  }
  const fs::path ws = ResolveWorkspace(g);
  if (revoke) {
    const bool had = store->workspaces.erase(ws.string()) > 0;
    if (had && !SaveTrustStore(path, *store, error)) {
      io.err << "sandboxctl trust: " << error << "\n";
      return kExitFailure;
    }
    if (g.json) {
      io.out << nlohmann::json{{"workspace", ws.string()}, {"revoked", had}}.dump(2) << "\n";
    } else {
      io.out << (had ? "No longer trusted: " : "Was not trusted: ") << ws.string() << "\n";
    }
    return kExitOk;
  }
  MachineOptions m;
  auto plan = CompileWorkspacePlan(g, m, ws, io);
  if (!plan) return kExitFailure;
  TrustedFiles files;
  std::string shown, review;
  nlohmann::json review_rows = nlohmann::json::array();
  // Writable roots that root named (built-in and machine profiles) are accepted by rule.
  std::vector<std::string> root_named;
  std::vector<const LaunchSpec*> untrusted;
  for (const auto& l : plan->launches) {
    const TrustedFiles own = ReadPolicyFiles(*plan, l.profile, ws, g);
    if (own.empty()) {  // built-in or machine profiles only: root's, nothing to trust
      root_named.insert(root_named.end(), l.writable.begin(), l.writable.end());
      continue;
    }
    files.insert(own.begin(), own.end());
    untrusted.push_back(&l);
  }
  for (const LaunchSpec* l : untrusted) {
    shown += "  " + l->profile + " (" + l->origin + ")\n" + Allows(*l);
    for (const auto& r : WritableRootsToReview(*l, ws.string(), plan->context.home, root_named)) {
      review += "    " + l->profile + ": " + r.path + ": " + r.why + "\n";
      review_rows.push_back({{"profile", l->profile}, {"path", r.path}, {"why", r.why}});
    }
  }
  const auto& before = store->workspaces;
  const auto it = before.find(ws.string());
  const std::vector<std::string> changes = TrustDifferences(it == before.end() ? nullptr : &it->second, files);
  if (!files.empty()) {
    store->workspaces[ws.string()] = files;
    if (!SaveTrustStore(path, *store, error)) {
      io.err << "sandboxctl trust: " << error << "\n";
      return kExitFailure;
    }
  }
  if (g.json) {
    std::vector<std::string> names;
    for (const auto& f : files) names.push_back(f.first);
    io.out << nlohmann::json{{"workspace", ws.string()}, {"store", path.string()}, {"files", names},
                             {"changes", changes}, {"review", review_rows}}
                  .dump(2)
           << "\n";
    return kExitOk;
  }
  if (files.empty()) {
    io.out << "Nothing to trust: " << ws.string() << " has no profiles of its own.\n";
    return kExitOk;
  }
  io.out << "Workspace " << ws.string() << ": what its profiles allow in namespace isolation\n";
  if (!review.empty()) {
    io.out << "  Review these first: writable, outside the workspace, and no tool cache, ${tmp} or root's profile\n"
           << review;
  }
  io.out << shown;
  for (const auto& c : changes) io.out << "  " << c << "\n";
  io.out << "Trusted " << files.size() << (files.size() == 1 ? " file" : " files") << " (" << path.string() << ").\n";
  return kExitOk;
}

}  // namespace sbx::cli
