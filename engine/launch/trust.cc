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

}  // namespace sbx
