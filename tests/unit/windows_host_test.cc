// Windows only: the pure Windows code against the Windows API itself (under Wine, which
// implements these parts faithfully).
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>
#include <shellapi.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "engine/os_windows/accounts.h"
#include "engine/os_windows/acl_model.h"
#include "engine/os_windows/command_line.h"
#include "engine/os_windows/nt_file.h"
#include "engine/os_windows/ntfs_acl.h"
#include "engine/os_windows/secrets.h"
#include "engine/os_windows/sid.h"
#include "engine/os_windows/text.h"

namespace sbx {
namespace {

std::vector<std::string> SplitByWindows(const std::string& command_line) {
  int argc = 0;
  // CommandLineToArgvW treats the program name apart: a dummy one goes first.
  wchar_t** argv = CommandLineToArgvW(Wide("prog.exe " + command_line).c_str(), &argc);
  std::vector<std::string> out;
  for (int i = 1; argv && i < argc; ++i) out.push_back(Utf8(argv[i]));
  LocalFree(argv);
  return out;
}

TEST(WindowsCommandLine, CommandLineToArgvWGivesBackEveryArgument) {
  const std::vector<std::string> args{"plain", "", "two words", "tab\there", "quote\"inside", "trailing\\",
                                      "C:\\dir with space\\", "a\\\\\"b", "\\\"", "unicode \xc3\xa9t\xc3\xa9"};
  std::vector<std::string> argv{"prog.exe"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto line = WindowsCommandLine(argv);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(SplitByWindows(line->substr(std::string("prog.exe ").size())), args);
}

TEST(WindowsSid, ConvertStringSidToSidAgrees) {
  for (const char* text : {"S-1-5-32-544", "S-1-5-21-1004336348-1177238915-682003330-512", "S-1-1-0"}) {
    PSID psid = nullptr;
    ASSERT_TRUE(ConvertStringSidToSidA(text, &psid)) << text;
    auto ours = ParseSid(text);
    ASSERT_TRUE(ours.ok());
    const auto bytes = SidBytes(*ours);
    ASSERT_EQ(GetLengthSid(psid), bytes.size());
    EXPECT_EQ(std::memcmp(psid, bytes.data(), bytes.size()), 0) << text;
    LocalFree(psid);
  }
}

TEST(WindowsSecrets, ProtectedPasswordsComeBackOnlyWithTheirLabel) {
  auto password = GeneratePassword();
  ASSERT_TRUE(password.ok()) << password.error().Render();
  EXPECT_EQ(password->size(), 36u);
  auto other = GeneratePassword();
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*password, *other);
  for (bool machine : {false, true}) {
    auto blob = ProtectSecret(*password, "user:sbx-offline", machine);
    ASSERT_TRUE(blob.ok()) << blob.error().Render();
    EXPECT_EQ(std::string(blob->begin(), blob->end()).find(*password), std::string::npos);  // not in the clear
    auto back = UnprotectSecret(*blob, "user:sbx-offline");
    ASSERT_TRUE(back.ok()) << back.error().Render();
    EXPECT_EQ(*back, *password);
    EXPECT_FALSE(UnprotectSecret(*blob, "user:sbx-other").ok());
    std::vector<uint8_t> tampered = *blob;
    tampered[tampered.size() / 2] ^= 0x01;
    EXPECT_FALSE(UnprotectSecret(tampered, "user:sbx-offline").ok());
  }
}

// The binary ACLs of the model are the ones Windows builds itself.
TEST(WindowsAcl, AclToBytesMatchesAddAccessAceEx) {
  const uint32_t random[4] = {1, 2, 3, 4};
  const Sid cap = CapabilitySid(random);
  const std::vector<Ace> aces{Ace{false, ntfs::kObjectInherit | ntfs::kContainerInherit, ntfs::kDenyWriteMask, cap, {}},
                              Ace{true, 0, ntfs::kModifyMask, AdministratorsSid(), {}}};
  const std::vector<uint8_t> ours = *AclToBytes(aces);
  std::vector<uint8_t> theirs(ours.size());
  ASSERT_TRUE(InitializeAcl(reinterpret_cast<PACL>(theirs.data()), static_cast<DWORD>(theirs.size()), ACL_REVISION));
  std::vector<uint8_t> cap_bytes = SidBytes(cap), admin_bytes = SidBytes(AdministratorsSid());
  ASSERT_TRUE(AddAccessDeniedAceEx(reinterpret_cast<PACL>(theirs.data()), ACL_REVISION, OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE,
                                   ntfs::kDenyWriteMask, cap_bytes.data()));
  ASSERT_TRUE(AddAccessAllowedAceEx(reinterpret_cast<PACL>(theirs.data()), ACL_REVISION, 0, ntfs::kModifyMask,
                                    admin_bytes.data()));
  EXPECT_EQ(ours, theirs);
  auto back = AclFromBytes(theirs.data(), theirs.size());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, aces);
}

// sandboxctl's ACEs go into a directory's DACL once, the next apply writes nothing, and
// destroy puts back exactly the DACL there was. Real Windows only: Wine keeps no DACL.
TEST(WindowsAcl, EnsureAcesIsIdempotentAndRestoreIsExact) {
  wchar_t temp[MAX_PATH];
  ASSERT_GT(GetTempPathW(MAX_PATH, temp), 0u);
  const std::string dir = Utf8(temp) + "sandboxctl-acl-test-" + std::to_string(GetCurrentProcessId());
  ASSERT_TRUE(CreateDirectoryW(Wide(dir).c_str(), nullptr));
  auto before = ReadDacl(dir);
  ASSERT_TRUE(before.ok()) << before.error().Render();
  const uint32_t random[4] = {5, 6, 7, 8};
  const std::vector<Ace> wanted{
      Ace{true, ntfs::kObjectInherit | ntfs::kContainerInherit, ntfs::kModifyMask, CapabilitySid(random), {}}};
  bool changed = false;
  auto prior = EnsureAces(dir, wanted, &changed);
  ASSERT_TRUE(prior.ok()) << prior.error().Render();
  EXPECT_TRUE(changed);
  EXPECT_EQ(prior->sddl, before->sddl);
  auto after = ReadDacl(dir);
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->sddl.find(FormatSid(CapabilitySid(random))), std::string::npos) << after->sddl;
  ASSERT_TRUE(EnsureAces(dir, wanted, &changed).ok());
  EXPECT_FALSE(changed);
  ASSERT_TRUE(RestoreDacl(dir, prior->sddl).ok());
  auto restored = ReadDacl(dir);
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->sddl, before->sddl);
  RemoveDirectoryW(Wide(dir).c_str());
}

// A real account: made, found with its SID, refused a second time, removed. Real Windows
// as an administrator only (Wine's account database is a stub).
TEST(WindowsAccounts, SandboxUsersAreMadeFoundAndRemoved) {
  auto random = SystemRandomBytes(3);
  ASSERT_TRUE(random.ok());
  const std::string name = "sbxt-" + std::to_string((*random)[0]) + std::to_string((*random)[1]);
  auto password = GeneratePassword();
  ASSERT_TRUE(password.ok());
  auto made = CreateSandboxUser(name, *password);
  ASSERT_TRUE(made.ok()) << made.error().Render();
  auto found = LookupLocalUser(name);
  // cppcheck-suppress knownConditionTrueFalse ; the message is made only when the assertion fails
  ASSERT_TRUE(found.ok() && *found) << (found.ok() ? "not found" : found.error().Render());
  EXPECT_EQ((*found)->sid, made->sid);
  EXPECT_EQ(made->sid.subauthorities.front(), 21u);  // a machine account, S-1-5-21-...
  auto again = CreateSandboxUser(name, *password);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "exists");
  EXPECT_TRUE(SetSandboxUserPassword(name, *GeneratePassword()).ok());
  ASSERT_TRUE(DeleteSandboxUser(name).ok());
  auto gone = LookupLocalUser(name);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(*gone);
}

// The model's write-restricted access check against Windows' own: a security descriptor
// granting this process's user everything and a capability SID nothing, checked with
// AccessCheck for a write-restricted copy of this process's token restricted to that
// capability. Real Windows only: Wine's AccessCheck knows no restricted tokens.
TEST(WindowsRestrictedToken, AccessCheckAgreesWithTheModel) {
  HANDLE process_token = nullptr;
  ASSERT_TRUE(OpenProcessToken(GetCurrentProcess(), TOKEN_DUPLICATE | TOKEN_QUERY, &process_token));
  std::vector<BYTE> user_buf(256);
  DWORD needed = 0;
  ASSERT_TRUE(GetTokenInformation(process_token, TokenUser, user_buf.data(), static_cast<DWORD>(user_buf.size()), &needed));
  const PSID user = reinterpret_cast<TOKEN_USER*>(user_buf.data())->User.Sid;
  const uint32_t random[4] = {11, 22, 33, 44};
  std::vector<uint8_t> cap = SidBytes(CapabilitySid(random));
  SID_AND_ATTRIBUTES restricting{cap.data(), 0};
  HANDLE restricted = nullptr;
  ASSERT_TRUE(CreateRestrictedToken(process_token, WRITE_RESTRICTED, 0, nullptr, 0, nullptr, 1, &restricting, &restricted));
  HANDLE impersonation = nullptr;
  ASSERT_TRUE(DuplicateToken(restricted, SecurityImpersonation, &impersonation));

  LPSTR user_text = nullptr;
  ASSERT_TRUE(ConvertSidToStringSidA(user, &user_text));
  const std::string sddl = std::string("O:") + user_text + "G:" + user_text + "D:(A;;FA;;;" + user_text + ")";
  LocalFree(user_text);
  PSECURITY_DESCRIPTOR sd = nullptr;
  ASSERT_TRUE(ConvertStringSecurityDescriptorToSecurityDescriptorA(sddl.c_str(), SDDL_REVISION_1, &sd, nullptr));
  GENERIC_MAPPING mapping{FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE, FILE_ALL_ACCESS};
  auto granted = [&](DWORD desired) {
    PRIVILEGE_SET privileges{};
    DWORD privileges_size = sizeof privileges, access = 0;
    BOOL status = FALSE;
    EXPECT_TRUE(AccessCheck(sd, impersonation, desired, &mapping, &privileges, &privileges_size, &access, &status));
    return status == TRUE;
  };
  const Sid me = *SidFromBytes(static_cast<const uint8_t*>(user), GetLengthSid(user));
  const Dacl model = std::vector<Ace>{Ace{true, 0, ntfs::kFullControl, me, {}}};
  for (DWORD desired : {DWORD{FILE_READ_DATA}, DWORD{FILE_WRITE_DATA}, DWORD{FILE_APPEND_DATA}, DWORD{DELETE},
                        DWORD{WRITE_DAC}, DWORD{FILE_READ_DATA | SYNCHRONIZE}}) {
    EXPECT_EQ(granted(desired), RestrictedAccessGranted(model, {me}, {CapabilitySid(random)}, desired))
        << "desired access 0x" << std::hex << desired;
  }
  LocalFree(sd);
  CloseHandle(impersonation);
  CloseHandle(restricted);
  CloseHandle(process_token);
}

// --- DACLs of whole trees ---------------------------------------------------------------

// A directory under the temp directory that is gone again when the test ends, however it
// ends: removed depth first, links removed as links (their targets are not entered).
class TempDir {
 public:
  explicit TempDir(const std::string& label) {
    static int serial = 0;
    wchar_t temp[MAX_PATH];
    const DWORD n = GetTempPathW(MAX_PATH, temp);
    path_ = Utf8(std::wstring(temp, n)) + "sandboxctl-" + label + "-" + std::to_string(GetCurrentProcessId()) + "-" +
            std::to_string(++serial);
    made_ = CreateDirectoryW(Wide(path_).c_str(), nullptr) != 0;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    if (made_) Remove(Wide(path_));
  }
  bool made() const { return made_; }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "\\" + name; }

 private:
  static void Remove(const std::wstring& dir) {
    WIN32_FIND_DATAW found;
    HANDLE h = FindFirstFileW((dir + L"\\*").c_str(), &found);
    if (h != INVALID_HANDLE_VALUE) {
      do {
        const std::wstring name = found.cFileName;
        if (name == L"." || name == L"..") continue;
        const std::wstring child = dir + L"\\" + name;
        const DWORD attributes = found.dwFileAttributes;
        if (attributes & FILE_ATTRIBUTE_DIRECTORY) {
          if (!(attributes & FILE_ATTRIBUTE_REPARSE_POINT)) Remove(child);
          else RemoveDirectoryW(child.c_str());  // the link, not what it leads to
        } else {
          SetFileAttributesW(child.c_str(), FILE_ATTRIBUTE_NORMAL);
          DeleteFileW(child.c_str());
        }
      } while (FindNextFileW(h, &found));
      FindClose(h);
    }
    RemoveDirectoryW(dir.c_str());
  }

  std::string path_;
  bool made_ = false;
};

bool MakeDir(const std::string& path) { return CreateDirectoryW(Wide(path).c_str(), nullptr) != 0; }

bool MakeFile(const std::string& path) {
  HANDLE h = CreateFileW(Wide(path).c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return false;
  CloseHandle(h);
  return true;
}

// Nothing there any more: not even an entry being deleted (that would be access denied).
bool Gone(const std::string& path) {
  return GetFileAttributesW(Wide(path).c_str()) == INVALID_FILE_ATTRIBUTES && GetLastError() == ERROR_FILE_NOT_FOUND;
}

bool Exists(const std::string& path) { return GetFileAttributesW(Wide(path).c_str()) != INVALID_FILE_ATTRIBUTES; }

// The progress a walk reports: every call's count.
struct ProgressLog {
  std::vector<size_t> calls;
  TreeProgress Callback() {
    return [this](size_t done) { calls.push_back(done); };
  }
};

const uint32_t kTreeRandom[4] = {1, 2, 3, 4};

// The walk itself: what Wine runs faithfully (it opens relative to a handle and lists
// directories as Windows does; the DACLs it keeps are not checked here).
TEST(WindowsTreeWalk, ReachesEveryObjectAndReportsProgress) {
  TempDir root("tree-walk");
  ASSERT_TRUE(root.made());
  ASSERT_TRUE(MakeDir(root / "a"));
  ASSERT_TRUE(MakeDir(root / "a\\b"));
  ASSERT_TRUE(MakeDir(root / "empty"));
  ASSERT_TRUE(MakeFile(root / "a\\b\\deep.txt"));
  ASSERT_TRUE(MakeFile(root / "a\\mid.txt"));
  ASSERT_TRUE(MakeFile(root / "top \xc3\xa9t\xc3\xa9.txt"));  // not only ASCII names
  size_t made = 6;
  for (int i = 0; i < 300; ++i, ++made) ASSERT_TRUE(MakeFile(root / ("a\\b\\many-" + std::to_string(i))));
  auto before = ReadDacl(root.path());
  ASSERT_TRUE(before.ok()) << before.error().Render();
  ProgressLog log;
  ASSERT_TRUE(RestoreDaclOnTree(root.path(), before->sddl, log.Callback()).ok());
  // Every 256 objects, then the whole count: the root and everything made below it.
  EXPECT_EQ(log.calls, (std::vector<size_t>{256, made + 1}));
  ProgressLog again;
  bool changed = false;
  auto prior = EnsureAcesOnTree(root.path(), {Ace{true, ntfs::kObjectInherit | ntfs::kContainerInherit, ntfs::kModifyMask,
                                                  CapabilitySid(kTreeRandom), {}}},
                                &changed, again.Callback());
  ASSERT_TRUE(prior.ok()) << prior.error().Render();
  EXPECT_EQ(again.calls, (std::vector<size_t>{256, made + 1}));
}

TEST(WindowsTreeWalk, AMissingRootIsNamedInTheError) {
  TempDir root("tree-missing");
  ASSERT_TRUE(root.made());
  const std::string missing = root / "no-such-dir";
  bool changed = true;
  auto ensured = EnsureAcesOnTree(missing, {}, &changed, nullptr);
  ASSERT_FALSE(ensured.ok());
  EXPECT_EQ(ensured.error().call, "CreateFileW");
  EXPECT_EQ(ensured.error().object, missing);
  EXPECT_FALSE(changed);
  auto restored = RestoreDaclOnTree(missing, "D:(A;;FA;;;SY)", nullptr);
  ASSERT_FALSE(restored.ok());
  EXPECT_EQ(restored.error().object, missing);
  // A recorded descriptor without a DACL part is refused before anything is opened.
  auto no_dacl = RestoreDaclOnTree(root.path(), "O:SY", nullptr);
  ASSERT_FALSE(no_dacl.ok());
  EXPECT_EQ(no_dacl.error().code, "invalid_state");
}

// --- Opening a path itself ----------------------------------------------------------------

TEST(WindowsOpenPath, AMissingPathOrParentIsNotFound) {
  TempDir holder("open-missing");
  ASSERT_TRUE(holder.made());
  for (const std::string& missing : {holder / "no-such-file", holder / "no-such-dir\\below"}) {
    auto opened = OpenPathNoFollow(missing, READ_CONTROL);
    ASSERT_FALSE(opened.ok()) << missing;
    EXPECT_EQ(opened.error().code, "not_found") << missing;
    EXPECT_EQ(opened.error().object, missing);
  }
}

TEST(WindowsOpenPath, OpensADirectoryAndAFileButNotAFileWithAnotherHardLink) {
  TempDir holder("open-links");
  ASSERT_TRUE(holder.made());
  ASSERT_TRUE(MakeFile(holder / "single.txt"));
  ASSERT_TRUE(MakeFile(holder / "linked.txt"));
  ASSERT_TRUE(CreateHardLinkW(Wide(holder / "second.txt").c_str(), Wide(holder / "linked.txt").c_str(), nullptr))
      << GetLastError();
  for (const std::string& path : {holder.path(), holder / "single.txt"}) {
    auto opened = OpenPathNoFollow(path, READ_CONTROL);
    EXPECT_TRUE(opened.ok()) << opened.error().Render();
  }
  auto refused = OpenPathNoFollow(holder / "linked.txt", READ_CONTROL);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().Render(),
            (holder / "linked.txt") + ": has more than one hard link; sandboxctl changes no file that lives elsewhere too");
}

// --- Removing trees -----------------------------------------------------------------------

// Each test removes a directory inside a TempDir, which cleans up whatever is left.
TEST(WindowsRemoveTree, RemovesNestedDirectoriesAndFilesReadOnlyOnesToo) {
  TempDir holder("remove-tree");
  ASSERT_TRUE(holder.made());
  const std::string tree = holder / "tree";
  ASSERT_TRUE(MakeDir(tree));
  for (const char* dir : {"a", "a\\b", "a\\b\\c", "empty"}) ASSERT_TRUE(MakeDir(tree + "\\" + dir));
  for (const char* file : {"top.txt", "a\\mid.txt", "a\\b\\c\\deep.txt", "a\\b\\read-only.txt",
                           "a\\\xc3\xa9t\xc3\xa9.txt"}) {
    ASSERT_TRUE(MakeFile(tree + "\\" + file)) << file;
  }
  const std::wstring read_only = Wide(tree + "\\a\\b\\read-only.txt");
  ASSERT_TRUE(SetFileAttributesW(read_only.c_str(), FILE_ATTRIBUTE_READONLY));
  ASSERT_EQ(GetFileAttributesW(read_only.c_str()) & FILE_ATTRIBUTE_READONLY, DWORD{FILE_ATTRIBUTE_READONLY});
  auto removed = RemoveTree(tree);
  ASSERT_TRUE(removed.ok()) << removed.error().Render();
  EXPECT_TRUE(Gone(tree));
  EXPECT_TRUE(Exists(holder.path()));
}

// More entries than one NtQueryDirectoryFile call returns (its buffer is 64 KiB).
TEST(WindowsRemoveTree, RemovesADirectoryListedInSeveralCalls) {
  TempDir holder("remove-large");
  ASSERT_TRUE(holder.made());
  const std::string tree = holder / "tree";
  ASSERT_TRUE(MakeDir(tree));
  const std::string long_name(60, 'n');
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(MakeFile(tree + "\\" + long_name + std::to_string(i)));
  auto removed = RemoveTree(tree);
  ASSERT_TRUE(removed.ok()) << removed.error().Render();
  EXPECT_TRUE(Gone(tree));
}

TEST(WindowsRemoveTree, AMissingPathIsAlreadyRemoved) {
  TempDir holder("remove-missing");
  ASSERT_TRUE(holder.made());
  for (const std::string& missing : {holder / "no-such-dir", holder / "no-such-dir\\below"}) {
    auto removed = RemoveTree(missing);
    EXPECT_TRUE(removed.ok()) << missing << ": " << removed.error().Render();
  }
  EXPECT_TRUE(Exists(holder.path()));
}

// The read-only attribute belongs to the file, which a hard link outside the tree shares:
// removing the tree's link must not make the file outside writable. (Where Windows can
// delete a read-only file as it is, the link goes; elsewhere the error names it.)
TEST(WindowsRemoveTree, NeverClearsTheReadOnlyAttributeOfAFileLinkedFromOutside) {
  TempDir holder("remove-linked");
  ASSERT_TRUE(holder.made());
  const std::string tree = holder / "tree", outside = holder / "outside.txt";
  ASSERT_TRUE(MakeDir(tree));
  ASSERT_TRUE(MakeFile(outside));
  ASSERT_TRUE(CreateHardLinkW(Wide(tree + "\\link.txt").c_str(), Wide(outside).c_str(), nullptr)) << GetLastError();
  ASSERT_TRUE(SetFileAttributesW(Wide(outside).c_str(), FILE_ATTRIBUTE_READONLY));
  auto removed = RemoveTree(tree);
  if (removed.ok()) {
    EXPECT_TRUE(Gone(tree));
  } else {
    EXPECT_EQ(removed.error().object, tree + "\\link.txt") << removed.error().Render();
  }
  const DWORD attributes = GetFileAttributesW(Wide(outside).c_str());
  ASSERT_NE(attributes, INVALID_FILE_ATTRIBUTES);
  EXPECT_EQ(attributes & FILE_ATTRIBUTE_READONLY, DWORD{FILE_ATTRIBUTE_READONLY});
  SetFileAttributesW(Wide(outside).c_str(), FILE_ATTRIBUTE_NORMAL);  // for TempDir to remove it
}

// A tree as apply meets it, with a hard link to a file outside it and a directory
// symbolic link to a directory outside it. Real Windows as an administrator only: Wine
// keeps no DACL set on a file and makes no symbolic links.
class WindowsAclTree : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(root_.made());
    ASSERT_TRUE(outside_.made());
    for (const char* dir : {"d1", "d1\\d2"}) ASSERT_TRUE(MakeDir(root_ / dir));
    for (const char* file : {"f1", "d1\\f2", "d1\\d2\\f3"}) ASSERT_TRUE(MakeFile(root_ / file));
    ASSERT_TRUE(MakeFile(outside_ / "linked.txt"));
    ASSERT_TRUE(CreateHardLinkW(Wide(root_ / "hardlink.txt").c_str(), Wide(outside_ / "linked.txt").c_str(), nullptr));
    ASSERT_TRUE(MakeDir(outside_ / "target"));
    ASSERT_TRUE(MakeFile(outside_ / "target\\inner.txt"));
    ASSERT_TRUE(CreateSymbolicLinkW(Wide(root_ / "link").c_str(), Wide(outside_ / "target").c_str(),
                                    SYMBOLIC_LINK_FLAG_DIRECTORY))
        << "CreateSymbolicLinkW: " << GetLastError();
    before_ = Snapshot();
  }

  // The SDDL of every object this test looks at (the link itself is no object ReadDacl
  // reads: it refuses reparse points).
  std::map<std::string, std::string> Snapshot() const {
    std::map<std::string, std::string> out;
    for (const std::string& path : Inside()) out[path] = Sddl(path);
    for (const std::string& path : Outside()) out[path] = Sddl(path);
    return out;
  }
  std::vector<std::string> Inside() const {
    return {root_ / "d1", root_ / "d1\\d2", root_ / "f1", root_ / "d1\\f2", root_ / "d1\\d2\\f3"};
  }
  std::vector<std::string> Outside() const {
    return {root_.path(), outside_.path(), outside_ / "linked.txt", outside_ / "target", outside_ / "target\\inner.txt"};
  }
  std::string Sddl(const std::string& path) const {
    // ReadDacl refuses a file with two links; the test reads that one by name.
    if (path == outside_ / "linked.txt") {
      PSECURITY_DESCRIPTOR sd = nullptr;
      std::wstring wide = Wide(path);
      if (GetNamedSecurityInfoW(wide.data(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr, nullptr,
                                nullptr, &sd) != ERROR_SUCCESS) {
        ADD_FAILURE() << "GetNamedSecurityInfoW(" << path << ")";
        return "(unreadable)";
      }
      wchar_t* text = nullptr;
      const bool converted = ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1,
                                                                                 DACL_SECURITY_INFORMATION, &text, nullptr);
      LocalFree(sd);
      EXPECT_TRUE(converted) << path;
      const std::string out = converted ? Utf8(text) : "(unreadable)";
      LocalFree(text);
      return out;
    }
    auto state = ReadDacl(path);
    EXPECT_TRUE(state.ok()) << state.error().Render();
    return state.ok() ? state->sddl : "(unreadable)";
  }

  const Ace wanted_{true, ntfs::kObjectInherit | ntfs::kContainerInherit, ntfs::kModifyMask, CapabilitySid(kTreeRandom), {}};
  TempDir root_{"acl-tree"};
  TempDir outside_{"acl-tree-outside"};
  std::map<std::string, std::string> before_;
};

TEST_F(WindowsAclTree, InheritableAcesReachEverythingBelowAndASecondApplyWritesNothing) {
  bool changed = false;
  ProgressLog log;
  auto prior = EnsureAcesOnTree(root_.path(), {wanted_}, &changed, log.Callback());
  ASSERT_TRUE(prior.ok()) << prior.error().Render();
  EXPECT_TRUE(changed);
  EXPECT_EQ(prior->sddl, before_[root_.path()]);
  EXPECT_EQ(log.calls, (std::vector<size_t>{8}));  // the root, 5 objects, the hard link, the link
  auto root = ReadDacl(root_.path());
  ASSERT_TRUE(root.ok());
  ASSERT_TRUE(root->dacl);
  EXPECT_NE(std::find(root->dacl->begin(), root->dacl->end(), wanted_), root->dacl->end()) << root->sddl;
  for (const std::string& path : Inside()) {
    auto state = ReadDacl(path);
    ASSERT_TRUE(state.ok()) << state.error().Render();
    const bool is_dir = (GetFileAttributesW(Wide(path).c_str()) & FILE_ATTRIBUTE_DIRECTORY) != 0;
    Ace inherited = wanted_;
    inherited.flags = is_dir ? ntfs::kObjectInherit | ntfs::kContainerInherit | ntfs::kInherited : ntfs::kInherited;
    ASSERT_TRUE(state->dacl) << path;
    EXPECT_NE(std::find(state->dacl->begin(), state->dacl->end(), inherited), state->dacl->end())
        << path << ": " << state->sddl;
  }
  const auto after = Snapshot();
  ASSERT_TRUE(EnsureAcesOnTree(root_.path(), {wanted_}, &changed, nullptr).ok());
  EXPECT_FALSE(changed);
  EXPECT_EQ(Snapshot(), after);
}

TEST_F(WindowsAclTree, HardLinksAndSymbolicLinksLeadNowhere) {
  bool changed = false;
  ASSERT_TRUE(EnsureAcesOnTree(root_.path(), {wanted_}, &changed, nullptr).ok());
  const auto after = Snapshot();
  for (const std::string& path : Outside()) {
    if (path == root_.path()) continue;
    EXPECT_EQ(after.at(path), before_.at(path)) << path;
    EXPECT_EQ(after.at(path).find(FormatSid(CapabilitySid(kTreeRandom))), std::string::npos) << path;
  }
}

TEST_F(WindowsAclTree, RestoreBringsEveryObjectBackExactly) {
  bool changed = false;
  auto prior = EnsureAcesOnTree(root_.path(), {wanted_}, &changed, nullptr);
  ASSERT_TRUE(prior.ok()) << prior.error().Render();
  ASSERT_NE(Snapshot(), before_);
  ProgressLog log;
  auto restored = RestoreDaclOnTree(root_.path(), prior->sddl, log.Callback());
  ASSERT_TRUE(restored.ok()) << restored.error().Render();
  EXPECT_EQ(Snapshot(), before_);
  EXPECT_EQ(log.calls, (std::vector<size_t>{8}));
}

// A removal goes on past a directory it cannot walk (here one the sandbox gave an
// inheritable conditional ACE after the apply), takes sandboxctl's ACEs from everything
// else, the file with a second link outside the tree included, and then fails naming it.
TEST_F(WindowsAclTree, RemovalGoesOnPastWhatItCannotChangeAndStripsLinkedFiles) {
  bool changed = false;
  ASSERT_TRUE(EnsureAcesOnTree(root_.path(), {wanted_}, &changed, nullptr).ok());
  const std::string cap = FormatSid(CapabilitySid(kTreeRandom));
  // An explicit ACE for the capability on the hard-linked file, as the sandbox could leave.
  auto set_sddl = [](const std::string& path, const std::string& sddl) {
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(Wide(sddl).c_str(), SDDL_REVISION_1, &sd, nullptr)) {
      return false;
    }
    const BOOL set = SetFileSecurityW(Wide(path).c_str(), DACL_SECURITY_INFORMATION, sd);
    LocalFree(sd);
    return set != FALSE;
  };
  ASSERT_TRUE(set_sddl(outside_ / "linked.txt", "D:P(A;;FA;;;BA)(A;;FA;;;SY)(A;;0x1301bf;;;" + cap + ")"))
      << GetLastError();
  ASSERT_TRUE(MakeDir(root_ / "a-foreign"));
  ASSERT_TRUE(set_sddl(root_ / "a-foreign",
                       "D:AI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(XA;OICI;FA;;;WD;(WIN://SYSAPPID Contains \"sbx\"))"))
      << GetLastError();
  auto removed = RemoveAcesOnTree(root_.path(), {wanted_}, &changed, nullptr);
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().object, root_.path());
  EXPECT_EQ(removed.error().message.rfind("sandboxctl could not take its ACEs from 1 object in the tree (or from what is below "
                                              "them); fix them and destroy again: " +
                                              (root_ / "a-foreign") + ": has an inheritable ACE",
                                          0),
            0u)
      << removed.error().message;
  for (const std::string& path : Inside()) {
    EXPECT_EQ(Sddl(path).find(cap), std::string::npos) << path;
  }
  const std::string linked = Sddl(outside_ / "linked.txt");
  EXPECT_EQ(linked.find(cap), std::string::npos) << linked;
  EXPECT_NE(linked.find("BA)"), std::string::npos) << linked;  // nothing else taken away
}

// The links inside go as links: the directory the symbolic link leads to and the file the
// hard link shares stay, with what is in them.
TEST_F(WindowsAclTree, RemoveTreeRemovesLinksAndNotWhatTheyLeadTo) {
  // The link is there as a link (a CreateSymbolicLinkW that only says it made one, as
  // Wine's does, would leave nothing to test).
  const DWORD link = GetFileAttributesW(Wide(root_ / "link").c_str());
  ASSERT_NE(link, INVALID_FILE_ATTRIBUTES);
  ASSERT_EQ(link & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT),
            DWORD{FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT});
  auto removed = RemoveTree(root_.path());
  ASSERT_TRUE(removed.ok()) << removed.error().Render();
  EXPECT_TRUE(Gone(root_.path()));
  EXPECT_TRUE(Exists(outside_ / "target\\inner.txt"));
  EXPECT_TRUE(Exists(outside_ / "linked.txt"));
  const DWORD target = GetFileAttributesW(Wide(outside_ / "target").c_str());
  ASSERT_NE(target, INVALID_FILE_ATTRIBUTES);
  EXPECT_EQ(target & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT), DWORD{FILE_ATTRIBUTE_DIRECTORY});
}

}  // namespace
}  // namespace sbx
