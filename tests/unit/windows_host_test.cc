// Windows only: the pure Windows code against the Windows API itself (under Wine, which
// implements these parts faithfully).
#include <windows.h>
#include <sddl.h>
#include <shellapi.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine/os_windows/accounts.h"
#include "engine/os_windows/acl_model.h"
#include "engine/os_windows/command_line.h"
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
  const Dacl model = std::vector<Ace>{Ace{true, 0, ntfs::kFullControl, me}};
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

}  // namespace
}  // namespace sbx
