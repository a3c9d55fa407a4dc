// Windows only: the state store. WindowsStateStore runs under Wine: the pure security
// check on constructed owners and DACLs, and the store itself in a directory of its own
// under the temporary directory. Wine shows every file as owned by the user running it,
// with a DACL that grants that user full control (it derives both from the Unix owner and
// mode), so there the store is opened trusting that user besides SYSTEM and Administrators
// (the same holds on Windows, run as an administrator). WindowsStoreAcl needs real Windows,
// as an administrator (label windows-real): Wine keeps no DACL set on a directory and
// makes no junction.
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>
#include <winioctl.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/os_windows/acl_model.h"
#include "engine/os_windows/ntfs_acl.h"
#include "engine/os_windows/sid.h"
#include "engine/os_windows/state_store.h"
#include "engine/os_windows/text.h"
#include "engine/plan/plan.h"
#include "test_util.h"

namespace sbx {
namespace {

namespace fs = std::filesystem;

std::string Show(const fs::path& p) { return Utf8(p.wstring()); }

// A new directory under GetTempPathW, removed with everything in it afterwards.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    wchar_t temp[MAX_PATH + 1];
    const DWORD n = GetTempPathW(MAX_PATH + 1, temp);
    EXPECT_GT(n, 0u);
    root_ = fs::path(std::wstring(temp, n)) /
            ("sandboxctl-store-test-" + std::to_string(GetCurrentProcessId()) + "-" + std::to_string(++counter) + "-" +
             std::to_string(GetTickCount64()));
    EXPECT_TRUE(CreateDirectoryW(root_.c_str(), nullptr)) << Show(root_) << ": error " << GetLastError();
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& root() const { return root_; }

 private:
  fs::path root_;
};

Sid CurrentUser() {
  HANDLE token = nullptr;
  EXPECT_TRUE(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token));
  std::vector<uint8_t> buf(512);
  DWORD size = 0;
  EXPECT_TRUE(GetTokenInformation(token, TokenUser, buf.data(), static_cast<DWORD>(buf.size()), &size));
  CloseHandle(token);
  PSID sid = reinterpret_cast<TOKEN_USER*>(buf.data())->User.Sid;
  auto parsed = SidFromBytes(static_cast<const uint8_t*>(sid), GetLengthSid(sid));
  EXPECT_TRUE(parsed.ok());
  return parsed.ok() ? *parsed : Sid{};
}

// SYSTEM, Administrators and the user running the tests (see the top of the file).
std::vector<Sid> Trusted() {
  std::vector<Sid> trusted = DefaultStoreTrustees();
  trusted.push_back(CurrentUser());
  return trusted;
}

Result<StateStore> OpenStore(const fs::path& dir, bool lock = true) {
  return StateStore::Open(dir, lock, std::chrono::seconds(1), nullptr, Trusted());
}

// The records of a compiled Windows plan, one with a prior value and an intent.
State SampleState() {
  Profile p = testing::MakeProfile("offline", testing::kOfflineProfile);
  CompileResult r = CompilePlan(
      {&p}, Context{Target::kWindows, "C:\\src\\app", "dev", "C:\\Users\\dev", "C:\\ProgramData\\sandboxctl\\tmp"});
  EXPECT_TRUE(r.ok());
  State state;
  for (const Resource& resource : r.plan.resources) {
    OwnedRecord record;
    record.resource = resource;
    record.workspaces = {"C:\\src\\app"};
    state.records.emplace(resource.id, record);
  }
  EXPECT_GE(state.records.size(), 2u);
  auto& first = state.records.begin()->second;
  first.prior = {{"dacl", "D:(A;OICI;FA;;;SY)"}};
  first.intent = Intent::kEnsure;
  return state;
}

std::set<std::string> Entries(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(Utf8(e.path().filename().wstring()));
  return out;
}

// ---- The pure check ------------------------------------------------------------------

constexpr const char* kDir = "C:\\ProgramData\\sandboxctl";
constexpr uint8_t kOiCi = ntfs::kObjectInherit | ntfs::kContainerInherit;

Ace Allow(const Sid& who, uint32_t mask, uint8_t flags = kOiCi) { return Ace{true, flags, mask, who, {}}; }
Ace Deny(const Sid& who, uint32_t mask, uint8_t flags = kOiCi) { return Ace{false, flags, mask, who, {}}; }

std::vector<Ace> MadeDacl() {
  return {Allow(LocalSystemSid(), ntfs::kFullControl), Allow(AdministratorsSid(), ntfs::kFullControl)};
}

std::string Refusal(StoreItem item, const Sid& owner, const Dacl& dacl) {
  auto checked = CheckStoreSecurity(kDir, item, owner, dacl);
  if (checked.ok()) return "accepted";
  EXPECT_EQ(checked.error().code, "untrusted_state");
  return checked.error().Render();
}

TEST(WindowsStateStore, CheckAcceptsTheDaclTheStoreMakes) {
  EXPECT_EQ(Refusal(StoreItem::kStateDir, AdministratorsSid(), MadeDacl()), "accepted");
  EXPECT_EQ(Refusal(StoreItem::kSecretsDir, LocalSystemSid(), MadeDacl()), "accepted");
}

TEST(WindowsStateStore, CheckRefusesADirectoryUsersMayWrite) {
  std::vector<Ace> dacl = MadeDacl();
  dacl.push_back(Allow(BuiltinUsersSid(), ntfs::kModifyMask));
  EXPECT_EQ(Refusal(StoreItem::kStateDir, AdministratorsSid(), dacl),
            "C:\\ProgramData\\sandboxctl: BUILTIN\\Users may write this state directory; only SYSTEM and "
            "Administrators may");
}

TEST(WindowsStateStore, CheckRefusesAnotherOwner) {
  EXPECT_EQ(Refusal(StoreItem::kStateDir, *ParseSid("S-1-5-21-1-2-3-1001"), MadeDacl()),
            "C:\\ProgramData\\sandboxctl: this state directory is owned by S-1-5-21-1-2-3-1001; only SYSTEM and "
            "Administrators may own it");
}

TEST(WindowsStateStore, CheckRefusesADirectoryWithoutADacl) {
  EXPECT_EQ(Refusal(StoreItem::kStateDir, AdministratorsSid(), std::nullopt),
            "C:\\ProgramData\\sandboxctl: this state directory has no DACL, so everyone may change it; only SYSTEM "
            "and Administrators may");
}

TEST(WindowsStateStore, CheckNamesAnyOtherAccountTheDaclLetsChangeIt) {
  std::vector<Ace> dacl = MadeDacl();
  dacl.push_back(Allow(*ParseSid("S-1-5-21-1-2-3-1001"), ntfs::kWriteDac, 0));
  EXPECT_EQ(Refusal(StoreItem::kStateDir, AdministratorsSid(), dacl),
            "C:\\ProgramData\\sandboxctl: S-1-5-21-1-2-3-1001 may change the permissions of this state directory; "
            "only SYSTEM and Administrators may");
}

TEST(WindowsStateStore, CheckRefusesWhatTheFilesMadeInsideWouldInherit) {
  std::vector<Ace> dacl = MadeDacl();
  dacl.push_back(Allow(AuthenticatedUsersSid(), ntfs::kModifyMask, ntfs::kObjectInherit | ntfs::kInheritOnly));
  EXPECT_EQ(Refusal(StoreItem::kStateDir, AdministratorsSid(), dacl),
            "C:\\ProgramData\\sandboxctl: Authenticated Users may change the files made in this state directory; "
            "only SYSTEM and Administrators may");
}

TEST(WindowsStateStore, CheckCountsGenericRights) {
  std::vector<Ace> dacl = MadeDacl();
  dacl.push_back(Allow(EveryoneSid(), ntfs::kGenericAllBit, 0));
  EXPECT_EQ(Refusal(StoreItem::kStateFile, AdministratorsSid(), dacl),
            "C:\\ProgramData\\sandboxctl: Everyone may write this state file; only SYSTEM and Administrators may");
}

TEST(WindowsStateStore, CheckLetsOthersReadTheStateButNotTheSecrets) {
  std::vector<Ace> dacl = MadeDacl();
  dacl.push_back(Allow(BuiltinUsersSid(), ntfs::kReadExecuteMask));
  EXPECT_EQ(Refusal(StoreItem::kStateDir, AdministratorsSid(), dacl), "accepted");
  EXPECT_EQ(Refusal(StoreItem::kSecretsDir, AdministratorsSid(), dacl),
            "C:\\ProgramData\\sandboxctl: BUILTIN\\Users may read the files made in this secrets directory; only "
            "SYSTEM and Administrators may");
  EXPECT_EQ(Refusal(StoreItem::kSecretFile, AdministratorsSid(), dacl),
            "C:\\ProgramData\\sandboxctl: BUILTIN\\Users may read this secret; only SYSTEM and Administrators may");
}

TEST(WindowsStateStore, CheckHonoursADenyBeforeTheAllow) {
  const uint32_t changes = ntfs::kWriteData | ntfs::kAppendData | ntfs::kWriteEa | ntfs::kWriteAttributes |
                           ntfs::kDelete | ntfs::kDeleteChild | ntfs::kWriteDac | ntfs::kWriteOwner;
  std::vector<Ace> dacl = {Deny(BuiltinUsersSid(), changes)};
  for (const Ace& a : MadeDacl()) dacl.push_back(a);
  dacl.push_back(Allow(BuiltinUsersSid(), ntfs::kModifyMask));
  EXPECT_EQ(Refusal(StoreItem::kStateDir, AdministratorsSid(), dacl), "accepted");
  dacl.front().mask &= ~ntfs::kDelete;  // the files inside may still be deleted
  EXPECT_EQ(Refusal(StoreItem::kStateDir, AdministratorsSid(), dacl),
            "C:\\ProgramData\\sandboxctl: BUILTIN\\Users may delete or rename this state directory; only SYSTEM and "
            "Administrators may");
}

// CREATOR GROUP stands for the creator's primary group, which may be one every user holds:
// not trusted as the owner is.
TEST(WindowsStateStore, CheckTreatsCreatorGroupAsAnotherAccount) {
  std::vector<Ace> dacl = MadeDacl();
  dacl.push_back(Allow(*ParseSid("S-1-3-1"), ntfs::kModifyMask, kOiCi | ntfs::kInheritOnly));
  EXPECT_EQ(Refusal(StoreItem::kStateDir, AdministratorsSid(), dacl),
            "C:\\ProgramData\\sandboxctl: CREATOR GROUP may change the files made in this state directory; only "
            "SYSTEM and Administrators may");
  // CREATOR OWNER, which stands for the trusted owner, is accepted.
  dacl.back().trustee = *ParseSid("S-1-3-0");
  EXPECT_EQ(Refusal(StoreItem::kStateDir, AdministratorsSid(), dacl), "accepted");
}

// An ACE of another type (here a conditional allow ACE, ACCESS_ALLOWED_CALLBACK_ACE_TYPE,
// granting Everyone full control when its condition holds) is evaluated by Windows, and
// not by the model: refused, on a file as on a directory.
TEST(WindowsStateStore, CheckRefusesAnAceOfAnotherType) {
  Ace conditional;
  conditional.other = {9, 0, 20, 0, 0xff, 0x01, 0x1f, 0x00, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
  std::vector<Ace> dacl = MadeDacl();
  dacl.push_back(conditional);
  EXPECT_EQ(Refusal(StoreItem::kStateFile, AdministratorsSid(), dacl),
            "C:\\ProgramData\\sandboxctl: this state file has an ACE that is not a plain allow or deny ACE (a "
            "conditional or object ACE, which Windows evaluates and sandboxctl cannot check)");
  EXPECT_EQ(Refusal(StoreItem::kSecretsDir, AdministratorsSid(), dacl),
            "C:\\ProgramData\\sandboxctl: this secrets directory has an ACE that is not a plain allow or deny ACE "
            "(a conditional or object ACE, which Windows evaluates and sandboxctl cannot check)");
}

// ---- The store, under Wine ------------------------------------------------------------

TEST(WindowsStateStore, DefaultDirectoryIsSandboxctlInProgramData) {
  const fs::path dir = DefaultStateDir();
  EXPECT_TRUE(dir.is_absolute()) << Show(dir);
  EXPECT_EQ(Show(dir.filename()), "sandboxctl");
  EXPECT_EQ(Show(dir.parent_path().filename()), "ProgramData");
}

TEST(WindowsStateStore, SavedStateLoadsBackTheSame) {
  TempDir tmp;
  auto store = OpenStore(tmp.root() / "store");
  ASSERT_TRUE(store.ok()) << store.error().Render();
  const State state = SampleState();
  ASSERT_TRUE(store->Save(state).ok());
  auto loaded = store->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.error().Render();
  EXPECT_EQ(StateToJson(*loaded), StateToJson(state));
}

TEST(WindowsStateStore, AMissingStateFileIsAnEmptyState) {
  TempDir tmp;
  auto store = OpenStore(tmp.root() / "store");
  ASSERT_TRUE(store.ok()) << store.error().Render();
  auto loaded = store->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.error().Render();
  EXPECT_TRUE(loaded->records.empty());
}

TEST(WindowsStateStore, ADamagedStateFileIsAnErrorNamingIt) {
  TempDir tmp;
  auto store = OpenStore(tmp.root() / "store");
  ASSERT_TRUE(store.ok()) << store.error().Render();
  const fs::path file = tmp.root() / "store" / "state.json";
  std::ofstream(file, std::ios::binary) << "{\"format\": 1, \"records\": ";
  auto loaded = store->Load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, "invalid_state");
  EXPECT_EQ(loaded.error().Render(), Show(file) + ": not JSON");
}

TEST(WindowsStateStore, SaveLeavesNoTemporaryFile) {
  TempDir tmp;
  auto store = OpenStore(tmp.root() / "store");
  ASSERT_TRUE(store.ok()) << store.error().Render();
  ASSERT_TRUE(store->Save(SampleState()).ok());
  ASSERT_TRUE(store->Save(State{}).ok());  // and replacing the file leaves none either
  EXPECT_EQ(Entries(tmp.root() / "store"), (std::set<std::string>{"lock", "state.json"}));
}

TEST(WindowsStateStore, ASecondRunWaitsForTheLockAndTimesOut) {
  TempDir tmp;
  const fs::path dir = tmp.root() / "store";
  {
    auto first = OpenStore(dir);
    ASSERT_TRUE(first.ok()) << first.error().Render();
    int waited = 0;
    const auto start = std::chrono::steady_clock::now();
    auto second = StateStore::Open(dir, true, std::chrono::seconds(1), [&] { ++waited; }, Trusted());
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, "locked");
    EXPECT_EQ(second.error().Render(), "LockFileEx(" + Show(dir / "lock") +
                                           "): another sandboxctl run still holds the lock after 1s");
    EXPECT_EQ(waited, 1);
    EXPECT_GE(took, std::chrono::milliseconds(900));
    EXPECT_LT(took, std::chrono::seconds(3));
  }
  int waited = 0;
  auto third = StateStore::Open(dir, true, std::chrono::seconds(1), [&] { ++waited; }, Trusted());
  ASSERT_TRUE(third.ok()) << third.error().Render();
  EXPECT_EQ(waited, 0);
}

TEST(WindowsStateStore, ProgressRoundTripsAndClears) {
  TempDir tmp;
  auto store = OpenStore(tmp.root() / "store");
  ASSERT_TRUE(store.ok()) << store.error().Render();
  EXPECT_TRUE(store->LoadProgress().is_null());
  const nlohmann::json progress = {{"pid", 4242}, {"workspace", "C:\\src\\app"}, {"total", 3}, {"done", 1},
                                   {"current", "C:\\src\\app\\node_modules"}};
  ASSERT_TRUE(store->SaveProgress(progress).ok());
  EXPECT_EQ(store->LoadProgress(), progress);
  EXPECT_EQ(Entries(tmp.root() / "store"), (std::set<std::string>{"background.json", "lock"}));
  store->ClearProgress();
  EXPECT_TRUE(store->LoadProgress().is_null());
  EXPECT_EQ(Entries(tmp.root() / "store"), (std::set<std::string>{"lock"}));
}

TEST(WindowsStateStore, AReadOnlyOpenOfAMissingDirectoryMakesNothing) {
  TempDir tmp;
  const fs::path dir = tmp.root() / "store";
  auto store = OpenStore(dir, /*lock=*/false);
  ASSERT_TRUE(store.ok()) << store.error().Render();
  auto loaded = store->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.error().Render();
  EXPECT_TRUE(loaded->records.empty());
  EXPECT_FALSE(fs::exists(dir));
}

TEST(WindowsStateStore, AReadOnlyStoreRefusesToSave) {
  TempDir tmp;
  const fs::path dir = tmp.root() / "store";
  ASSERT_TRUE(OpenStore(dir).ok());
  auto store = OpenStore(dir, /*lock=*/false);
  ASSERT_TRUE(store.ok()) << store.error().Render();
  auto saved = store->Save(State{});
  ASSERT_FALSE(saved.ok());
  EXPECT_EQ(saved.error().Render(), Show(dir) + ": state opened read-only");
  EXPECT_FALSE(fs::exists(dir / "state.json"));
}

TEST(WindowsStateStore, OpenMakesOnlyTheLastComponent) {
  TempDir tmp;
  auto store = OpenStore(tmp.root() / "missing" / "store");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().call, "CreateDirectoryW");
  EXPECT_FALSE(fs::exists(tmp.root() / "missing"));
}

// Under Wine the directory is owned by the user running the tests; on Windows its DACL,
// inherited from the temporary directory, lets that user write it. Either way it is not
// a directory only SYSTEM and Administrators control.
TEST(WindowsStateStore, OpenRefusesADirectoryOthersControl) {
  TempDir tmp;
  const fs::path dir = tmp.root() / "store";
  ASSERT_TRUE(CreateDirectoryW(dir.c_str(), nullptr));
  for (bool lock : {true, false}) {
    auto store = StateStore::Open(dir, lock, std::chrono::seconds(0), nullptr);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, "untrusted_state");
    EXPECT_EQ(store.error().Render().rfind(Show(dir) + ": ", 0), 0u) << store.error().Render();
    EXPECT_NE(store.error().Render().find("state directory"), std::string::npos) << store.error().Render();
  }
  EXPECT_EQ(Entries(dir), std::set<std::string>{});  // no lock file made in it
}

TEST(WindowsStateStore, SecretsSaveLoadAndRemove) {
  TempDir tmp;
  auto store = OpenStore(tmp.root() / "store");
  ASSERT_TRUE(store.ok()) << store.error().Render();
  auto none = store->LoadSecret("sbx-offline");
  ASSERT_TRUE(none.ok()) << none.error().Render();
  EXPECT_FALSE(*none);
  const std::vector<uint8_t> blob = {1, 0, 2, 255, '\r', '\n', 0x1a, 7};
  ASSERT_TRUE(store->SaveSecret("sbx-offline", blob).ok());
  ASSERT_TRUE(store->SaveSecret("sbx-offline", blob).ok());  // replacing it
  auto loaded = store->LoadSecret("sbx-offline");
  ASSERT_TRUE(loaded.ok()) << loaded.error().Render();
  ASSERT_TRUE(*loaded);
  EXPECT_EQ(**loaded, blob);
  EXPECT_EQ(Entries(tmp.root() / "store" / "secrets"), std::set<std::string>{"sbx-offline.bin"});
  ASSERT_TRUE(store->RemoveSecret("sbx-offline").ok());
  auto gone = store->LoadSecret("sbx-offline");
  ASSERT_TRUE(gone.ok()) << gone.error().Render();
  EXPECT_FALSE(*gone);
  EXPECT_TRUE(store->RemoveSecret("sbx-offline").ok());  // not there: nothing to do
}

TEST(WindowsStateStore, SecretsOfBadUserNamesAreRefused) {
  TempDir tmp;
  auto store = OpenStore(tmp.root() / "store");
  ASSERT_TRUE(store.ok()) << store.error().Render();
  const std::vector<std::string> bad = {"", ".", "..", "...", "a/b", "a\\b", "..\\state", "C:x", "x y", "nul",
                                        "CON", "Lpt1", "com9", "sbx-123456789012345678", "caf\xc3\xa9",
                                        std::string("a\0b", 3)};
  for (const std::string& user : bad) {
    auto saved = store->SaveSecret(user, {1});
    ASSERT_FALSE(saved.ok()) << user;
    EXPECT_EQ(saved.error().code, "invalid_name") << user;
    auto loaded = store->LoadSecret(user);
    ASSERT_FALSE(loaded.ok()) << user;
    EXPECT_EQ(loaded.error().code, "invalid_name") << user;
    auto removed = store->RemoveSecret(user);
    ASSERT_FALSE(removed.ok()) << user;
    EXPECT_EQ(removed.error().code, "invalid_name") << user;
  }
  EXPECT_EQ(store->SaveSecret("..", {1}).error().Render(), "sandbox user '..': a user name is not only dots");
  EXPECT_FALSE(fs::exists(tmp.root() / "store" / "secrets"));
  // The longest name and every kind of character allowed.
  EXPECT_TRUE(store->SaveSecret("sbx-A.b_12345678901", {1}).ok());
}

// ---- Real Windows, as an administrator ---------------------------------------------------

// A junction at `link` to the directory `target`, as mklink /J makes it.
void MakeJunction(const fs::path& target, const fs::path& link) {
  ASSERT_TRUE(CreateDirectoryW(link.c_str(), nullptr)) << GetLastError();
  HANDLE h = CreateFileW(link.c_str(), GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                         FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  ASSERT_NE(h, INVALID_HANDLE_VALUE) << GetLastError();
  const std::wstring substitute = L"\\??\\" + fs::absolute(target).wstring(), print = fs::absolute(target).wstring();
  // REPARSE_DATA_BUFFER's mount point form: tag, length, reserved, four name offsets and
  // lengths, then both names, each ending in a NUL.
  std::vector<uint8_t> buf(16 + (substitute.size() + 1 + print.size() + 1) * sizeof(wchar_t));
  auto put16 = [&](size_t at, size_t v) {
    const uint16_t x = static_cast<uint16_t>(v);
    std::memcpy(buf.data() + at, &x, 2);
  };
  const uint32_t tag = IO_REPARSE_TAG_MOUNT_POINT;
  std::memcpy(buf.data(), &tag, 4);
  put16(4, buf.size() - 8);
  put16(8, 0);
  put16(10, substitute.size() * sizeof(wchar_t));
  put16(12, (substitute.size() + 1) * sizeof(wchar_t));
  put16(14, print.size() * sizeof(wchar_t));
  std::memcpy(buf.data() + 16, substitute.c_str(), (substitute.size() + 1) * sizeof(wchar_t));
  std::memcpy(buf.data() + 16 + (substitute.size() + 1) * sizeof(wchar_t), print.c_str(),
              (print.size() + 1) * sizeof(wchar_t));
  DWORD returned = 0;
  const BOOL ok = DeviceIoControl(h, FSCTL_SET_REPARSE_POINT, buf.data(), static_cast<DWORD>(buf.size()), nullptr, 0,
                                  &returned, nullptr);
  const DWORD err = GetLastError();
  CloseHandle(h);
  ASSERT_TRUE(ok) << "FSCTL_SET_REPARSE_POINT: error " << err;
}

Sid OwnerOf(const fs::path& path) {
  PSID owner = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  std::wstring wide = path.wstring();
  EXPECT_EQ(GetNamedSecurityInfoW(wide.c_str(), SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &owner, nullptr, nullptr,
                                  nullptr, &sd),
            static_cast<DWORD>(ERROR_SUCCESS));
  Sid out;
  if (owner) out = *SidFromBytes(static_cast<const uint8_t*>(owner), GetLengthSid(owner));
  LocalFree(sd);
  return out;
}

TEST(WindowsStoreAcl, ANewDirectoryAdmitsOnlySystemAndAdministrators) {
  TempDir tmp;
  const fs::path dir = tmp.root() / "store";
  {
    auto store = StateStore::Open(dir, true, std::chrono::seconds(0), nullptr);
    ASSERT_TRUE(store.ok()) << store.error().Render();
    ASSERT_TRUE(store->Save(SampleState()).ok());
    ASSERT_TRUE(store->SaveSecret("sbx-offline", {1, 2, 3}).ok());
  }
  for (const fs::path& made : {dir, dir / "secrets"}) {
    auto dacl = ReadDacl(Show(made));
    ASSERT_TRUE(dacl.ok()) << dacl.error().Render();
    EXPECT_TRUE(dacl->is_protected) << Show(made);
    EXPECT_EQ(dacl->dacl, Dacl(MadeDacl())) << dacl->sddl;
    EXPECT_EQ(OwnerOf(made), AdministratorsSid()) << Show(made);
  }
  // The state file inherits the directory's ACEs; the secret has its own, protected.
  auto state_file = ReadDacl(Show(dir / "state.json"));
  ASSERT_TRUE(state_file.ok()) << state_file.error().Render();
  EXPECT_EQ(state_file->dacl, Dacl(std::vector<Ace>{Allow(LocalSystemSid(), ntfs::kFullControl, ntfs::kInherited),
                                                   Allow(AdministratorsSid(), ntfs::kFullControl, ntfs::kInherited)}))
      << state_file->sddl;
  EXPECT_EQ(OwnerOf(dir / "state.json"), AdministratorsSid());
  auto secret = ReadDacl(Show(dir / "secrets" / "sbx-offline.bin"));
  ASSERT_TRUE(secret.ok()) << secret.error().Render();
  EXPECT_TRUE(secret->is_protected);
  EXPECT_EQ(secret->dacl, Dacl(std::vector<Ace>{Allow(LocalSystemSid(), ntfs::kFullControl, 0),
                                               Allow(AdministratorsSid(), ntfs::kFullControl, 0)}))
      << secret->sddl;
  // And a second run trusts what the first made.
  auto again = StateStore::Open(dir, true, std::chrono::seconds(0), nullptr);
  ASSERT_TRUE(again.ok()) << again.error().Render();
  auto loaded = again->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.error().Render();
  EXPECT_EQ(StateToJson(*loaded), StateToJson(SampleState()));
  auto blob = again->LoadSecret("sbx-offline");
  ASSERT_TRUE(blob.ok()) << blob.error().Render();
  EXPECT_EQ(*blob, std::optional<std::vector<uint8_t>>(std::vector<uint8_t>{1, 2, 3}));
}

// A reader holding state.json open (shared for reading and deletion, as Load opens it)
// does not stop a Save, and keeps reading the state it opened.
TEST(WindowsStoreAcl, SaveReplacesTheStateFileWhileAReaderHoldsItOpen) {
  TempDir tmp;
  const fs::path dir = tmp.root() / "store";
  auto store = OpenStore(dir);
  ASSERT_TRUE(store.ok()) << store.error().Render();
  ASSERT_TRUE(store->Save(State{}).ok());
  const fs::path file = dir / "state.json";
  HANDLE reader = CreateFileW(file.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                              FILE_ATTRIBUTE_NORMAL, nullptr);
  // cppcheck-suppress resourceLeak ; the assertion returns only when there is no handle
  ASSERT_NE(reader, INVALID_HANDLE_VALUE) << GetLastError();
  auto saved = store->Save(SampleState());
  std::string old_text(4096, '\0');
  DWORD n = 0;
  const BOOL read = ReadFile(reader, old_text.data(), static_cast<DWORD>(old_text.size()), &n, nullptr);
  CloseHandle(reader);
  ASSERT_TRUE(saved.ok()) << saved.error().Render();
  ASSERT_TRUE(read) << GetLastError();
  old_text.resize(n);
  EXPECT_EQ(old_text, StateToJson(State{}));
  auto loaded = store->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.error().Render();
  EXPECT_EQ(StateToJson(*loaded), StateToJson(SampleState()));
  EXPECT_EQ(Entries(dir), (std::set<std::string>{"lock", "state.json"}));
}

TEST(WindowsStoreAcl, ADirectoryUsersMayWriteIsRefused) {
  TempDir tmp;
  const fs::path dir = tmp.root() / "store";
  PSECURITY_DESCRIPTOR sd = nullptr;
  ASSERT_TRUE(ConvertStringSecurityDescriptorToSecurityDescriptorW(
      L"O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1301bf;;;BU)", SDDL_REVISION_1, &sd, nullptr));
  SECURITY_ATTRIBUTES attributes{sizeof attributes, sd, FALSE};
  const BOOL made = CreateDirectoryW(dir.c_str(), &attributes);
  LocalFree(sd);
  ASSERT_TRUE(made) << GetLastError();
  for (bool lock : {true, false}) {
    auto store = StateStore::Open(dir, lock, std::chrono::seconds(0), nullptr);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().Render(),
              Show(dir) + ": BUILTIN\\Users may write this state directory; only SYSTEM and Administrators may");
  }
}

TEST(WindowsStoreAcl, AJunctionInPlaceOfTheDirectoryIsRefused) {
  TempDir tmp;
  const fs::path real = tmp.root() / "real", link = tmp.root() / "store";
  ASSERT_TRUE(OpenStore(real).ok());  // a directory it would trust
  ASSERT_NO_FATAL_FAILURE(MakeJunction(real, link));
  for (bool lock : {true, false}) {
    auto store = OpenStore(link, lock);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().Render(),
              Show(link) + ": is a junction or symbolic link; the state directory must be the real directory");
  }
  EXPECT_EQ(Entries(real), std::set<std::string>{"lock"});  // nothing made through the junction
  EXPECT_TRUE(RemoveDirectoryW(link.c_str()));  // the junction, not what it leads to
}

}  // namespace
}  // namespace sbx
