#include <algorithm>
#include <tuple>

#include "engine/core/strings.h"
#include "engine/plan/intent.h"
#include "engine/plan/plan.h"
#include "engine/profile/catalog.h"

namespace sbx {

std::string_view TargetName(Target target) { return target == Target::kWindows ? "windows" : "linux"; }

std::optional<Target> ParseTarget(std::string_view name) {
  if (name == "linux") return Target::kLinux;
  if (name == "windows") return Target::kWindows;
  return std::nullopt;
}

PathStyle StyleFor(Target target) { return target == Target::kWindows ? PathStyle::kWindows : PathStyle::kPosix; }

std::string DefaultTmpRoot(Target target) {
  return target == Target::kWindows ? R"(C:\ProgramData\sandboxctl\tmp)" : "/var/tmp/sandboxctl";
}

std::string ProfileTmpDir(const Context& context, std::string_view profile) {
  return JoinPath(context.tmp_root, std::string(profile) + "-" + Hex(Fnv1a64(context.workspace), 12),
                  StyleFor(context.target));
}

std::string_view ResourceKindName(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kPrincipal: return "principal";
    case ResourceKind::kDirectory: return "directory";
    case ResourceKind::kFileGrant: return "file_grant";
    case ResourceKind::kNetRule: return "net_rule";
    case ResourceKind::kLaunch: return "launch";
  }
  return "principal";
}

std::string_view AccessName(Access access) {
  switch (access) {
    case Access::kRead: return "read";
    case Access::kWrite: return "write";
    case Access::kDenyWrite: return "deny_write";
    case Access::kDenyRead: return "deny_read";
    case Access::kTraverse: return "traverse";
    case Access::kOwnerDefault: return "owner_default";
  }
  return "read";
}

std::string Origin::ToString() const { return file + ":" + std::to_string(line); }

const Resource* Plan::Find(std::string_view id) const {
  for (const auto& r : resources) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

namespace {

// An env.set value with the path variables in it replaced ("${home}/.gitconfig"); nullopt,
// with the reason in `problem`, for an unknown variable or one with no value here. A "$"
// not followed by "{" stays as it is.
std::optional<std::string> ExpandVariables(const std::string& raw, const PathVariables& vars, std::string& problem) {
  std::string out;
  for (size_t i = 0; i < raw.size();) {
    if (raw.compare(i, 2, "${") != 0) {
      out += raw[i++];
      continue;
    }
    const size_t close = raw.find('}', i + 2);
    if (close == std::string::npos) {
      problem = "unterminated '${' in '" + raw + "'";
      return std::nullopt;
    }
    const std::string name = raw.substr(i + 2, close - i - 2);
    const std::string* value = PathVariable(vars, name);
    if (!value) {
      problem = "unknown variable '${" + name + "}'; known: ${workspace}, ${home}, ${tmp}, ${user}";
      return std::nullopt;
    }
    if (value->empty()) {
      problem = "'${" + name + "}' has no value here";
      return std::nullopt;
    }
    out += *value;
    i = close + 1;
  }
  return out;
}

}  // namespace

const std::vector<std::string>& CoreEnv(Target target) {
  static const std::vector<std::string> kLinux{"CLICOLOR", "CLICOLOR_FORCE", "COLORTERM", "FORCE_COLOR", "LANG",
                                               "LANGUAGE", "LC_*", "LOGNAME", "NO_COLOR", "PATH", "SHELL", "TERM",
                                               "TZ", "USER"};
  static const std::vector<std::string> kWindows{"COMSPEC", "NUMBER_OF_PROCESSORS", "OS", "PATH", "PATHEXT",
                                                 "PROCESSOR_ARCHITECTURE", "PROCESSOR_IDENTIFIER",
                                                 "PROGRAMDATA", "PROGRAMFILES", "PROGRAMFILES(X86)",
                                                 "SYSTEMDRIVE", "SYSTEMROOT", "WINDIR"};
  return target == Target::kWindows ? kWindows : kLinux;
}

const std::vector<std::string>& DefaultEnvDeny() {
  static const std::vector<std::string> kDeny{
      "*TOKEN",      "*TOKEN_*",     "*SECRET*",      "*PASSWORD*",   "*PASSWD*",         "*_PASS",
      "*_PAT",       "*_KEY",        "*_KEY_*",       "*APIKEY*",     "*PRIVATE_KEY*",    "*CREDENTIAL*",
      "AWS_*",       "SSH_AUTH_SOCK", "SSH_AGENT_PID", "GPG_AGENT_INFO", "KRB5CCNAME",     "DATABASE_URL",
      "*_AUTH",      "*_AUTH_*"};
  return kDeny;
}

namespace {

Origin OriginOf(const SourceRegion& r) { return Origin{r.origin.empty() ? r.file : r.origin, r.begin.line}; }

struct Expanded {
  std::string path;
  SourceRegion where;
};

class Compiler {
 public:
  Compiler(const Context& context, std::vector<Diagnostic>& diags)
      : ctx_(context), style_(StyleFor(context.target)), diags_(diags) {
    intent_.context = context;
  }

  void AddProfile(const Profile& p, Plan& plan);
  void Finish(Plan& plan);

 private:
  std::vector<Expanded> Expand(const std::vector<Located<std::string>>& list, const PathVariables& vars);
  void AddGrant(const std::string& path, const std::string& user, Access access, bool subtree, bool background,
                const std::string& profile, const SourceRegion& where);
  void AddDirectory(const std::string& path, const std::string& mode, const std::string& profile, const SourceRegion& where);
  void CheckNetwork(const Profile& p, const std::string& user, const SourceRegion& user_region);
  void AddTraverseGrants();
  std::vector<std::string> HomeRoots() const;
  void CheckWritable(const std::vector<Expanded>& writable, const std::vector<Expanded>& read_only,
                     const std::vector<Expanded>& deny_read, const std::string& tmp);
  void CheckReadGrants(const std::string& key, const std::vector<Expanded>& paths, const std::vector<Expanded>& deny_read);
  void ComputeExceptions();

  const Context& ctx_;
  PathStyle style_;
  std::vector<Diagnostic>& diags_;
  Intent intent_;
  std::map<std::tuple<std::string, std::string, Access>, size_t> grant_index_;  // into intent_.grants
  std::map<std::string, SourceRegion> user_regions_;
};

std::vector<Expanded> Compiler::Expand(const std::vector<Located<std::string>>& list, const PathVariables& vars) {
  std::vector<Expanded> out;
  for (const auto& item : list) {
    ExpandedPath e = ExpandPathTemplate(item.value, vars, style_);
    if (!e.path) {
      diags_.push_back(MakeError(e.code, item.where, e.message));
      continue;
    }
    if (style_ == PathStyle::kWindows && !e.path->empty() && e.path->front() == '\\' &&
        (e.path->size() < 2 || (*e.path)[1] != '\\')) {
      *e.path = ctx_.system_drive + *e.path;  // \opt -> C:\opt
    }
    bool seen = std::any_of(out.begin(), out.end(), [&](const Expanded& x) { return x.path == *e.path; });
    if (!seen) out.push_back({*e.path, item.where});
  }
  return out;
}

// Paths a writable root must never be: system directories, the home directory itself and
// what runs as the developer at login, other users' homes, other profiles' ${tmp}.
void Compiler::CheckWritable(const std::vector<Expanded>& writable, const std::vector<Expanded>& read_only,
                             const std::vector<Expanded>& deny_read, const std::string& tmp) {
  static const std::vector<std::string> kStartup{
      ".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".profile", ".zshrc", ".zprofile", ".zshenv",
      ".zlogin", ".config", ".local/bin", ".local/share/applications", ".gitconfig", ".ssh", ".pam_environment",
      "AppData/Roaming/Microsoft/Windows/Start Menu"};
  const bool home_known = !ctx_.home.empty() && !IsFilesystemRoot(ctx_.home, style_);
  for (const auto& w : writable) {
    const bool own_tmp = IsWithin(w.path, tmp, style_);
    const bool in_home = home_known && IsWithin(w.path, ctx_.home, style_) && w.path != ctx_.home;
    if (home_known && IsWithin(ctx_.home, w.path, style_)) {
      diags_.push_back(MakeError(DiagCode::kConflict, w.where,
                                 "writable root '" + w.path + "' contains the whole home directory '" + ctx_.home +
                                     "' (login scripts, keys); make the directories the command needs writable instead"));
      continue;
    }
    std::optional<std::string> hit = SystemDirectoryHit(w.path, style_);
    if (hit && !own_tmp && !in_home) {
      diags_.push_back(MakeError(DiagCode::kSystemDirectory, w.where,
                                 "writable root '" + w.path + "' would open up the system directory '" + *hit +
                                     "'; make a project directory writable instead"));
      continue;
    }
    // Programs there run as every user who starts them, root included.
    if (style_ == PathStyle::kPosix && IsWithin(w.path, "/opt", style_)) {
      diags_.push_back(MakeError(DiagCode::kSystemDirectory, w.where,
                                 "writable root '" + w.path + "' lies in /opt, whose programs others and root run; "
                                 "make a project directory writable instead"));
      continue;
    }
    if (!own_tmp && IsWithin(w.path, ctx_.tmp_root, style_)) {
      diags_.push_back(MakeError(DiagCode::kConflict, w.where,
                                 "writable root '" + w.path + "' lies in sandboxctl's temporary directories '" +
                                     ctx_.tmp_root + "'; use ${tmp}, this profile's own"));
    }
    if (!in_home && !IsWithin(w.path, ctx_.workspace, style_)) {
      for (const auto& homes : HomeRoots()) {
        if (IsWithin(w.path, homes, style_) && w.path != homes) {
          diags_.push_back(MakeError(DiagCode::kConflict, w.where,
                                     "writable root '" + w.path + "' lies in another user's home directory"));
          break;
        }
      }
    }
    if (in_home) {
      for (const auto& name : kStartup) {
        std::string startup = JoinPath(ctx_.home, name, style_);
        if (auto n = NormalizePath(startup, style_)) startup = *n;
        if (IsWithin(w.path, startup, style_) || IsWithin(startup, w.path, style_)) {
          diags_.push_back(MakeError(DiagCode::kConflict, w.where,
                                     "writable root '" + w.path + "' would let the sandbox change '" + startup +
                                         "', which runs or configures things as you; narrow it"));
          break;
        }
      }
    }
    for (const auto& d : deny_read) {
      if (IsWithin(w.path, d.path, style_)) {
        diags_.push_back(MakeError(DiagCode::kConflict, w.where,
                                   "writable root '" + w.path + "' lies inside deny_read path '" + d.path + "' (" +
                                       OriginOf(d.where).ToString() + ")"));
      }
    }
    for (const auto& c : read_only) {
      if (c.path == w.path) {
        diags_.push_back(MakeError(DiagCode::kConflict, c.where,
                                   "read_only '" + c.path +
                                       "' is also a writable root; a carve-out must lie strictly inside a writable root"));
      } else if (IsWithin(w.path, c.path, style_)) {
        diags_.push_back(MakeError(DiagCode::kConflict, w.where,
                                   "writable root '" + w.path + "' lies inside read_only path '" + c.path + "' (" +
                                       OriginOf(c.where).ToString() + "); a carve-out cannot be reopened"));
      }
    }
  }
}

// Directories that hold users' homes: /home and the parent of the invoking user's home
// (C:\\Users on Windows).
std::vector<std::string> Compiler::HomeRoots() const {
  std::vector<std::string> roots;
  if (style_ == PathStyle::kPosix) roots.emplace_back("/home");
  else if (ctx_.home.size() >= 3 && ctx_.home[1] == ':') roots.push_back(ctx_.home.substr(0, 3) + "Users");
  auto parents = Ancestors(ctx_.home, style_);
  if (!ctx_.home.empty() && !parents.empty()) roots.push_back(parents.front());
  return roots;
}

// Read grants on system directories touch system files' ACLs and expose what is not
// world-readable (/etc/shadow, /root); read grants inside deny_read would cancel the deny.
void Compiler::CheckReadGrants(const std::string& key, const std::vector<Expanded>& paths,
                               const std::vector<Expanded>& deny_read) {
  for (const auto& r : paths) {
    if (auto hit = SystemDirectoryHit(r.path, style_)) {
      const bool in_home = !ctx_.home.empty() && !IsFilesystemRoot(ctx_.home, style_) &&
                           IsWithin(r.path, ctx_.home, style_) && r.path != ctx_.home;
      if (!in_home) {
        diags_.push_back(MakeError(DiagCode::kSystemDirectory, r.where,
                                   key + " '" + r.path + "' would change the ACLs of the system directory '" + *hit + "'"));
        continue;
      }
    }
    for (const auto& d : deny_read) {
      if (IsWithin(r.path, d.path, style_)) {
        diags_.push_back(MakeError(DiagCode::kConflict, r.where,
                                   key + " '" + r.path + "' lies inside deny_read path '" + d.path + "' (" +
                                       OriginOf(d.where).ToString() + "); the deny always wins"));
      }
    }
  }
}

void Compiler::AddGrant(const std::string& path, const std::string& user, Access access, bool subtree, bool background,
                        const std::string& profile, const SourceRegion& where) {
  auto [it, inserted] = grant_index_.try_emplace(std::make_tuple(path, user, access), intent_.grants.size());
  if (!inserted) {
    intent_.grants[it->second].provenance.Add(profile, OriginOf(where));
    return;
  }
  GrantIntent g;
  g.path = path;
  g.user = user;
  g.access = access;
  g.subtree = subtree;
  g.background = background;
  g.only_if_needed = access == Access::kTraverse;
  g.provenance.Add(profile, OriginOf(where));
  intent_.grants.push_back(std::move(g));
}

void Compiler::AddDirectory(const std::string& path, const std::string& mode, const std::string& profile,
                            const SourceRegion& where) {
  for (auto& d : intent_.directories) {
    if (d.path == path) {
      d.provenance.Add(profile, OriginOf(where));
      return;
    }
  }
  DirectoryIntent d{path, mode, {}};
  d.provenance.Add(profile, OriginOf(where));
  intent_.directories.push_back(std::move(d));
}

void Compiler::CheckNetwork(const Profile& p, const std::string& user, const SourceRegion& user_region) {
  const auto& s = p.settings;
  if (!s.net_allow.empty() && p.Mode() != NetworkMode::kAllowlist) {
    diags_.push_back(MakeError(DiagCode::kConflict, s.net_allow.front().where,
                               R"(network.allow is only used with mode = "allowlist"; this profile's mode is ")" +
                                   std::string(NetworkModeName(p.Mode())) + "\""));
  }
  if (p.Mode() == NetworkMode::kAllowlist && s.net_allow.empty()) {
    diags_.push_back(MakeWarning(DiagCode::kNoEffect, s.network_mode ? s.network_mode->where : p.file_region,
                                 R"(mode = "allowlist" with an empty network.allow blocks all traffic, like "offline")"));
  }
  std::vector<NetAllowEntry> allow;
  for (const auto& a : s.net_allow) allow.push_back(a.value);
  std::sort(allow.begin(), allow.end(), [](const NetAllowEntry& a, const NetAllowEntry& b) {
    return a.ToString() < b.ToString();
  });
  auto [it, inserted] = intent_.principals.try_emplace(user);
  PrincipalIntent& principal = it->second;
  if (inserted) {
    principal.user = user;
    principal.mode = p.Mode();
    principal.loopback = p.Loopback();
    principal.allow = allow;
    for (const auto& a : s.net_allow) principal.allow_regions.try_emplace(a.value.ToString(), a.where);
  } else if (principal.mode != p.Mode() || principal.loopback != p.Loopback() || principal.allow != allow) {
    diags_.push_back(MakeError(DiagCode::kConflict, user_region,
                               "profiles '" + *principal.provenance.profiles.begin() + "' and '" + p.name +
                                   "' both run as '" + user +
                                   "' but differ in [network]; firewall rules match on the user, so give each "
                                   "profile its own [identity].user"));
  }
  principal.provenance.Add(p.name, OriginOf(user_region));
  if (s.network_mode) principal.net_provenance.Add(p.name, OriginOf(s.network_mode->where));
  else principal.net_provenance.Add(p.name, OriginOf(p.file_region));
  intent_.profiles_of_user[user].insert(p.name);
}

void Compiler::AddProfile(const Profile& p, Plan& plan) {
  const auto& s = p.settings;
  const std::string user = p.UserName();
  const SourceRegion user_region = s.user ? s.user->where : p.file_region;
  user_regions_.try_emplace(user, user_region);
  const std::string tmp = ProfileTmpDir(ctx_, p.name);
  PathVariables vars{ctx_.workspace, ctx_.home, tmp, ctx_.user};

  auto writable = Expand(s.writable, vars);
  auto read_only = Expand(s.read_only, vars);
  auto readable = Expand(s.readable, vars);
  auto deny_read = Expand(s.deny_read, vars);

  if (user == ctx_.user) {
    diags_.push_back(MakeError(DiagCode::kConflict, user_region,
                               "[identity].user '" + user + "' is the invoking user; a sandbox needs an account of its own"));
  }
  // sandboxctl's own configuration stays read-only inside a writable workspace, or the
  // sandbox could rewrite the policy that the next `apply` enforces.
  const std::string own_config = JoinPath(ctx_.workspace, kWorkspaceProfileDir, style_);
  if (std::any_of(writable.begin(), writable.end(), [&](const Expanded& w) { return IsWithin(own_config, w.path, style_); }) &&
      std::none_of(read_only.begin(), read_only.end(), [&](const Expanded& c) { return c.path == own_config; })) {
    const auto& root = *std::find_if(writable.begin(), writable.end(),
                                     [&](const Expanded& w) { return IsWithin(own_config, w.path, style_); });
    read_only.push_back({own_config, root.where});
  }
  CheckWritable(writable, read_only, deny_read, tmp);
  CheckReadGrants("readable", readable, deny_read);
  CheckReadGrants("read_only", read_only, deny_read);
  for (const auto& d : deny_read) {
    if (IsFilesystemRoot(d.path, style_)) {
      diags_.push_back(MakeError(DiagCode::kSystemDirectory, d.where,
                                 "deny_read '" + d.path + "' would hide the whole file system"));
    }
  }
  // A carve-out outside every writable root changes nothing and gets no grant.
  std::erase_if(read_only, [&](const Expanded& c) {
    bool inside = std::any_of(writable.begin(), writable.end(),
                              [&](const Expanded& w) { return IsWithin(c.path, w.path, style_) && c.path != w.path; });
    bool is_root = std::any_of(writable.begin(), writable.end(), [&](const Expanded& w) { return c.path == w.path; });
    if (!inside && !is_root) {
      diags_.push_back(MakeWarning(DiagCode::kNoEffect, c.where,
                                   "read_only '" + c.path + "' is not inside a writable root, so it changes nothing"));
    }
    return !inside;
  });
  CheckNetwork(p, user, user_region);

  // Resources.
  for (const auto& w : writable) {
    AddGrant(w.path, user, Access::kWrite, true, false, p.name, w.where);
    if (!ctx_.user.empty() && ctx_.user != "root") {
      AddGrant(w.path, ctx_.user, Access::kOwnerDefault, true, false, p.name, w.where);
    }
  }
  for (const auto& c : read_only) AddGrant(c.path, user, Access::kDenyWrite, true, false, p.name, c.where);
  for (const auto& r : readable) {
    bool covered = std::any_of(writable.begin(), writable.end(),
                               [&](const Expanded& w) { return IsWithin(r.path, w.path, style_); });
    if (!covered) AddGrant(r.path, user, Access::kRead, true, true, p.name, r.where);
  }
  for (const auto& d : deny_read) AddGrant(d.path, user, Access::kDenyRead, false, false, p.name, d.where);
  bool uses_tmp = false;
  for (const auto* list : {&writable, &readable}) {
    for (const auto& e : *list) {
      if (IsWithin(e.path, tmp, style_)) {
        uses_tmp = true;
        AddDirectory(ctx_.tmp_root, "0755", p.name, e.where);
        AddDirectory(tmp, "0700", p.name, e.where);
      }
    }
  }

  // Launch spec.
  LaunchSpec l;
  l.profile = p.name;
  l.origin = p.origin;
  l.user = user;
  for (const auto& u : s.exec_users) l.exec_users.push_back(u.value);
  std::sort(l.exec_users.begin(), l.exec_users.end());
  auto paths = [](const std::vector<Expanded>& v) {
    std::vector<std::string> out;
    out.reserve(v.size());
    for (const auto& e : v) out.push_back(e.path);
    return out;
  };
  l.writable = paths(writable);
  l.read_only = paths(read_only);
  l.readable = paths(readable);
  l.deny_read = paths(deny_read);
  l.tmp = uses_tmp ? tmp : "";
  l.network = p.Mode();
  l.loopback = p.Loopback();
  l.require_namespace = p.RequireNamespace();
  l.require_user_isolation = p.RequiresUserIsolation();
  for (const auto& a : s.net_allow) l.allow.push_back(a.value.ToString());
  l.env_inherit = p.Inherit();
  if (l.env_inherit == EnvInherit::kCore) l.env_core = CoreEnv(ctx_.target);
  for (const auto& a : s.env_allow) l.env_allow.push_back(a.value);
  l.env_deny = DefaultEnvDeny();
  for (const auto& d : s.env_deny) {
    if (std::find(l.env_deny.begin(), l.env_deny.end(), d.value) == l.env_deny.end()) l.env_deny.push_back(d.value);
  }
  for (const auto& [k, v] : s.env_set) {
    std::string problem;
    if (auto value = ExpandVariables(v.value, vars, problem)) {
      l.env_set[k] = *value;
    } else {
      diags_.push_back(MakeError(DiagCode::kUnknownVariable, v.where, "env.set." + k + ": " + problem));
    }
  }
  if (s.timeout_seconds) l.timeout_seconds = s.timeout_seconds->value;
  if (s.memory_bytes) l.memory_bytes = s.memory_bytes->value;
  if (s.processes) l.processes = s.processes->value;
  plan.launches.push_back(std::move(l));

  ProfileSummary summary;
  summary.name = p.name;
  summary.origin = p.origin;
  summary.layer = std::string(LayerName(p.layer));
  summary.extends = p.extends_chain;
  summary.description = s.description ? s.description->value : "";
  summary.user = user;
  summary.network = std::string(NetworkModeName(p.Mode()));
  plan.profiles.push_back(std::move(summary));
}

// Linux needs search (x) permission on every ancestor of a granted root; Windows
// bypasses traverse checks for every account, so its lowering ignores these.
void Compiler::AddTraverseGrants() {
  std::vector<GrantIntent> roots = intent_.grants;
  for (const auto& g : roots) {
    if (g.access == Access::kDenyRead || g.access == Access::kDenyWrite || g.access == Access::kOwnerDefault) continue;
    for (const auto& ancestor : Ancestors(g.path, style_)) {
      bool covered = std::any_of(roots.begin(), roots.end(), [&](const GrantIntent& other) {
        return other.user == g.user && (other.access == Access::kWrite || other.access == Access::kRead) &&
               IsWithin(ancestor, other.path, style_);
      });
      if (covered) continue;
      for (const auto& origin : g.provenance.origins) {
        for (const auto& profile : g.provenance.profiles) {
          SourceRegion where{origin.file, origin.file, {origin.line, 1}};
          AddGrant(ancestor, g.user, Access::kTraverse, false, false, profile, where);
        }
      }
    }
  }
}

void Compiler::ComputeExceptions() {
  for (auto& g : intent_.grants) {
    if (!g.subtree) continue;
    for (const auto& other : intent_.grants) {
      if (other.user != g.user || other.access == g.access || other.access == Access::kTraverse ||
          g.access == Access::kOwnerDefault) {
        continue;
      }
      if (other.path != g.path && IsWithin(other.path, g.path, style_)) g.except.insert(other.path);
    }
  }
}

void Compiler::Finish(Plan& plan) {
  if (ctx_.target == Target::kLinux) AddTraverseGrants();
  ComputeExceptions();
  if (ctx_.target == Target::kLinux) LowerLinux(intent_, plan, diags_);
  else LowerWindows(intent_, plan, diags_, user_regions_);
  auto rank = [](const Resource& r) { return static_cast<int>(r.kind); };
  std::sort(plan.resources.begin(), plan.resources.end(), [&](const Resource& a, const Resource& b) {
    return rank(a) != rank(b) ? rank(a) < rank(b) : a.id < b.id;
  });
  std::sort(plan.launches.begin(), plan.launches.end(),
            [](const LaunchSpec& a, const LaunchSpec& b) { return a.profile < b.profile; });
  std::sort(plan.profiles.begin(), plan.profiles.end(),
            [](const ProfileSummary& a, const ProfileSummary& b) { return a.name < b.name; });
}

}  // namespace

Resource MakeResource(std::string id, ResourceKind kind, std::string type, std::string summary,
                      const Provenance& provenance) {
  Resource r;
  r.id = std::move(id);
  r.kind = kind;
  r.type = std::move(type);
  r.summary = std::move(summary);
  r.profiles.assign(provenance.profiles.begin(), provenance.profiles.end());
  r.origins.assign(provenance.origins.begin(), provenance.origins.end());
  return r;
}

nlohmann::json GrantAttributes(const GrantIntent& g) {
  nlohmann::json a;
  a["path"] = g.path;
  a["principal"] = g.user;
  a["access"] = AccessName(g.access);
  a["scope"] = g.subtree ? "subtree" : "path";
  a["background"] = g.background;
  a["only_if_needed"] = g.only_if_needed;
  a["except"] = std::vector<std::string>(g.except.begin(), g.except.end());
  return a;
}

std::vector<std::string> DirectoryDependencies(const std::string& path, const Intent& intent, bool include_self) {
  std::vector<std::string> ids;
  for (const auto& d : intent.directories) {
    if ((d.path != path || include_self) && IsWithin(path, d.path, StyleFor(intent.context.target))) {
      ids.push_back("dir:" + d.path);
    }
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

CompileResult CompilePlan(const std::vector<const Profile*>& profiles, const Context& context) {
  CompileResult result;
  const PathStyle style = StyleFor(context.target);
  Context ctx = context;
  for (auto* field : {&ctx.workspace, &ctx.home, &ctx.tmp_root}) {
    if (auto n = NormalizePath(*field, style)) *field = *n;
  }
  if (ctx.tmp_root.empty()) ctx.tmp_root = DefaultTmpRoot(ctx.target);
  result.plan.context = ctx;
  std::vector<const Profile*> sorted = profiles;
  std::sort(sorted.begin(), sorted.end(), [](const Profile* a, const Profile* b) { return a->name < b->name; });
  Compiler compiler(result.plan.context, result.diagnostics);
  for (const Profile* p : sorted) compiler.AddProfile(*p, result.plan);
  compiler.Finish(result.plan);
  SortDiagnostics(result.diagnostics);
  return result;
}

}  // namespace sbx
