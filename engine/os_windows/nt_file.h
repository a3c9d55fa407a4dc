// Walking a directory tree the sandbox may write, as an administrator, without being led
// out of it: every entry is opened relative to its parent's handle (NtCreateFile with a
// RootDirectory), never by a full path, and with FILE_OPEN_REPARSE_POINT, so a junction
// or symbolic link is opened as itself. Windows only.
#pragma once

#include <windows.h>

#include <string>
#include <vector>

#include "engine/core/result.h"
#include "engine/reconcile/host.h"

namespace sbx {

// Closes the handle it holds when it goes.
class OwnedHandle {
 public:
  OwnedHandle() = default;
  explicit OwnedHandle(HANDLE h) : h_(h) {}
  OwnedHandle(OwnedHandle&& other) noexcept : h_(other.h_) { other.h_ = nullptr; }
  OwnedHandle& operator=(OwnedHandle&& other) noexcept;
  OwnedHandle(const OwnedHandle&) = delete;
  OwnedHandle& operator=(const OwnedHandle&) = delete;
  ~OwnedHandle() { Close(); }
  HANDLE get() const { return h_; }

 private:
  void Close();
  HANDLE h_ = nullptr;
};

struct DirectoryEntry {
  std::wstring name;
  DWORD attributes = 0;  // as listed; check again on the opened handle
  bool is_directory() const { return (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0; }
};

// Every entry of the open directory `dir` but "." and "..", read through its handle (dir
// needs FILE_LIST_DIRECTORY and synchronous I/O); `shown` names it in errors.
Result<std::vector<DirectoryEntry>> ListDirectory(HANDLE dir, const std::string& shown);

// Opens `name` (one component, as listed: matched exactly) in the open directory `dir`,
// as itself even when it is a reparse point. `shown` names it in errors; code "not_found"
// when it is gone since the listing (no longer there, or being deleted).
Result<OwnedHandle> OpenChild(HANDLE dir, const std::wstring& name, ACCESS_MASK access, const std::string& shown);

// Opens `path` itself (CreateFileW with FILE_FLAG_OPEN_REPARSE_POINT and backup semantics,
// so a directory opens too) with `access` (FILE_READ_ATTRIBUTES is added), shared for
// reading, writing and deletion, and refuses it, closing the handle, when
//   * it is a junction, symbolic link or other reparse point;
//   * it is a file with more than one hard link (a change through it would reach a file
//     that lives elsewhere too);
//   * a parent is a junction or symbolic link: the handle's final path
//     (GetFinalPathNameByHandleW) must be the full path of `path`, compared without
//     regard to case.
// Errors name `path`; code "not_found" when it (ERROR_FILE_NOT_FOUND) or a parent
// (ERROR_PATH_NOT_FOUND) is not there, "permission_denied" when access is denied,
// "host_error" otherwise (a refusal above included).
Result<OwnedHandle> OpenPathNoFollow(const std::string& path, DWORD access);

// Removes the directory `path` and everything in it. `path` is opened with
// OpenPathNoFollow, so it is refused when it or a parent is a junction or symbolic link;
// a missing `path` is already removed. Reparse points inside are removed as links, never
// followed; the walk goes by handle from `path` down. A read-only file is made writable
// to be deleted only when it has a single link (the attribute belongs to the file, which
// another link would keep); a read-only file with several links is an error naming it.
Result<Ok> RemoveTree(const std::string& path);

}  // namespace sbx
