#include "engine/launch/view.h"

#include "engine/profile/paths.h"

#include <algorithm>
#include <cstddef>

namespace sbx {
namespace {

// `path` is `root` or lies beneath it (both normal absolute paths).
bool Within(const std::string& path, const std::string& root) { return IsWithin(path, root, PathStyle::kPosix); }

size_t Depth(const std::string& path) {
  return path == "/" ? 0 : static_cast<size_t>(std::count(path.begin(), path.end(), '/'));
}

// Carried out later at equal depth, so that it wins over the one before.
int Rank(MountKind kind, const std::string& why) {
  switch (kind) {
    case MountKind::kBindReadOnly:
      return why == "carve-out" ? 2 : 0;
    case MountKind::kBindWritable:
      return 1;
    case MountKind::kCover:
      return 3;
    default:
      return -1;
  }
}

}  // namespace

std::vector<MountOp> PlanView(const ViewInput& in) {
  auto type = [&](const std::string& p) {
    auto it = in.types.find(p);
    return it == in.types.end() ? PathType::kMissing : it->second;
  };
  std::vector<MountOp> ops;
  // The private and the emptied places, outer ones first.
  std::vector<MountOp> places = {{MountKind::kTmpfs, "/tmp", "", true, false, "private /tmp"},
                                 {MountKind::kTmpfs, "/var/tmp", "", true, false, "private /var/tmp"},
                                 {MountKind::kTmpfs, "/run", "", true, true, "no runtime sockets"}};
  const bool hide_home = in.home.size() > 1 && in.home[0] == '/' && type(in.home) == PathType::kDirectory &&
                         std::none_of(places.begin(), places.end(),
                                      [&](const MountOp& o) { return Within(o.target, in.home); });
  if (hide_home) places.push_back({MountKind::kTmpfs, in.home, "", true, true, "home hidden"});
  std::stable_sort(places.begin(), places.end(),
                   [](const MountOp& a, const MountOp& b) { return Depth(a.target) < Depth(b.target); });
  // A home inside /tmp is hidden by /tmp already.
  for (const auto& p : places) {
    const bool covered = std::any_of(ops.begin(), ops.end(), [&](const MountOp& o) { return Within(p.target, o.target); });
    if (!covered) ops.push_back(p);
  }
  if (!in.scratch.empty() && Within(in.scratch, "/tmp") && in.scratch != "/tmp") {
    ops.push_back({MountKind::kTmpfs, in.scratch, "", true, false, "${tmp}"});
  }
  std::vector<std::string> hidden;
  hidden.reserve(ops.size());
  for (const auto& o : ops) hidden.push_back(o.target);
  ops.push_back({MountKind::kDev, "/dev", "", true, false, "private /dev"});
  auto in_hidden = [&](const std::string& p) {
    return std::any_of(hidden.begin(), hidden.end(), [&](const std::string& h) { return Within(p, h); });
  };

  std::vector<MountOp> binds;
  auto add = [&](MountKind kind, const std::string& path, const std::string& why) {
    const PathType t = type(path);
    if (t == PathType::kMissing || path == "/") return;
    if (kind != MountKind::kCover && t == PathType::kOther) return;  // a socket or device is bound by nobody
    binds.push_back({kind, path, kind == MountKind::kCover ? "" : path, t == PathType::kDirectory, false, why});
  };
  for (const auto& w : in.writable) add(MountKind::kBindWritable, w, "writable root");
  // Between a carve-out and the outermost writable root holding it, every directory is a
  // mount point of its own: none can be renamed away and a writable copy put in its place.
  for (const auto& c : in.read_only) {
    if (type(c) == PathType::kMissing) continue;
    std::string root;
    for (const auto& w : in.writable) {
      if (w != c && Within(c, w) && (root.empty() || w.size() < root.size())) root = w;
    }
    if (root.empty()) continue;
    for (std::string d = c.substr(0, c.rfind('/')); d.size() > root.size(); d.resize(d.rfind('/'))) {
      // Inside another carve-out a writable anchor would open it up again: that one's
      // read-only tree holds this one already.
      const bool in_carve_out = std::any_of(in.read_only.begin(), in.read_only.end(),
                                            [&](const std::string& o) { return o != c && Within(d, o); });
      if (!in_carve_out) add(MountKind::kBindWritable, d, "anchor of a carve-out");
    }
  }
  for (const auto& c : in.read_only) add(MountKind::kBindReadOnly, c, "carve-out");
  for (const auto& d : in.deny_read) add(MountKind::kCover, d, "deny-read");
  for (const auto& d : in.cover) add(MountKind::kCover, d, "hidden: what a group or an agent grants");
  // What is read where it would otherwise be hidden; not inside something bound already.
  std::vector<std::string> shown;
  for (const auto* list : {&in.readable, &in.visible}) {
    for (const auto& r : *list) {
      if (!in_hidden(r) || type(r) == PathType::kMissing) continue;
      shown.push_back(r);
    }
  }
  std::sort(shown.begin(), shown.end(), [](const std::string& a, const std::string& b) { return Depth(a) < Depth(b); });
  for (const auto& r : shown) {
    const bool inside = std::any_of(binds.begin(), binds.end(), [&](const MountOp& b) {
      return b.kind != MountKind::kCover && b.directory && Within(r, b.target);
    });
    if (!inside) add(MountKind::kBindReadOnly, r, "readable");
  }
  // Outer paths first; at one path, the strongest restriction last (and only it kept).
  std::stable_sort(binds.begin(), binds.end(), [](const MountOp& a, const MountOp& b) {
    if (Depth(a.target) != Depth(b.target)) return Depth(a.target) < Depth(b.target);
    return Rank(a.kind, a.why) < Rank(b.kind, b.why);
  });
  for (size_t i = 0; i < binds.size(); ++i) {
    const bool superseded = i + 1 < binds.size() && binds[i + 1].target == binds[i].target;
    if (!superseded) ops.push_back(binds[i]);
  }
  return ops;
}

std::string RenderView(const std::vector<MountOp>& ops) {
  std::string out;
  for (const auto& o : ops) {
    const char* verb = "";
    switch (o.kind) {
      case MountKind::kTmpfs:
        verb = o.read_only ? "empty (ro)" : "tmpfs";
        break;
      case MountKind::kDev:
        verb = "dev";
        break;
      case MountKind::kBindReadOnly:
        verb = "bind ro";
        break;
      case MountKind::kBindWritable:
        verb = "bind rw";
        break;
      case MountKind::kCover:
        verb = "cover";
        break;
    }
    std::string line = std::string(verb);
    line.resize(std::max<size_t>(line.size() + 1, 11), ' ');
    out += line + o.target + "  (" + o.why + ")\n";
  }
  return out;
}

std::optional<std::string> ViewRefusal(const LaunchSpec& spec, const std::string& workspace, const std::string& tmp,
                                       const std::string& trust_store, const ViewInput& in) {
  auto within = [](const std::string& inner, const std::string& outer) { return IsWithin(inner, outer, PathStyle::kPosix); };
  if (!in.home.empty() && workspace == in.home) {
    return std::string{"the workspace is your home directory " + in.home + ", which namespace isolation hides; run exec from "
                  "a project directory (or give --workspace)"};
  }
  for (const auto* list : {&spec.writable, &spec.readable, &spec.read_only}) {
    for (const auto& inner : *list) {
      if (inner == spec.tmp || within(inner, workspace) || (tmp != "/tmp" && within(inner, tmp))) continue;
      for (const char* place : {"/tmp", "/var/tmp", "/run"}) {
        if (within(inner, place)) {
          return std::string{"profile '" + spec.profile + "' names " + inner + ", inside " + place +
                        ", which namespace isolation keeps private (other programs' sockets live there)"};
        }
      }
    }
  }
  for (const auto& w : spec.writable) {
    if (within(trust_store, w)) {
      return std::string{"profile '" + spec.profile + "' makes " + w + " writable, which holds the trust store " + trust_store +
                    ": a sandbox could trust its own profiles"};
    }
  }
  for (const auto& c : spec.read_only) {
    auto t = in.types.find(c);
    if (t != in.types.end() && t->second == PathType::kOther) {
      return std::string{"the read-only path " + c + " is not a file or directory (a symbolic link?); it would not be "
                    "read-only in the sandbox"};
    }
  }
  return std::nullopt;
}

std::optional<std::string> GitdirOfPointer(const std::string& text, const std::string& dir) {
  static constexpr std::string_view kPrefix = "gitdir: ";
  if (text.compare(0, kPrefix.size(), kPrefix) != 0) return std::nullopt;
  std::string target = text.substr(kPrefix.size());
  while (!target.empty() && (target.back() == '\n' || target.back() == '\r')) target.pop_back();
  if (target.empty() || target.find('\n') != std::string::npos || target.find('\0') != std::string::npos) {
    return std::nullopt;
  }
  return NormalizePath(target[0] == '/' ? target : dir + "/" + target, PathStyle::kPosix);
}

std::string QuarantineName(const std::string& path, const std::string& utc_stamp, int n) {
  return path + ".sandboxctl-quarantine-" + utc_stamp + (n > 0 ? "-" + std::to_string(n + 1) : "");
}

}  // namespace sbx
