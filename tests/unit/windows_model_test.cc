// The pure parts of the Windows backend: SIDs, the NTFS ACL model and access check,
// firewall rule fields, environment blocks. They run on Linux and, cross-built, under Wine.
#include <gtest/gtest.h>

#include "engine/os_windows/acl_model.h"
#include "engine/os_windows/command_line.h"
#include "engine/os_windows/env_block.h"
#include "engine/os_windows/firewall_rule.h"
#include "engine/os_windows/password.h"
#include "engine/os_windows/sid.h"
#include "engine/plan/plan.h"
#include "test_util.h"

namespace sbx {
namespace {

Sid S(const char* text) {
  auto sid = ParseSid(text);
  EXPECT_TRUE(sid.ok()) << text << ": " << sid.error().message;
  return sid.ok() ? *sid : Sid{};
}

// --- SIDs ---------------------------------------------------------------------------

TEST(Sid, ParsesAndFormatsWellKnownAndDomainSids) {
  for (const char* text : {"S-1-1-0", "S-1-5-18", "S-1-5-32-544", "S-1-5-21-1004336348-1177238915-682003330-512",
                           // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one capability SID, split over two lines
                           "S-1-15-3-1024-1065365936-1281604716-3511738428-1654721687-432734479-3232135806-4053264122-"
                           "3456934681"}) {
    EXPECT_EQ(FormatSid(S(text)), text);
  }
  EXPECT_EQ(S("S-1-5-32-544"), AdministratorsSid());
  EXPECT_EQ(S("s-1-5-11"), AuthenticatedUsersSid());
}

TEST(Sid, LargeAuthoritiesAreHexadecimal) {
  const Sid sid = S("S-1-0x123456789ABC-7");
  EXPECT_EQ(sid.authority, 0x123456789ABCu);
  EXPECT_EQ(FormatSid(sid), "S-1-0x123456789ABC-7");
}

TEST(Sid, RefusesWhatIsNoSidSayingWhy) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"", "a SID starts with S-"},
      {"X-1-5", "a SID starts with S-"},
      {"S-1", "a SID has a revision, an authority and subauthorities"},
      {"S-2-5-18", "the revision must be 1"},
      {"S-1-281474976710656-1", "the identifier authority '281474976710656' is not a number below 2^48"},
      {"S-1-5-4294967296", "subauthority '4294967296' is not a number below 2^32"},
      {"S-1-5-18-", "subauthority '' is not a number below 2^32"},
      {"S-1-5- 18", "subauthority ' 18' is not a number below 2^32"},
      {"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", "a SID has at most 15 subauthorities"},
  };
  for (const auto& [text, why] : cases) {
    auto sid = ParseSid(text);
    ASSERT_FALSE(sid.ok()) << text;
    EXPECT_EQ(sid.error().message, why) << text;
    EXPECT_EQ(sid.error().code, "invalid_sid");
  }
}

TEST(Sid, BinaryLayoutIsWindowsOwn) {
  // S-1-5-32-544 as a token holds it.
  const std::vector<uint8_t> bytes{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0};
  EXPECT_EQ(SidBytes(AdministratorsSid()), bytes);
  auto back = SidFromBytes(bytes.data(), bytes.size());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, AdministratorsSid());
  EXPECT_FALSE(SidFromBytes(bytes.data(), bytes.size() - 1).ok());
  std::vector<uint8_t> too_many = bytes;
  too_many[1] = 16;
  EXPECT_FALSE(SidFromBytes(too_many.data(), too_many.size()).ok());
}

TEST(Sid, CapabilitySidsAreDomainStyle) {
  const uint32_t random[4] = {1, 4294967295u, 3, 4};
  EXPECT_EQ(FormatSid(CapabilitySid(random)), "S-1-5-21-1-4294967295-3-4");
}

// --- ACLs ---------------------------------------------------------------------------

const Sid kUser = Sid{1, 5, {21, 1, 2, 3, 1001}};
const Sid kCap = Sid{1, 5, {21, 9, 9, 9, 9}};
const Sid kDev = Sid{1, 5, {21, 1, 2, 3, 1000}};

Ace Allow(const Sid& who, uint32_t mask, uint8_t flags = 0) { return Ace{true, flags, mask, who, {}}; }
Ace Deny(const Sid& who, uint32_t mask, uint8_t flags = 0) { return Ace{false, flags, mask, who, {}}; }

constexpr uint32_t kModify = 0x001301BF;
constexpr uint32_t kReadExecute = 0x001200A9;
constexpr uint32_t kDenyWrite = 0x00010156;

TEST(Acl, CanonicalOrderPutsExplicitDenyThenAllowThenInherited) {
  const std::vector<Ace> aces{Allow(kDev, kModify, ntfs::kInherited), Allow(kUser, kModify), Deny(kUser, kDenyWrite),
                              Allow(kCap, kModify)};
  const std::vector<Ace> canonical{Deny(kUser, kDenyWrite), Allow(kUser, kModify), Allow(kCap, kModify),
                                   Allow(kDev, kModify, ntfs::kInherited)};
  EXPECT_FALSE(IsCanonical(aces));
  EXPECT_EQ(CanonicalOrder(aces), canonical);
  EXPECT_TRUE(IsCanonical(canonical));
}

TEST(Acl, AccessCheckFollowsTheAceOrder) {
  const Dacl dacl = std::vector<Ace>{Deny(kUser, kDenyWrite), Allow(kUser, kModify)};
  EXPECT_TRUE(AccessGranted(dacl, {kUser}, ntfs::kReadData | ntfs::kExecute));
  EXPECT_FALSE(AccessGranted(dacl, {kUser}, ntfs::kWriteData));
  EXPECT_FALSE(AccessGranted(dacl, {kDev}, ntfs::kReadData));
  EXPECT_TRUE(AccessGranted(std::nullopt, {kDev}, ntfs::kFullControl));  // no DACL: everyone
  EXPECT_FALSE(AccessGranted(std::vector<Ace>{}, {kDev}, ntfs::kReadData));  // empty DACL: no one
  // An allow before a deny wins for the bits it granted.
  EXPECT_TRUE(AccessGranted(std::vector<Ace>{Allow(kUser, kModify), Deny(kUser, kDenyWrite)}, {kUser}, ntfs::kWriteData));
}

TEST(Acl, InheritOnlyAcesDoNotApplyToTheObject) {
  const Dacl dacl = std::vector<Ace>{Allow(kUser, kModify, ntfs::kInheritOnly | ntfs::kObjectInherit)};
  EXPECT_FALSE(AccessGranted(dacl, {kUser}, ntfs::kReadData));
}

// A write-restricted token writes only where its restricting (capability) SID may write
// as well: the reason the Windows plan grants writes to both.
TEST(Acl, WriteRestrictedTokenNeedsTheCapabilityToWrite) {
  const Dacl user_only = std::vector<Ace>{Allow(kUser, kModify)};
  const Dacl both = std::vector<Ace>{Allow(kUser, kModify), Allow(kCap, kModify)};
  EXPECT_TRUE(RestrictedAccessGranted(user_only, {kUser}, {kCap}, ntfs::kReadData | ntfs::kExecute));
  EXPECT_FALSE(RestrictedAccessGranted(user_only, {kUser}, {kCap}, ntfs::kWriteData));
  EXPECT_TRUE(RestrictedAccessGranted(both, {kUser}, {kCap}, ntfs::kWriteData | ntfs::kDelete));
  const Dacl carve_out = std::vector<Ace>{Deny(kUser, kDenyWrite), Deny(kCap, kDenyWrite), Allow(kUser, kModify),
                                          Allow(kCap, kModify)};
  EXPECT_FALSE(RestrictedAccessGranted(carve_out, {kUser}, {kCap}, ntfs::kWriteData));
  EXPECT_TRUE(RestrictedAccessGranted(carve_out, {kUser}, {kCap}, ntfs::kReadData));
  // DELETE is no write right to a write-restricted token: only the user's own deny stops it.
  EXPECT_TRUE(RestrictedAccessGranted(user_only, {kUser}, {kCap}, ntfs::kDelete));
  EXPECT_FALSE(RestrictedAccessGranted(carve_out, {kUser}, {kCap}, ntfs::kDelete));
}

TEST(Acl, MergeAddsOnlyWhatIsMissingAndKeepsTheRestInOrder) {
  const std::vector<Ace> existing{Deny(kDev, ntfs::kDelete), Allow(kDev, kModify), Allow(kDev, kModify, ntfs::kInherited)};
  bool changed = false;
  const auto merged = MergeAces(existing, {Allow(kUser, kModify), Deny(kUser, kDenyWrite)}, &changed);
  EXPECT_TRUE(changed);
  EXPECT_EQ(merged, (std::vector<Ace>{Deny(kDev, ntfs::kDelete), Deny(kUser, kDenyWrite), Allow(kDev, kModify),
                                      Allow(kUser, kModify), Allow(kDev, kModify, ntfs::kInherited)}));
  EXPECT_TRUE(IsCanonical(merged));
  const auto again = MergeAces(merged, {Allow(kUser, kModify), Deny(kUser, kDenyWrite)}, &changed);
  EXPECT_FALSE(changed);
  EXPECT_EQ(again, merged);
  EXPECT_EQ(RemoveAces(merged, {Allow(kUser, kModify), Deny(kUser, kDenyWrite)}), existing);
}

TEST(Acl, RemoveLeavesInheritedAcesOfTheSameTrustee) {
  const std::vector<Ace> dacl{Allow(kUser, kModify), Allow(kUser, kModify, ntfs::kInherited)};
  EXPECT_EQ(RemoveAces(dacl, {Allow(kUser, kModify, ntfs::kInherited)}), dacl);
  EXPECT_EQ(RemoveAces(dacl, {Allow(kUser, kModify)}), (std::vector<Ace>{Allow(kUser, kModify, ntfs::kInherited)}));
}

TEST(Acl, SddlShowsTypeFlagsMaskAndTrustee) {
  const Dacl dacl = std::vector<Ace>{Deny(kUser, kDenyWrite, ntfs::kObjectInherit | ntfs::kContainerInherit),
                                     Allow(kCap, kModify, ntfs::kInherited)};
  EXPECT_EQ(DaclToSddl(dacl), "D:(D;OICI;0x10156;;;S-1-5-21-1-2-3-1001)(A;ID;0x1301bf;;;S-1-5-21-9-9-9-9)");
  EXPECT_EQ(DaclToSddl(std::nullopt), "D:NO_ACCESS_CONTROL");
}

TEST(Acl, BinaryAclsRoundTripAndKeepForeignAces) {
  // A callback ACE (type 9) as another tool may leave it: kept byte for byte.
  const std::vector<uint8_t> callback{9, 0, 20, 0, 0xA9, 0, 0x12, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
  const std::vector<Ace> aces{Deny(kUser, kDenyWrite, ntfs::kObjectInherit | ntfs::kContainerInherit),
                              Ace{true, 0, 0, {}, callback}, Allow(AdministratorsSid(), ntfs::kFullControl)};
  const std::vector<uint8_t> bytes = *AclToBytes(aces);
  EXPECT_EQ(bytes.size(), 8u + 36 + 20 + 24);  // header, 5 subauthorities, the callback, 2
  auto back = AclFromBytes(bytes.data(), bytes.size());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, aces);
  EXPECT_FALSE(AccessGranted(std::optional<std::vector<Ace>>(*back), {EveryoneSid()}, ntfs::kReadData));
}

TEST(Acl, MalformedBinaryAclsAreRefused) {
  std::vector<uint8_t> bytes = *AclToBytes({Allow(kUser, kModify)});
  EXPECT_FALSE(AclFromBytes(bytes.data(), 7).ok());
  std::vector<uint8_t> wrong_count = bytes;
  wrong_count[4] = 2;  // two ACEs claimed, one there
  EXPECT_FALSE(AclFromBytes(wrong_count.data(), wrong_count.size()).ok());
  std::vector<uint8_t> long_ace = bytes;
  long_ace[10] = 0xFC;  // the ACE claims more bytes than the ACL has
  EXPECT_FALSE(AclFromBytes(long_ace.data(), long_ace.size()).ok());
  std::vector<uint8_t> long_sid = bytes;
  long_sid[8 + 8 + 1] = 9;  // nine subauthorities in a SID of five
  EXPECT_FALSE(AclFromBytes(long_sid.data(), long_sid.size()).ok());
}

Plan WindowsPlan(const std::string& text) {
  Profile p = testing::MakeProfile("offline", text);
  CompileResult r = CompilePlan(
      {&p}, Context{Target::kWindows, R"(C:\src\app)", "dev", R"(C:\Users\dev)", R"(C:\ProgramData\sandboxctl\tmp)"});
  EXPECT_TRUE(r.ok());
  return r.plan;
}

const Resource& Find(const Plan& plan, const std::string& id) {
  for (const auto& r : plan.resources) {
    if (r.id == id) return r;
  }
  ADD_FAILURE() << "no resource " << id;
  static Resource none;
  return none;
}

Result<Sid> TestSids(const std::string& trustee, const std::string& kind) {
  if (kind == "user" && trustee == "sbx-offline") return kUser;
  if (kind == "capability" && trustee == "sandboxctl-cap-offline") return kCap;
  return Error{"not_found", "LookupAccountNameW", trustee, "no such account"};
}

// The ACEs a compiled Windows plan asks for give the sandbox exactly the access the
// profile describes, when checked as Windows would check its write-restricted token.
TEST(Acl, ThePlansAcesGiveTheSandboxWhatTheProfileSays) {
  const Plan plan = WindowsPlan(testing::kOfflineProfile);
  auto write = AcesOfResource(Find(plan, "grant:write:sbx-offline:C:\\src\\app").attributes, TestSids);
  auto deny = AcesOfResource(Find(plan, R"(grant:deny_write:sbx-offline:C:\src\app\.git)").attributes, TestSids);
  ASSERT_TRUE(write.ok()) << write.error().message;
  ASSERT_TRUE(deny.ok()) << deny.error().message;
  EXPECT_EQ(*write, (std::vector<Ace>{Allow(kUser, kModify, ntfs::kObjectInherit | ntfs::kContainerInherit),
                                      Allow(kCap, kModify, ntfs::kObjectInherit | ntfs::kContainerInherit)}));
  bool changed = false;
  const Dacl workspace = CanonicalOrder(MergeAces({Allow(kDev, ntfs::kFullControl)}, *write, &changed));
  EXPECT_TRUE(RestrictedAccessGranted(workspace, {kUser}, {kCap}, ntfs::kWriteData | ntfs::kAppendData));
  const Dacl git = CanonicalOrder(MergeAces(*workspace, *deny, &changed));
  EXPECT_FALSE(RestrictedAccessGranted(git, {kUser}, {kCap}, ntfs::kWriteData));
  EXPECT_TRUE(RestrictedAccessGranted(git, {kUser}, {kCap}, ntfs::kReadData | ntfs::kExecute));
  EXPECT_TRUE(AccessGranted(git, {kDev}, ntfs::kWriteData));  // the developer still may
}

TEST(Acl, ResourcesWithBadAcesAreRefused) {
  const Plan plan = WindowsPlan(testing::kOfflineProfile);
  nlohmann::json a = Find(plan, "grant:write:sbx-offline:C:\\src\\app").attributes;
  auto refused = [&](const nlohmann::json& attributes, const std::string& why) {
    auto r = AcesOfResource(attributes, TestSids);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, why);
  };
  nlohmann::json b = a;
  b["aces"][0]["mask"] = "0x10000000";  // GENERIC_ALL
  refused(b, "ACE mask '0x10000000' is not one sandboxctl grants");
  b["aces"][0]["mask"] = "0x001f01ff";  // full control, WRITE_DAC and WRITE_OWNER with it
  refused(b, "ACE mask '0x001f01ff' is not one sandboxctl grants");
  b["aces"][0]["mask"] = "0x+1301bf";
  refused(b, "ACE mask '0x+1301bf' is not a file access mask");
  b = a;
  b["aces"][0]["type"] = "audit";
  refused(b, "ACE type 'audit' is neither allow nor deny");
  b = a;
  b["aces"][0]["inheritance"] = {"NO_PROPAGATE_INHERIT_ACE"};
  refused(b, "unknown inheritance flag \"NO_PROPAGATE_INHERIT_ACE\"");
  b = a;
  b["aces"][1]["trustee"] = "Administrator";
  auto unknown = AcesOfResource(b, TestSids);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().Render(), "LookupAccountNameW(Administrator): no such account");
  refused(nlohmann::json::object(), "the resource has no list of ACEs");
}

// --- inheritance --------------------------------------------------------------------

constexpr uint8_t kOI = ntfs::kObjectInherit, kCI = ntfs::kContainerInherit, kNP = ntfs::kNoPropagate,
                  kIO = ntfs::kInheritOnly, kID = ntfs::kInherited;
const Sid kCreatorOwner = Sid{1, 3, {0}};
const Sid kCreatorGroup = Sid{1, 3, {1}};

TEST(WindowsInheritance, FilesInheritTheObjectInheritAcesAsEffectiveOnes) {
  const std::vector<Ace> parent{Allow(kUser, kModify, kOI | kCI),      Allow(kDev, kModify, kCI),
                                Deny(kCap, kDenyWrite, kOI),           Allow(kDev, kReadExecute),
                                Allow(kCap, kReadExecute, kOI | kCI | kIO | kID)};
  EXPECT_EQ(InheritedAces(parent, false), (std::vector<Ace>{Allow(kUser, kModify, kID), Deny(kCap, kDenyWrite, kID),
                                                            Allow(kCap, kReadExecute, kID)}));
}

TEST(WindowsInheritance, DirectoriesKeepContainerInheritAndPassObjectInheritOnAsInheritOnly) {
  const std::vector<Ace> parent{Allow(kUser, kModify, kOI | kCI),      Allow(kDev, kModify, kCI),
                                Deny(kCap, kDenyWrite, kOI),           Allow(kDev, kReadExecute),
                                Allow(kCap, kReadExecute, kOI | kCI | kIO | kID)};
  EXPECT_EQ(InheritedAces(parent, true),
            (std::vector<Ace>{Allow(kUser, kModify, kOI | kCI | kID), Allow(kDev, kModify, kCI | kID),
                              Deny(kCap, kDenyWrite, kOI | kIO | kID), Allow(kCap, kReadExecute, kOI | kCI | kID)}));
}

TEST(WindowsInheritance, NoPropagateStopsAfterOneLevel) {
  const std::vector<Ace> parent{Allow(kUser, kModify, kOI | kCI | kNP), Allow(kDev, kModify, kCI | kNP),
                                Allow(kCap, kModify, kOI | kNP), Allow(kDev, kReadExecute, kOI | kCI | kNP | kIO)};
  const std::vector<Ace> dir = InheritedAces(parent, true);
  EXPECT_EQ(dir, (std::vector<Ace>{Allow(kUser, kModify, kID), Allow(kDev, kModify, kID), Allow(kDev, kReadExecute, kID)}));
  EXPECT_EQ(InheritedAces(parent, false), (std::vector<Ace>{Allow(kUser, kModify, kID), Allow(kCap, kModify, kID),
                                                            Allow(kDev, kReadExecute, kID)}));
  EXPECT_EQ(InheritedAces(dir, true), std::vector<Ace>{});
  EXPECT_EQ(InheritedAces(dir, false), std::vector<Ace>{});
}

TEST(WindowsInheritance, GenericRightsAndCreatorSidsAreMappedWhereTheAceTakesEffect) {
  const uint32_t kGR = ntfs::kGenericReadBit, kGX = ntfs::kGenericExecuteBit, kGA = ntfs::kGenericAllBit;
  const std::vector<Ace> parent{Allow(kCreatorOwner, kGA, kOI | kCI | kIO), Allow(kDev, kGR | kGX | ntfs::kDelete, kOI | kCI),
                                Allow(kCreatorGroup, kReadExecute, kCI | kNP), Allow(kCap, kGA, kOI)};
  // A file: every effective ACE mapped, the creator SIDs replaced by its owner and group.
  EXPECT_EQ(InheritedAces(parent, false, kUser, kCap),
            (std::vector<Ace>{Allow(kUser, ntfs::kFullControl, kID), Allow(kDev, kReadExecute | ntfs::kDelete, kID),
                              Allow(kCap, ntfs::kFullControl, kID)}));
  // A directory: what takes effect and passes on becomes two ACEs, the mapped effective
  // one first; what only passes on stays generic; what only takes effect is mapped.
  EXPECT_EQ(InheritedAces(parent, true, kUser, kCap),
            (std::vector<Ace>{Allow(kUser, ntfs::kFullControl, kID), Allow(kCreatorOwner, kGA, kOI | kCI | kIO | kID),
                              Allow(kDev, kReadExecute | ntfs::kDelete, kID),
                              Allow(kDev, kGR | kGX | ntfs::kDelete, kOI | kCI | kIO | kID),
                              Allow(kCap, kReadExecute, kID), Allow(kCap, kGA, kOI | kIO | kID)}));
  // Without an owner and group the creator SIDs stay, granting nobody anything.
  const std::vector<Ace> unmapped = InheritedAces(parent, false);
  EXPECT_EQ(unmapped.front(), Allow(kCreatorOwner, ntfs::kFullControl, kID));
  EXPECT_FALSE(AccessGranted(unmapped, {kUser}, ntfs::kWriteData));
}

TEST(WindowsInheritance, AcesOfOtherTypesAreNotPassedOn) {
  const std::vector<uint8_t> callback{9, kOI | kCI, 20, 0, 0xA9, 0, 0x12, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
  const std::vector<Ace> parent{Ace{true, kOI | kCI, 0, {}, callback}, Allow(kUser, kModify, kOI | kCI)};
  EXPECT_EQ(InheritedAces(parent, true), (std::vector<Ace>{Allow(kUser, kModify, kOI | kCI | kID)}));
  EXPECT_EQ(InheritedAces(parent, false), (std::vector<Ace>{Allow(kUser, kModify, kID)}));
}

TEST(WindowsInheritance, WithInheritedKeepsTheExplicitAcesAndReplacesTheInheritedOnes) {
  const std::vector<Ace> child{Allow(kDev, kModify, kID), Deny(kUser, kDenyWrite), Allow(kCap, kModify, kID),
                               Allow(kUser, kReadExecute, kOI)};
  const std::vector<Ace> inherited{Deny(kCap, kDenyWrite, kID), Allow(kUser, kModify, kID)};
  EXPECT_EQ(WithInherited(child, inherited), (std::vector<Ace>{Deny(kUser, kDenyWrite), Allow(kUser, kReadExecute, kOI),
                                                               Deny(kCap, kDenyWrite, kID), Allow(kUser, kModify, kID)}));
  EXPECT_EQ(WithInherited(child, {}), (std::vector<Ace>{Deny(kUser, kDenyWrite), Allow(kUser, kReadExecute, kOI)}));
  EXPECT_TRUE(IsCanonical(WithInherited(child, inherited)));
}

// A writable root with a carve-out below it, as apply lays it out: the capability writes
// two levels down except under the carve-out, and its explicit deny wins over the
// inherited allow.
TEST(WindowsInheritance, TheTreeBelowGrantsWhatTheRootAndItsCarveOutsSay) {
  const std::vector<Ace> root{Allow(kCap, kModify, kOI | kCI), Allow(kDev, kModify, kOI | kCI | kNP)};
  const std::vector<Ace> dir = WithInherited({Allow(kDev, ntfs::kFullControl)}, InheritedAces(root, true));
  const std::vector<Ace> file = WithInherited({}, InheritedAces(dir, false));
  EXPECT_TRUE(AccessGranted(file, {kCap}, ntfs::kWriteData | ntfs::kReadData));
  EXPECT_FALSE(AccessGranted(file, {kDev}, ntfs::kReadData));  // NO_PROPAGATE: one level only
  EXPECT_TRUE(AccessGranted(dir, {kDev}, ntfs::kFullControl));

  const std::vector<Ace> carve_out = WithInherited({Deny(kCap, kDenyWrite, kOI | kCI)}, InheritedAces(root, true));
  const std::vector<Ace> inside = WithInherited({}, InheritedAces(carve_out, false));
  EXPECT_TRUE(AccessGranted(inside, {kCap}, ntfs::kReadData));
  EXPECT_FALSE(AccessGranted(inside, {kCap}, ntfs::kWriteData));
  EXPECT_FALSE(AccessGranted(carve_out, {kCap}, ntfs::kWriteData));
  // Without the carve-out's own ACE (destroy took it away) the inherited allow is back.
  const std::vector<Ace> restored = WithInherited(RemoveAces(carve_out, {Deny(kCap, kDenyWrite, kOI | kCI)}),
                                                  InheritedAces(root, true));
  EXPECT_TRUE(AccessGranted(WithInherited({}, InheritedAces(restored, false)), {kCap}, ntfs::kWriteData));
}

// --- firewall rules -----------------------------------------------------------------

TEST(FirewallRule, OfflineProfileBlocksEverythingForItsUserOnly) {
  const Plan plan = WindowsPlan(testing::kOfflineProfile);
  auto rule = FirewallRuleOfResource(Find(plan, "firewall:sbx-offline:block-all").attributes, kUser);
  ASSERT_TRUE(rule.ok()) << rule.error().message;
  FirewallRuleSpec want;
  want.name = "sandboxctl sbx-offline block-all";
  want.description = want.name;
  want.grouping = "sandboxctl";
  want.local_user_authorized_list = "D:(A;;CC;;;S-1-5-21-1-2-3-1001)";
  EXPECT_EQ(*rule, want);
  EXPECT_TRUE(FirewallRuleDifferences(want, *rule).empty());
}

TEST(FirewallRule, AllowlistBecomesBlocksOnTheRestWithPorts) {
  const Plan plan = WindowsPlan(R"(version = 1
[filesystem]
writable = ["${workspace}"]
[network]
mode = "allowlist"
allow = ["10.1.2.0/24:443"]
)");
  auto tcp = FirewallRuleOfResource(Find(plan, "firewall:sbx-offline:block-tcp-10.1.2.0/24").attributes, kUser);
  ASSERT_TRUE(tcp.ok()) << tcp.error().message;
  EXPECT_EQ(tcp->protocol, netfw::kProtocolTcp);
  EXPECT_EQ(tcp->remote_addresses, "10.1.2.0-10.1.2.255");
  EXPECT_EQ(tcp->remote_ports, "1-442,444-65535");
}

TEST(FirewallRule, ReadBackNamesEveryFieldThatDiffers) {
  FirewallRuleSpec want;
  want.name = "sandboxctl sbx-offline block-all";
  want.local_user_authorized_list = "D:(A;;CC;;;S-1-5-21-1-2-3-1001)";
  FirewallRuleSpec found = want;
  found.enabled = false;
  found.remote_addresses = "LocalSubnet";
  found.local_user_authorized_list = "";
  EXPECT_EQ(FirewallRuleDifferences(want, found),
            (std::vector<std::string>{"remote_addresses", "enabled", "local_user_authorized_list"}));
}

TEST(FirewallRule, ForeignOrMalformedRulesAreRefused) {
  const Plan plan = WindowsPlan(testing::kOfflineProfile);
  const nlohmann::json a = Find(plan, "firewall:sbx-offline:block-all").attributes;
  auto refused = [&](const char* key, const nlohmann::json& value, const std::string& why) {
    nlohmann::json b = a;
    b[key] = value;
    auto r = FirewallRuleOfResource(b, kUser);
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.error().message, why);
  };
  refused("name", "Core Networking - DNS", "rule name 'Core Networking - DNS' is not one of sandboxctl's");
  refused("action", "allow", "action \"allow\"");
  refused("direction", "in", "direction \"in\"");
  refused("protocol", "gre", "protocol 'gre'");
  refused("remote_addresses", nlohmann::json::array({"10.0.0.0/8,LocalSubnet"}),
          "remote_addresses holds \"10.0.0.0/8,LocalSubnet\"");
  refused("remote_ports", nlohmann::json::array({"80"}), "remote ports on a rule that is neither TCP nor UDP");
  refused("enabled", false, "the rule is not enabled");
  refused("description", 7, "description is not a string");
}

// --- environment blocks ---------------------------------------------------------------

TEST(EnvironmentBlock, SortedWithoutRegardToCaseAndDoublyTerminated) {
  auto block = EnvironmentBlock({{"Path", "C:\\Windows"}, {"TEMP", "C:\\t"}, {"ComSpec", "cmd.exe"}, {"a_b", "1"}});
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(*block, std::string("a_b=1\0ComSpec=cmd.exe\0Path=C:\\Windows\0TEMP=C:\\t\0\0", 49));
  auto empty = EnvironmentBlock({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, std::string("\0\0", 2));
}

TEST(EnvironmentBlock, RefusesNamesWindowsCannotKeep) {
  auto clash = EnvironmentBlock({{"PATH", "a"}, {"Path", "b"}});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().Render(), "Path: differs from PATH only in case; Windows would keep one of them");
  EXPECT_FALSE(EnvironmentBlock({{"=C:", "C:\\"}}).ok());
  EXPECT_FALSE(EnvironmentBlock({{"\xc3\x84", "1"}}).ok());  // Ä
  EXPECT_FALSE(EnvironmentBlock({{"", "x"}}).ok());
  EXPECT_FALSE(EnvironmentBlock({{"A", std::string("x\0y", 3)}}).ok());
}

// --- passwords ----------------------------------------------------------------------

TEST(Password, HasEveryKindOfCharacterAndAllTheRandomness) {
  std::vector<uint8_t> zeros(kPasswordRandomBytes, 0), ones(kPasswordRandomBytes, 0xFF);
  EXPECT_EQ(PasswordFromRandomBytes(zeros), std::string(32, 'A') + "Aa0!");
  EXPECT_EQ(PasswordFromRandomBytes(ones), std::string(32, '_') + "Vv5_");
  std::vector<uint8_t> counting(kPasswordRandomBytes);
  for (size_t i = 0; i < counting.size(); ++i) counting[i] = static_cast<uint8_t>(i * 7);
  const std::string p = PasswordFromRandomBytes(counting);
  EXPECT_EQ(p.size(), 36u);
  EXPECT_NE(p, PasswordFromRandomBytes(zeros));
  EXPECT_EQ(PasswordFromRandomBytes(std::vector<uint8_t>(kPasswordRandomBytes - 1, 1)), "");
}

// --- command lines ------------------------------------------------------------------

TEST(CommandLine, QuotesOnlyWhatTheCRuntimeWouldSplitOrUnescape) {
  EXPECT_EQ(QuoteWindowsArgument("go"), "go");
  EXPECT_EQ(QuoteWindowsArgument("C:\\Go\\bin"), "C:\\Go\\bin");  // backslashes alone are literal
  EXPECT_EQ(QuoteWindowsArgument(""), "\"\"");
  EXPECT_EQ(QuoteWindowsArgument("a b"), "\"a b\"");
  EXPECT_EQ(QuoteWindowsArgument("say \"hi\""), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(QuoteWindowsArgument("C:\\dir with space\\"), "\"C:\\dir with space\\\\\"");  // doubled before the quote
  EXPECT_EQ(QuoteWindowsArgument("a\\\"b c"), "\"a\\\\\\\"b c\"");
}

TEST(CommandLine, RefusesBatchFilesAndNuls) {
  auto line = WindowsCommandLine({"go.exe", "test", "./..."});
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(*line, "go.exe test ./...");
  auto batch = WindowsCommandLine({"C:\\tools\\build.CMD", "&calc"});
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error().object, "C:\\tools\\build.CMD");
  EXPECT_FALSE(WindowsCommandLine({"x.exe", std::string("a\0b", 3)}).ok());
  EXPECT_FALSE(WindowsCommandLine({}).ok());
}

}  // namespace
}  // namespace sbx
