// Facts about files that only the operating system can tell, implemented per OS
// (engine/os_*/file_facts.cc, one small library each, so the profile loader can ask them).
#pragma once

#include <filesystem>

namespace sbx {

// Whether users other than the owner (and administrators) may create or change entries
// of the directory: on Linux write permission for others; on Windows an ACE that lets
// Everyone, Authenticated Users, Users or INTERACTIVE write. Unknown counts as yes.
bool OthersMayWrite(const std::filesystem::path& dir);

// Whether `path` itself is a symbolic link (on Windows any reparse point: a symbolic
// link, a junction, a mount point), whatever it points to.
bool IsLink(const std::filesystem::path& path);

}  // namespace sbx
