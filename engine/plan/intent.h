// Internal: the target-neutral meaning of a set of profiles, before lowering.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/core/net.h"
#include "engine/plan/plan.h"

namespace sbx {

// kOwnerDefault: the invoking user's entry in the default ACL of a writable root, so files
// the sandbox creates stay usable by the person who owns the work.
enum class Access { kRead, kWrite, kDenyWrite, kDenyRead, kTraverse, kOwnerDefault };
std::string_view AccessName(Access access);

struct Provenance {
  std::set<std::string> profiles;
  std::set<Origin> origins;
  void Add(const std::string& profile, const Origin& origin) {
    profiles.insert(profile);
    origins.insert(origin);
  }
};

struct PrincipalIntent {
  std::string user;
  Provenance provenance;
  NetworkMode mode = NetworkMode::kOffline;
  bool loopback = false;
  std::vector<NetAllowEntry> allow;                   // sorted by text
  std::map<std::string, SourceRegion> allow_regions;  // by NetAllowEntry::ToString()
  Provenance net_provenance;  // where mode/loopback/allow were written
};

struct GrantIntent {
  std::string path;
  std::string user;
  Access access{};
  bool subtree = true;
  bool background = false;
  bool only_if_needed = false;
  std::set<std::string> except;  // nested paths that have a grant of their own
  Provenance provenance;
};

struct DirectoryIntent {
  std::string path;
  std::string mode;  // "0755", "0700"
  Provenance provenance;
};

struct Intent {
  Context context;
  std::map<std::string, PrincipalIntent> principals;  // by user name
  std::map<std::string, std::set<std::string>> profiles_of_user;
  std::vector<GrantIntent> grants;
  std::vector<DirectoryIntent> directories;
};

// Lowering appends target resources to `plan` and reports what the target cannot do.
void LowerLinux(const Intent& intent, Plan& plan, std::vector<Diagnostic>& diagnostics);
void LowerWindows(const Intent& intent, Plan& plan, std::vector<Diagnostic>& diagnostics,
                  const std::map<std::string, SourceRegion>& user_regions);

// Shared by the lowerings.
Resource MakeResource(std::string id, ResourceKind kind, std::string type, std::string summary,
                      const Provenance& provenance);
nlohmann::json GrantAttributes(const GrantIntent& grant);
// Ids of the planned directories a resource at `path` needs first: those containing it
// (`include_self`: and the directory at `path` itself), sorted.
std::vector<std::string> DirectoryDependencies(const std::string& path, const Intent& intent, bool include_self);

}  // namespace sbx
