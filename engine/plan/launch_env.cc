#include "engine/plan/launch_env.h"

#include <algorithm>

namespace sbx {

bool MatchEnvPattern(std::string_view pattern, std::string_view name) {
  // Iterative glob with backtracking to the last '*': linear in practice, no recursion.
  size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {  // a wildcard, even where the name has a '*'
      star = p++;
      mark = n;
    } else if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {

// A name as `target` compares it: on Windows by its upper-case form (the names are ASCII;
// the Windows host refuses others when it builds the block).
std::string Folded(std::string_view name, Target target) {
  std::string out(name);
  if (target == Target::kWindows) {
    for (char& c : out) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> SandboxEnvironment(const LaunchSpec& spec, const std::vector<std::string>& caller,
                                            const std::map<std::string, std::string>& fixed, Target target) {
  auto any = [&](const std::vector<std::string>& patterns, const std::string& name) {
    const std::string folded = Folded(name, target);
    return std::any_of(patterns.begin(), patterns.end(),
                       [&](const std::string& p) { return MatchEnvPattern(Folded(p, target), folded); });
  };
  // Secrets are spelt every way (npm_config__authToken, github_token): the deny patterns,
  // the default list's and the profile's, match without regard to case on every target.
  auto denied = [&](const std::string& name) {
    const std::string folded = Folded(name, Target::kWindows);
    return std::any_of(spec.env_deny.begin(), spec.env_deny.end(),
                       [&](const std::string& p) { return MatchEnvPattern(Folded(p, Target::kWindows), folded); });
  };
  // By the name as compared: the name as first written, and its value.
  std::map<std::string, std::pair<std::string, std::string>> env;
  auto set = [&](const std::string& name, const std::string& value) { env[Folded(name, target)] = {name, value}; };
  for (const auto& entry : caller) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    const std::string name = entry.substr(0, eq);
    const bool inherited = spec.env_inherit == EnvInherit::kAll ||
                           (spec.env_inherit == EnvInherit::kCore && any(spec.env_core, name));
    if ((inherited || any(spec.env_allow, name)) && !denied(name)) {
      env.emplace(Folded(name, target), std::pair{name, entry.substr(eq + 1)});  // the first of duplicates, as getenv finds it
    }
  }
  for (const auto& [name, value] : spec.env_set) set(name, value);
  const bool sets_home = std::any_of(spec.env_set.begin(), spec.env_set.end(),
                                     [&](const auto& e) { return Folded(e.first, target) == "HOME"; });
  for (const auto& [name, value] : fixed) {
    if (Folded(name, target) == "HOME" && sets_home) continue;
    set(name, value);
  }
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [folded, entry] : env) out.push_back(entry.first + "=" + entry.second);
  return out;
}

bool MayRunIn(const LaunchSpec& spec, const std::string& workspace, const std::string& tmp, const std::string& cwd,
              Target target) {
  auto within = [&](const std::vector<std::string>& roots) {
    return std::any_of(roots.begin(), roots.end(), [&](const std::string& r) { return IsWithin(cwd, r, StyleFor(target)); });
  };
  std::vector<std::string> readable = spec.writable;
  for (const auto* list : {&spec.read_only, &spec.readable}) readable.insert(readable.end(), list->begin(), list->end());
  readable.push_back(workspace);
  if (!tmp.empty()) readable.push_back(tmp);
  return within(readable) && !within(spec.deny_read);
}

std::map<std::string, std::string> RunVariables(const LaunchSpec& spec, std::string_view isolation) {
  return {{"SANDBOXCTL_PROFILE", spec.profile}, {"SANDBOXCTL_ISOLATION", std::string(isolation)}};
}

std::map<std::string, std::string> SandboxUserVariables(const LaunchSpec& spec, const std::string& repository,
                                                        Target target) {
  using Variables = std::map<std::string, std::string>;
  Variables fixed = RunVariables(spec, "user");
  if (target == Target::kWindows) {
    fixed["USERNAME"] = spec.user;
  } else {
    fixed["USER"] = fixed["LOGNAME"] = spec.user;
  }
  if (!spec.env_set.contains("GIT_CONFIG_COUNT")) {
    fixed["GIT_CONFIG_COUNT"] = "1";
    fixed["GIT_CONFIG_KEY_0"] = "safe.directory";
    fixed["GIT_CONFIG_VALUE_0"] = repository;
  }
  return fixed;
}

}  // namespace sbx
