// Small file helpers shared by the Linux host's resources.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <sys/stat.h>

#include <sys/types.h>

#include "engine/core/result.h"
#include "engine/reconcile/host.h"

namespace sbx {

// The whole content of `path`, never through a symbolic link at its last component;
// nullopt if it cannot be opened or read.
std::optional<std::string> ReadFileNoFollow(const std::filesystem::path& path);

// Writes `text` as `path`, owned by root and `gid`, with `mode`, then the file
// capabilities `caps` (cap_from_text form) if given, through a new file renamed into
// place: a reader never sees half a file.
Result<Ok> WriteFileReplacing(const std::filesystem::path& path, const std::string& text, gid_t gid, mode_t mode,
                              const char* caps);

// Writes `text` as `path` for whoever runs this (a status file a caller asked for, in a
// directory a sandbox may write): a new file made in the directory, which is opened with
// no symbolic link anywhere on the way, then renamed over whatever `path` is. Never opens
// what is there, so a FIFO or a device planted at `path` neither blocks nor is written;
// a directory there is an error. Errors name the call and the path.
Result<Ok> WriteOwnFileReplacing(const std::string& path, const std::string& text, mode_t mode);

// Walks the tree below the directory `fd` (not `fd` itself), depth first, never following
// a symbolic link and holding two descriptors at most whatever the depth: it goes back up
// through "..", checking that each parent is the directory it came down from (else the
// tree was moved meanwhile: an error with code "changed"; an entry that is gone or no
// longer a directory when it is entered is passed over). `visit` sees every entry (the descriptor of its
// directory, its name, its lstat, its path for messages) and returns whether to go into
// it, for a directory; `leave` is called from the parent once a directory's entries are
// done (post-order). `path` names `fd` in messages.
using TreeVisit = std::function<Result<bool>(int dirfd, const std::string& name, const struct stat& st,
                                             const std::string& path)>;
using TreeLeave = std::function<Result<Ok>(int dirfd, const std::string& name, const std::string& path)>;
Result<Ok> WalkTree(int fd, const std::string& path, const TreeVisit& visit, const TreeLeave& leave);

}  // namespace sbx
