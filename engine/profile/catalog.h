// Catalog: finds profile files (workspace, machine, built-in), parses them and resolves
// `extends`. Reads files; everything after reading is pure.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/diagnostic.h"
#include "engine/core/result.h"
#include "engine/profile/profile.h"

namespace sbx {

struct CatalogOptions {
  std::optional<std::filesystem::path> workspace;    // profiles in <workspace>/.sandboxctl/*.toml
  std::optional<std::filesystem::path> machine_dir;  // e.g. /etc/sandboxctl
  std::optional<std::filesystem::path> builtin_dir;  // <prefix>/share/sandboxctl/profiles
  std::vector<std::filesystem::path> files;          // loose files (validate PATH...)
  std::filesystem::path cwd;                         // diagnostics name files relative to it
};

inline constexpr const char* kWorkspaceProfileDir = ".sandboxctl";

class Catalog {
 public:
  static Catalog Load(const CatalogOptions& options);

  // Profiles that resolved without errors, in every layer.
  const std::vector<Profile>& profiles() const { return profiles_; }
  // Every profile file that was read, resolved or not: (layer, name, origin).
  struct FileInfo {
    Layer layer;
    std::string name;
    std::string origin;
    std::string display_path;
    bool ok;
  };
  const std::vector<FileInfo>& files() const { return files_; }

  // The profile a name refers to: the highest layer that defines it (file, workspace,
  // machine, built-in). nullptr if none resolved.
  const Profile* Find(std::string_view name) const;
  std::vector<std::string> Names() const;
  std::vector<const Profile*> InLayer(Layer layer) const;

  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  const SourceMap& sources() const { return sources_; }

 private:
  std::vector<Profile> profiles_;
  std::vector<FileInfo> files_;
  std::vector<Diagnostic> diagnostics_;
  SourceMap sources_;
};

// Reads a profile file, refusing files over kMaxProfileBytes.
Result<std::string> ReadProfileFile(const std::filesystem::path& path);

// The workspace for a directory: the nearest ancestor holding .sandboxctl/ up to the git
// root, else the git root, else the directory itself. World-writable directories are
// skipped as holders of .sandboxctl/.
std::filesystem::path FindWorkspace(const std::filesystem::path& start);

// `path` relative to `cwd` when it lies beneath it, else absolute.
std::string DisplayPath(const std::filesystem::path& path, const std::filesystem::path& cwd);

}  // namespace sbx
