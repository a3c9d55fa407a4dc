// The filesystem a command sees in namespace isolation, as data: an ordered list of
// small mount operations, built here from the launch spec and facts about the host, then
// carried out one by one in the command's own mount namespace (os_linux/launch.cc). Pure:
// no system calls, so the view can be printed (`exec --verbose`) and tested.
//
// The command runs as the developer there, so file permissions protect nothing of theirs;
// the view hides what the profile does not name, the way a container does:
//
//   /                 the host's tree, recursively read-only, nosuid, nodev
//   /tmp /var/tmp     empty, private, writable (tmpfs): no one's sockets (tmux, ssh-agent,
//                     screen, X11) and nothing another run left; the run's ${tmp} in /tmp
//   /run              empty (tmpfs, read-only): the user's runtime directory, the session
//                     bus, docker's and libvirt's sockets are not there
//   /dev              private: null zero full random urandom tty, a new devpts instance
//                     for ptmx (no other terminal of the host), /dev/shm private
//   /proc             a fresh instance for the command's PID namespace (mounted by its
//                     process 1, after this list)
//   $HOME             empty (tmpfs, read-only) but for what is bound back below
//   then, outer paths first: readable roots and the command itself read-only where they lie
//   in a hidden place, writable roots read-write, the directories between a writable root
//   and a carve-out inside it bound onto themselves (so that none can be renamed away),
//   read-only carve-outs, and deny-read paths covered by an empty read-only object.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/plan/plan.h"

namespace sbx {

enum class MountKind {
  kTmpfs,         // a new empty tmpfs; writable (and open to Landlock writes) unless read_only
  kDev,           // a private /dev: tmpfs with the host's harmless devices, devpts, shm
  kBindReadOnly,  // the host's `source` tree, read-only
  kBindWritable,  // the host's `source` tree, writable (nosuid, nodev)
  kCover,         // an empty read-only directory or file over a deny-read path
};

// What a path is on the host (lstat): binds and covers need to know.
enum class PathType { kMissing, kDirectory, kFile, kOther };

struct MountOp {
  MountKind kind = MountKind::kTmpfs;
  std::string target;       // absolute, as the command sees it
  std::string source;       // binds: the host path (the same as target)
  bool directory = true;    // binds and covers: a directory, or a single file
  bool read_only = false;   // tmpfs: mounted read-only
  std::string why;          // for --verbose and errors: "writable root", "carve-out", ...

  bool operator==(const MountOp&) const = default;
};

struct ViewInput {
  std::vector<std::string> writable, read_only, readable, deny_read;  // as the launch has them
  std::vector<std::string> visible;  // also read-only where hidden: the executable, resolv.conf's target
  std::vector<std::string> cover;    // hidden as deny-read paths are: what a group grants, agent sockets outside /run and /tmp
  std::string home;                  // the invoking user's home: hidden ("" or "/": nothing hidden)
  std::string scratch;               // the run's ${tmp}, an empty writable tmpfs inside /tmp ("": none)
  std::map<std::string, PathType> types;  // lstat of every path above; absent = kMissing
};

// The operations, in the order they are carried out. Paths are normal absolute paths.
std::vector<MountOp> PlanView(const ViewInput& in);

// One line per operation, as `exec --verbose` prints them ("tmpfs /tmp (private /tmp)").
std::string RenderView(const std::vector<MountOp>& ops);

// Why a profile may not run in namespace isolation's view, or nullopt: a place the view
// keeps private brought back (a root in /tmp, /var/tmp or /run other than the workspace
// and ${tmp}: it could be the developer's tmux or X11 socket directory), the whole home as
// the workspace, a carve-out that is a link or other non-file (it would not be read-only),
// a writable root that holds the trust store. `tmp` is the run's ${tmp} in the view, `in`
// what the view is built from.
std::optional<std::string> ViewRefusal(const LaunchSpec& spec, const std::string& workspace, const std::string& tmp,
                                       const std::string& trust_store, const ViewInput& in);

// The git directory a `.git` file in `dir` points to (a worktree's or a submodule's
// "gitdir: PATH" line, PATH relative to `dir` or absolute), as a normal absolute path;
// nullopt for anything else. `dir` is a normal absolute path.
std::optional<std::string> GitdirOfPointer(const std::string& text, const std::string& dir);

// Where a carve-out the command created is moved when it ends: beside it, under a name
// no tool looks for ("/w/.git" -> "/w/.git.sandboxctl-quarantine-20261208T101500Z"; `n`
// > 0 when that name is taken: "...Z-2").
std::string QuarantineName(const std::string& path, const std::string& utc_stamp, int n);

}  // namespace sbx
