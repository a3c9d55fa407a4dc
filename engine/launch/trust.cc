#include "engine/launch/trust.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/profile/paths.h"

namespace sbx {

std::optional<TrustStore> ParseTrustStore(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("version", 0) != kTrustStoreVersion ||
      !j.contains("workspaces") || !j["workspaces"].is_object()) {
    return std::nullopt;
  }
  TrustStore store;
  for (const auto& [ws, entry] : j["workspaces"].items()) {
    if (!entry.is_object() || !entry.contains("files") || !entry["files"].is_object()) return std::nullopt;
    TrustedFiles& files = store.workspaces[ws];
    for (const auto& [path, content] : entry["files"].items()) {
      if (!content.is_string()) return std::nullopt;
      files[path] = content.get<std::string>();
    }
  }
  return store;
}

std::string RenderTrustStore(const TrustStore& store) {
  nlohmann::json workspaces = nlohmann::json::object();
  for (const auto& [ws, files] : store.workspaces) workspaces[ws] = {{"files", files}};
  return nlohmann::json{{"version", kTrustStoreVersion}, {"workspaces", workspaces}}.dump(2) + "\n";
}

std::vector<std::string> PolicyFiles(const Plan& plan, const std::string& profile, const std::string& machine_dir) {
  std::vector<std::string> out;
  for (const auto& p : plan.profiles) {
    if (p.name != profile) continue;
    std::vector<std::string> chain{p.origin};
    chain.insert(chain.end(), p.extends.begin(), p.extends.end());
    for (const auto& origin : chain) {
      const bool root_owned = origin.rfind("builtin:", 0) == 0 ||
                              (!machine_dir.empty() && IsWithin(origin, machine_dir, PathStyle::kPosix));
      if (!root_owned) out.push_back(origin);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> TrustDifferences(const TrustedFiles* trusted, const TrustedFiles& now) {
  std::vector<std::string> out;
  for (const auto& [path, content] : now) {
    const bool known = trusted && trusted->contains(path);
    if (!known) {
      out.push_back("'" + path + "' is new");
    } else if (trusted->at(path) != content) {
      out.push_back("'" + path + "' changed since you trusted it");
    }
  }
  return out;
}

std::string TrustedWorkspaceFor(const std::string& start, const TrustStore& store) {
  if (store.workspaces.contains(start)) return start;
  for (const auto& ancestor : Ancestors(start, PathStyle::kPosix)) {
    if (store.workspaces.contains(ancestor)) return ancestor;
  }
  return start;
}

std::vector<RootToReview> WritableRootsToReview(const LaunchSpec& spec, const std::string& workspace,
                                                const std::string& home, const std::vector<std::string>& root_named) {
  auto within = [](const std::string& path, const std::string& root) { return IsWithin(path, root, PathStyle::kPosix); };
  static const char* const kCaches[] = {".cache", ".npm", ".cargo/registry", ".cargo/git", "go/pkg/mod", ".m2/repository",
                                        ".gradle/caches"};
  // Where a place of the home runs code as the developer: (path below home, what it is).
  static const std::pair<const char*, const char*> kKnown[] = {
      {"bin", "programs you run (on PATH)"},
      {".local/lib", "programs you run (Python packages)"},
      {".pyenv", "programs you run (Python versions)"},
      {".nvm", "programs you run (Node versions)"},
      {".rustup", "programs you run (Rust toolchains)"},
      {".cargo/bin", "programs you run (on PATH)"},
      {"go/bin", "programs you run (on PATH)"},
      {".vim", "editor code that runs as you"},
      {".vimrc", "editor code that runs as you"},
      {".emacs.d", "editor code that runs as you"},
      {".emacs", "editor code that runs as you"},
      {".tmux.conf", "runs when your tmux starts"},
      {".xsessionrc", "runs when your session starts"},
      {".xprofile", "runs when your session starts"},
  };
  const bool home_known = home.size() > 1 && home[0] == '/';
  std::vector<RootToReview> out;
  for (const auto& w : spec.writable) {
    if (w == spec.tmp || within(w, workspace)) continue;
    if (std::any_of(root_named.begin(), root_named.end(), [&](const std::string& r) { return within(w, r); })) continue;
    if (home_known && std::any_of(std::begin(kCaches), std::end(kCaches), [&](const char* c) {
          return within(w, home + "/" + c);
        })) {
      continue;
    }
    std::string why = "outside the workspace";
    if (within(workspace, w)) {
      why = "holds the workspace and everything beside it (other repositories)";
    } else if (home_known) {
      for (const auto& [place, what] : kKnown) {
        const std::string p = home + "/" + place;
        if (within(w, p) || within(p, w)) {
          why = what;
          break;
        }
      }
    }
    out.push_back({w, why});
  }
  return out;
}

}  // namespace sbx
