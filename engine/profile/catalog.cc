#include "engine/profile/catalog.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

#include "engine/core/file_facts.h"
#include "engine/core/strings.h"
#include "engine/core/suggest.h"
#include "engine/profile/parse.h"


namespace sbx {

namespace fs = std::filesystem;

namespace {


int Precedence(Layer layer) {
  switch (layer) {
    case Layer::kFile: return 0;
    case Layer::kWorkspace: return 1;
    case Layer::kMachine: return 2;
    case Layer::kBuiltin: return 3;
  }
  return 3;
}

struct Entry {
  std::string name;
  Layer layer{};
  fs::path path;  // absolute, lexically normal
  std::string display;
  std::string origin;
  ParsedProfile parsed;
  bool read_ok = false;
  bool parent_only = false;  // read because a profile extends it by path; not a profile to use
  fs::path confine;          // paths in `extends` must stay inside this directory
  // Resolution
  enum class State { kPending, kActive, kDone, kFailed } state = State::kPending;
  ProfileSettings merged;
  std::vector<std::string> chain;
};

bool IsPathReference(std::string_view ref) {
  return ref.find('/') != std::string_view::npos || ref.find('\\') != std::string_view::npos ||
         (ref.size() > 5 && ref.substr(ref.size() - 5) == ".toml");
}

class Loader {
 public:
  explicit Loader(const CatalogOptions& o) : options_(o) {}

  void Run(std::vector<Profile>& profiles, std::vector<Catalog::FileInfo>& files,
           std::vector<Diagnostic>& diagnostics, SourceMap& sources);

 private:
  void AddDirectory(const fs::path& dir, Layer layer, bool must_exist);
  std::optional<size_t> AddFile(const fs::path& raw, Layer layer, const fs::path& confine,
                                const std::optional<SourceRegion>& referenced_from = {});
  std::string OriginFor(const fs::path& path, Layer layer) const;
  std::optional<size_t> FindParent(size_t child);
  bool Resolve(size_t index, std::vector<size_t>& stack);
  void CheckDuplicates();

  const CatalogOptions& options_;
  std::vector<Entry> entries_;
  std::map<fs::path, size_t> by_path_;
  std::string refused_;  // why the last AddFile for an `extends` path read nothing
  std::vector<Diagnostic> diags_;
  SourceMap sources_;
};

std::string Loader::OriginFor(const fs::path& path, Layer layer) const {
  if (layer == Layer::kBuiltin) return "builtin:" + path.filename().string();
  if (options_.workspace) {
    fs::path rel = path.lexically_relative(*options_.workspace);
    if (!rel.empty() && *rel.begin() != "..") return rel.generic_string();
  }
  return path.generic_string();
}

// Profiles are read by privileged commands too, so only regular files that really lie in
// their directory are read: no symlink can make sandboxctl read (and quote in a
// diagnostic) a file from elsewhere, and no device or FIFO can make it hang.
std::optional<std::string> UnsafeProfilePath(const fs::path& path, const fs::path& confine) {
  std::error_code ec;
  auto link = fs::symlink_status(path, ec);
  if (link.type() == fs::file_type::not_found) return std::string("does not exist");
  if (ec) return "cannot be read: " + ec.message();
  if (IsLink(path)) return std::string("is a symbolic link; profiles must be regular files");
  if (!fs::is_regular_file(link)) return std::string("is not a regular file");
  fs::path real = fs::canonical(path, ec);
  fs::path real_root = fs::canonical(confine, ec);
  if (ec) return "cannot be read: " + ec.message();
  fs::path rel = real.lexically_relative(real_root);
  if (rel.empty() || *rel.begin() == "..") return "lies outside " + real_root.string();
  return std::nullopt;
}

std::optional<size_t> Loader::AddFile(const fs::path& raw, Layer layer, const fs::path& confine,
                                      const std::optional<SourceRegion>& referenced_from) {
  fs::path path = fs::absolute(raw).lexically_normal();
  if (auto it = by_path_.find(path); it != by_path_.end()) return it->second;
  if (auto unsafe = UnsafeProfilePath(path, confine)) {
    if (referenced_from) {
      refused_ = *unsafe;
      return std::nullopt;
    }
    diags_.push_back(MakeError(DiagCode::kIoError, SourceRegion{DisplayPath(path, options_.cwd), OriginFor(path, layer), {}},
                               *unsafe));
    return std::nullopt;
  }
  Entry e;
  e.confine = confine;
  e.parent_only = referenced_from.has_value();
  e.name = path.stem().string();
  e.layer = layer;
  e.path = path;
  e.display = DisplayPath(path, options_.cwd);
  e.origin = OriginFor(path, layer);
  SourceRegion file_region{e.display, e.origin, {}};
  auto text = ReadProfileFile(path);
  if (!text.ok()) {
    if (referenced_from) {  // the caller reports a missing parent
      refused_ = "cannot be read: " + text.error().message;
      return std::nullopt;
    }
    bool too_large = text.error().code == "file_too_large";
    diags_.push_back(MakeError(too_large ? DiagCode::kFileTooLarge : DiagCode::kIoError, file_region,
                               too_large ? text.error().message : "cannot read profile: " + text.error().message));
  } else {
    e.read_ok = true;
    sources_[e.display] = *text;
    if (!IsValidProfileName(e.name)) {
      diags_.push_back(MakeError(DiagCode::kInvalidName, file_region,
                                 "'" + e.name + "' is not a valid profile name (the file name without .toml): use 1 to 28 "
                                 "lower-case letters, digits, '-' and '_', starting with a letter or digit"));
    }
    e.parsed = ParseProfileText(*text, e.display, e.origin, diags_);
    if (!IsValidProfileName(e.name)) e.parsed.ok = false;
  }
  size_t index = entries_.size();
  by_path_[path] = index;
  entries_.push_back(std::move(e));
  return index;
}

void Loader::AddDirectory(const fs::path& dir, Layer layer, bool must_exist) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    if (must_exist) {
      diags_.push_back(MakeError(DiagCode::kIoError, SourceRegion{DisplayPath(dir, options_.cwd), "", {}},
                                 "not a directory of profiles"));
    }
    return;
  }
  std::vector<fs::path> found;
  for (const auto& item : fs::directory_iterator(dir, ec)) {
    if (item.path().extension() == ".toml" && !item.is_directory()) found.push_back(item.path());
  }
  if (ec) {
    diags_.push_back(MakeError(DiagCode::kIoError, SourceRegion{DisplayPath(dir, options_.cwd), "", {}},
                               "cannot list directory: " + ec.message()));
  }
  std::sort(found.begin(), found.end());
  const fs::path confine = layer == Layer::kWorkspace && options_.workspace ? *options_.workspace : dir;
  for (const auto& p : found) AddFile(p, layer, confine);
}

std::optional<size_t> Loader::FindParent(size_t child_index) {
  const Entry& child = entries_[child_index];
  const auto& ref = *child.parsed.extends;
  if (IsPathReference(ref.value)) {
    if (fs::path(ref.value).is_absolute() || ref.value[0] == '/' || ref.value[0] == '\\') {
      diags_.push_back(MakeError(DiagCode::kExtendsMissing, ref.where,
                                 "extends '" + ref.value + "': write a path relative to this profile"));
      return std::nullopt;
    }
    fs::path target = (child.path.parent_path() / ref.value).lexically_normal();
    fs::path rel = target.lexically_relative(child.confine);
    if (rel.empty() || *rel.begin() == "..") {
      diags_.push_back(MakeError(DiagCode::kExtendsMissing, ref.where,
                                 "extends '" + ref.value + "': the path leaves " + child.confine.string()));
      return std::nullopt;
    }
    const fs::path confine = child.confine;
    auto parent = AddFile(target, child.layer, confine, ref.where);
    if (!parent) {
      diags_.push_back(MakeError(DiagCode::kExtendsMissing, ref.where,
                                 "extends '" + ref.value + "': " + DisplayPath(target, options_.cwd) + " " + refused_));
    }
    return parent;
  }
  // A bare name: the highest layer at or below the child's own, never the child itself;
  // a profile that extends its own name reaches the one it shadows.
  std::optional<size_t> best;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (i == child_index || e.name != ref.value || !e.read_ok || e.parent_only) continue;
    int p = Precedence(e.layer);
    if (p < Precedence(child.layer)) continue;
    if (p == Precedence(child.layer) && e.name == child.name) continue;
    if (!best || p < Precedence(entries_[*best].layer)) best = i;
  }
  if (!best) {
    std::vector<std::string> names;
    for (const auto& e : entries_) {
      if (e.name != child.name && !e.parent_only) names.push_back(e.name);
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    diags_.push_back(MakeError(DiagCode::kExtendsMissing, ref.where,
                               "extends '" + ref.value + "': no such profile" + DidYouMean(ref.value, names) +
                                   (names.empty() ? "" : " (known: " + Join(names, ", ") + ")")));
  }
  return best;
}

bool Loader::Resolve(size_t index, std::vector<size_t>& stack) {
  Entry& e = entries_[index];
  if (e.state == Entry::State::kDone) return true;
  if (e.state == Entry::State::kFailed) return false;
  if (!e.read_ok || !e.parsed.ok) {
    // Still report a missing parent, so one run shows every mistake in the file.
    if (e.read_ok && e.parsed.extends && IsValidProfileName(e.name)) FindParent(index);
    entries_[index].state = Entry::State::kFailed;
    return false;
  }
  if (!e.parsed.extends) {
    e.merged = e.parsed.settings;
    e.state = Entry::State::kDone;
    return true;
  }
  e.state = Entry::State::kActive;
  std::optional<size_t> parent = FindParent(index);
  Entry& self = entries_[index];  // FindParent may have added entries
  if (!parent) {
    self.state = Entry::State::kFailed;
    return false;
  }
  if (entries_[*parent].state == Entry::State::kActive) {
    std::vector<std::string> names;
    auto start = std::find(stack.begin(), stack.end(), *parent);
    for (auto it = start; it != stack.end(); ++it) names.push_back(entries_[*it].name);
    names.push_back(self.name);
    names.push_back(entries_[*parent].name);
    diags_.push_back(MakeError(DiagCode::kExtendsCycle, self.parsed.extends->where,
                               "extends cycle: " + Join(names, " -> ")));
    self.state = Entry::State::kFailed;
    return false;
  }
  stack.push_back(index);
  bool ok = Resolve(*parent, stack);
  stack.pop_back();
  Entry& me = entries_[index];
  if (!ok) {
    me.state = Entry::State::kFailed;
    return false;
  }
  const Entry& p = entries_[*parent];
  if (p.chain.size() + 1 > static_cast<size_t>(kMaxExtendsDepth)) {
    std::vector<std::string> names{me.name, p.name};
    for (const auto& origin : p.chain) {
      auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& x) { return x.origin == origin; });
      names.push_back(it != entries_.end() ? it->name : origin);
    }
    diags_.push_back(MakeError(DiagCode::kExtendsTooDeep, me.parsed.extends->where,
                               "extends chain is deeper than " + std::to_string(kMaxExtendsDepth) + ": " +
                                   Join(names, " -> ")));
    me.state = Entry::State::kFailed;
    return false;
  }
  me.merged = MergeSettings(p.merged, me.parsed.settings);
  me.chain = {p.origin};
  me.chain.insert(me.chain.end(), p.chain.begin(), p.chain.end());
  me.state = Entry::State::kDone;
  return true;
}

void Loader::CheckDuplicates() {
  std::map<std::string, size_t> first;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (e.layer != Layer::kFile) continue;
    auto [it, inserted] = first.emplace(e.name, i);
    if (inserted) continue;
    diags_.push_back(MakeError(DiagCode::kDuplicateProfile, SourceRegion{e.display, e.origin, {}},
                               "duplicate profile name '" + e.name + "': also defined by " +
                                   entries_[it->second].display));
    entries_[i].parsed.ok = false;
  }
}

void Loader::Run(std::vector<Profile>& profiles, std::vector<Catalog::FileInfo>& files,
                 std::vector<Diagnostic>& diagnostics, SourceMap& sources) {
  for (const auto& f : options_.files) AddFile(f, Layer::kFile, fs::absolute(f).lexically_normal().parent_path());
  if (options_.workspace) AddDirectory(*options_.workspace / kWorkspaceProfileDir, Layer::kWorkspace, false);
  if (options_.machine_dir) AddDirectory(*options_.machine_dir, Layer::kMachine, false);
  if (options_.builtin_dir) AddDirectory(*options_.builtin_dir, Layer::kBuiltin, false);
  CheckDuplicates();
  std::vector<size_t> stack;
  for (size_t i = 0; i < entries_.size(); ++i) Resolve(i, stack);
  for (const Entry& e : entries_) {
    if (e.parent_only) continue;
    files.push_back({e.layer, e.name, e.origin, e.display, e.state == Entry::State::kDone});
    if (e.state != Entry::State::kDone) continue;
    Profile p;
    p.name = e.name;
    p.origin = e.origin;
    p.display_path = e.display;
    p.layer = e.layer;
    p.extends_chain = e.chain;
    p.file_region = SourceRegion{e.display, e.origin, {1, 1}};
    p.settings = e.merged;
    profiles.push_back(std::move(p));
  }
  diagnostics = std::move(diags_);
  SortDiagnostics(diagnostics);
  sources = std::move(sources_);
}

}  // namespace

Catalog Catalog::Load(const CatalogOptions& options) {
  Catalog c;
  Loader(options).Run(c.profiles_, c.files_, c.diagnostics_, c.sources_);
  return c;
}

const Profile* Catalog::Find(std::string_view name) const {
  const Profile* best = nullptr;
  for (const auto& p : profiles_) {
    if (p.name != name) continue;
    if (!best || Precedence(p.layer) < Precedence(best->layer)) best = &p;
  }
  return best;
}

std::vector<std::string> Catalog::Names() const {
  std::vector<std::string> names;
  for (const auto& p : profiles_) names.push_back(p.name);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::vector<const Profile*> Catalog::InLayer(Layer layer) const {
  std::vector<const Profile*> out;
  for (const auto& p : profiles_) {
    if (p.layer == layer) out.push_back(&p);
  }
  return out;
}

Result<std::string> ReadProfileFile(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return Error{"io_error", "", path.string(), "is a directory, not a profile file"};
  auto size = fs::file_size(path, ec);
  if (ec) return Error{"io_error", "", path.string(), ec.message()};
  if (size > kMaxProfileBytes) {
    std::ostringstream msg;
    msg << "file is " << size << " bytes; profiles are limited to 1 MiB (" << kMaxProfileBytes << " bytes)";
    return Error{"file_too_large", "", path.string(), msg.str()};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"io_error", "", path.string(), std::error_code(errno, std::generic_category()).message()};
  std::string text(size, '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

fs::path FindWorkspace(const fs::path& start) {
  std::error_code ec;
  fs::path dir = fs::absolute(start).lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();
  // The search stops at the git root: a .sandboxctl/ above the repository is not its
  // own. Directories anyone may write to (/tmp) never count as a workspace, so nobody
  // can plant profiles there for others to pick up.
  for (fs::path d = dir;; d = d.parent_path()) {
    if (!OthersMayWrite(d) && fs::is_directory(d / kWorkspaceProfileDir, ec)) return d;
    if (fs::exists(d / ".git", ec)) return d;
    if (d == d.root_path()) break;
  }
  return dir;
}

std::string DisplayPath(const fs::path& path, const fs::path& cwd) {
  fs::path abs = fs::absolute(path).lexically_normal();
  if (!cwd.empty()) {
    fs::path rel = abs.lexically_relative(cwd);
    if (!rel.empty() && *rel.begin() != "..") return rel.generic_string();
  }
  return abs.generic_string();
}

}  // namespace sbx
