#include "engine/os_windows/nt_file.h"

#include <winternl.h>

#include <cstddef>
#include <cstdint>
#include <utility>

#include "engine/os_windows/text.h"

// The mingw-w64 winternl.h has FILE_DIRECTORY_INFORMATION but not this call (ntdll).
extern "C" NTSTATUS NTAPI NtQueryDirectoryFile(HANDLE file, HANDLE event, PIO_APC_ROUTINE apc_routine, PVOID apc_context,
                                               PIO_STATUS_BLOCK io_status, PVOID buffer, ULONG length,
                                               FILE_INFORMATION_CLASS information_class, BOOLEAN return_single_entry,
                                               PUNICODE_STRING file_name, BOOLEAN restart_scan);

namespace sbx {
namespace {

constexpr NTSTATUS kStatusNoMoreFiles = static_cast<NTSTATUS>(0x80000006);
constexpr NTSTATUS kStatusObjectNameNotFound = static_cast<NTSTATUS>(0xC0000034);
constexpr NTSTATUS kStatusDeletePending = static_cast<NTSTATUS>(0xC0000056);

// FileDispositionInfoEx (21 in FILE_INFO_BY_HANDLE_CLASS) and its flags, Windows 10 1809
// and later; mingw-w64 declares them only for a _WIN32_WINNT above the one this build
// uses. Its FILE_DISPOSITION_INFO_EX is one DWORD of flags.
constexpr auto kFileDispositionInfoEx = static_cast<FILE_INFO_BY_HANDLE_CLASS>(21);
constexpr DWORD kDispositionDelete = 0x00000001, kDispositionIgnoreReadOnly = 0x00000010;

Error NtFailed(const char* call, const std::string& object, NTSTATUS status) {
  return Win32Failed(call, object, RtlNtStatusToDosError(status));
}

// Whether SetFileInformationByHandle refused an information class it does not know (older
// Windows, Wine) rather than the request.
bool NotSupported(DWORD err) {
  return err == ERROR_INVALID_PARAMETER || err == ERROR_NOT_SUPPORTED || err == ERROR_INVALID_FUNCTION;
}

// Marks the open object for deletion. A read-only attribute (which the sandbox may set)
// does not stop it: FileDispositionInfoEx ignores it where Windows has that flag (the
// attribute stays, on the file's other links too); elsewhere the attribute is cleared
// first, but only on a file with a single link, since it belongs to the file and a hard
// link would carry the change to a name outside the tree.
Result<Ok> DeleteByHandle(HANDLE h, const std::string& shown) {
  DWORD dispose_ex = kDispositionDelete | kDispositionIgnoreReadOnly;
  if (SetFileInformationByHandle(h, kFileDispositionInfoEx, &dispose_ex, sizeof dispose_ex)) return Ok{};
  DWORD err = GetLastError();
  if (!NotSupported(err)) return Win32Failed("SetFileInformationByHandle(FileDispositionInfoEx)", shown, err);
  FILE_DISPOSITION_INFO dispose{TRUE};
  if (SetFileInformationByHandle(h, FileDispositionInfo, &dispose, sizeof dispose)) return Ok{};
  err = GetLastError();
  BY_HANDLE_FILE_INFORMATION info{};
  if (err == ERROR_ACCESS_DENIED && GetFileInformationByHandle(h, &info) &&
      (info.dwFileAttributes & FILE_ATTRIBUTE_READONLY)) {
    if (!(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) && info.nNumberOfLinks != 1) {
      return Error{"host_error", "", shown,
                   "is read-only and has more than one hard link; sandboxctl changes no file that lives elsewhere "
                   "too, so it cannot delete it here"};
    }
    FILE_BASIC_INFO basic{};
    basic.FileAttributes = info.dwFileAttributes & ~FILE_ATTRIBUTE_READONLY;
    if (basic.FileAttributes == 0) basic.FileAttributes = FILE_ATTRIBUTE_NORMAL;
    // Zero times are left as they are.
    if (SetFileInformationByHandle(h, FileBasicInfo, &basic, sizeof basic) &&
        SetFileInformationByHandle(h, FileDispositionInfo, &dispose, sizeof dispose)) {
      return Ok{};
    }
    err = GetLastError();
  }
  return Win32Failed("SetFileInformationByHandle(FileDispositionInfo)", shown, err);
}

// Empties the open directory `dir`, depth first, by handle.
Result<Ok> EmptyDirectory(HANDLE dir, const std::string& shown, int depth) {
  if (depth > 512) return Error{"host_error", "", shown, "is nested more than 512 levels deep"};
  auto entries = ListDirectory(dir, shown);
  if (!entries.ok()) return entries.error();
  for (const auto& e : *entries) {
    const std::string child = shown + "\\" + Utf8(e.name);
    // The right to list only for what was listed as a directory.
    const ACCESS_MASK access = DELETE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES | SYNCHRONIZE |
                               (e.is_directory() ? FILE_LIST_DIRECTORY : 0);
    auto h = OpenChild(dir, e.name, access, child);
    if (!h.ok()) {
      if (h.error().code == "not_found") continue;  // gone meanwhile
      return h.error();
    }
    FILE_BASIC_INFO basic{};
    if (!GetFileInformationByHandleEx(h->get(), FileBasicInfo, &basic, sizeof basic)) {
      return Win32Failed("GetFileInformationByHandleEx", child, GetLastError());
    }
    // A reparse point goes as itself: what it leads to is not sandboxctl's to delete.
    const bool enter = (basic.FileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
                       !(basic.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT);
    if (enter && !e.is_directory()) {
      return Error{"host_error", "", child, "became a directory while sandboxctl removed its parent; remove again"};
    }
    if (enter) {
      if (auto emptied = EmptyDirectory(h->get(), child, depth + 1); !emptied.ok()) return emptied;
    }
    if (auto deleted = DeleteByHandle(h->get(), child); !deleted.ok()) return deleted;
  }
  return Ok{};
}

}  // namespace

OwnedHandle& OwnedHandle::operator=(OwnedHandle&& other) noexcept {
  if (this != &other) {
    Close();
    h_ = std::exchange(other.h_, nullptr);
  }
  return *this;
}

void OwnedHandle::Close() {
  if (h_ != nullptr && h_ != INVALID_HANDLE_VALUE) CloseHandle(h_);
  h_ = nullptr;
}

Result<std::vector<DirectoryEntry>> ListDirectory(HANDLE dir, const std::string& shown) {
  std::vector<ULONGLONG> buffer(64 * 1024 / sizeof(ULONGLONG));  // 8-byte aligned, as the entries are
  const ULONG size = static_cast<ULONG>(buffer.size() * sizeof(ULONGLONG));
  std::vector<DirectoryEntry> out;
  for (BOOLEAN restart = TRUE;; restart = FALSE) {
    IO_STATUS_BLOCK io{};
    const NTSTATUS status = NtQueryDirectoryFile(dir, nullptr, nullptr, nullptr, &io, buffer.data(), size,
                                                 FileDirectoryInformation, FALSE, nullptr, restart);
    if (status == kStatusNoMoreFiles) break;
    if (status < 0) return NtFailed("NtQueryDirectoryFile", shown, status);
    const uint8_t* base = reinterpret_cast<const uint8_t*>(buffer.data());
    const size_t filled = io.Information;
    if (filled == 0) break;
    for (size_t at = 0;;) {
      const size_t name_at = at + offsetof(FILE_DIRECTORY_INFORMATION, FileName);
      if (name_at > filled) return Error{"host_error", "NtQueryDirectoryFile", shown, "an entry runs past the buffer"};
      const auto* info = reinterpret_cast<const FILE_DIRECTORY_INFORMATION*>(base + at);
      if (name_at + info->FileNameLength > filled) {
        return Error{"host_error", "NtQueryDirectoryFile", shown, "a name runs past the buffer"};
      }
      std::wstring name(info->FileName, info->FileNameLength / sizeof(wchar_t));
      if (name != L"." && name != L"..") out.push_back({std::move(name), info->FileAttributes});
      if (info->NextEntryOffset == 0) break;
      at += info->NextEntryOffset;
    }
  }
  return out;
}

Result<OwnedHandle> OpenChild(HANDLE dir, const std::wstring& name, ACCESS_MASK access, const std::string& shown) {
  // One component only: a separator or a stream name would reach past the entry listed.
  if (name.empty() || name.find_first_of(L"\\/:") != std::wstring::npos || name == L"." || name == L"..") {
    return Error{"host_error", "", shown, "is not a plain directory entry"};
  }
  if (name.size() * sizeof(wchar_t) > 0xFFFE) return Error{"host_error", "", shown, "the name is too long"};
  UNICODE_STRING uname;
  uname.Buffer = const_cast<wchar_t*>(name.c_str());
  uname.Length = uname.MaximumLength = static_cast<USHORT>(name.size() * sizeof(wchar_t));
  // No OBJ_CASE_INSENSITIVE: the name is the one listed, and in a case-sensitive
  // directory another entry may differ from it only in case.
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &uname, 0, dir, nullptr);
  IO_STATUS_BLOCK io{};
  HANDLE h = nullptr;
  const NTSTATUS status =
      NtCreateFile(&h, access, &attributes, &io, nullptr, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                   FILE_OPEN, FILE_OPEN_REPARSE_POINT | FILE_OPEN_FOR_BACKUP_INTENT | FILE_SYNCHRONOUS_IO_NONALERT,
                   nullptr, 0);
  // Gone since the listing (the sandbox may be deleting).
  if (status == kStatusObjectNameNotFound || status == kStatusDeletePending) {
    return Error{"not_found", "NtCreateFile", shown, Win32Message(RtlNtStatusToDosError(status))};
  }
  if (status < 0) return NtFailed("NtCreateFile", shown, status);
  return OwnedHandle(h);
}

Result<OwnedHandle> OpenPathNoFollow(const std::string& path, DWORD access) {
  const std::wstring wide = Wide(path);
  OwnedHandle h(CreateFileW(wide.c_str(), access | FILE_READ_ATTRIBUTES,
                            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                            FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
  if (h.get() == INVALID_HANDLE_VALUE) {
    const DWORD err = GetLastError();
    if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND) {
      return Error{"not_found", "CreateFileW", path, Win32Message(err)};
    }
    return Win32Failed("CreateFileW", path, err);
  }
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(h.get(), &info)) return Win32Failed("GetFileInformationByHandle", path, GetLastError());
  if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
    return Error{"host_error", "", path, "is a junction or symbolic link; name the real directory in the profile"};
  }
  // A hard link to a file elsewhere would carry the change there.
  if (!(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) && info.nNumberOfLinks > 1) {
    return Error{"host_error", "", path, "has more than one hard link; sandboxctl changes no file that lives elsewhere too"};
  }
  // The last component is no reparse point; nor may any parent be: what was opened must be
  // the path itself, not what a junction above it leads to.
  std::vector<wchar_t> full(32768), final_path(32768);
  const DWORD n = GetFullPathNameW(wide.c_str(), static_cast<DWORD>(full.size()), full.data(), nullptr);
  if (n == 0 || n >= full.size()) return Win32Failed("GetFullPathNameW", path, n == 0 ? GetLastError() : ERROR_FILENAME_EXCED_RANGE);
  const DWORD m = GetFinalPathNameByHandleW(h.get(), final_path.data(), static_cast<DWORD>(final_path.size()),
                                            FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
  if (m == 0 || m >= final_path.size()) {
    return Win32Failed("GetFinalPathNameByHandleW", path, m == 0 ? GetLastError() : ERROR_FILENAME_EXCED_RANGE);
  }
  std::wstring opened(final_path.data(), m), wanted(full.data(), n);
  if (opened.rfind(L"\\\\?\\UNC\\", 0) == 0) {
    opened = L"\\\\" + opened.substr(8);
  } else if (opened.rfind(L"\\\\?\\", 0) == 0) {
    opened = opened.substr(4);
  }
  while (wanted.size() > 3 && wanted.back() == L'\\') wanted.pop_back();
  if (CompareStringOrdinal(opened.c_str(), static_cast<int>(opened.size()), wanted.c_str(), static_cast<int>(wanted.size()),
                           TRUE) != CSTR_EQUAL) {
    return Error{"host_error", "", path, "passes through a junction or symbolic link (it leads to " + Utf8(opened) +
                                             "); name the real directory in the profile"};
  }
  return h;
}

Result<Ok> RemoveTree(const std::string& path) {
  auto top = OpenPathNoFollow(path, DELETE | FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES | SYNCHRONIZE);
  if (!top.ok()) return top.error().code == "not_found" ? Result<Ok>(Ok{}) : Result<Ok>(top.error());
  FILE_BASIC_INFO basic{};
  if (!GetFileInformationByHandleEx(top->get(), FileBasicInfo, &basic, sizeof basic)) {
    return Win32Failed("GetFileInformationByHandleEx", path, GetLastError());
  }
  if ((basic.FileAttributes & FILE_ATTRIBUTE_DIRECTORY) && !(basic.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
    if (auto emptied = EmptyDirectory(top->get(), path, 0); !emptied.ok()) return emptied;
  }
  return DeleteByHandle(top->get(), path);
}

}  // namespace sbx
