#include "engine/core/net.h"

#include <gtest/gtest.h>

namespace sbx {
namespace {

std::string Canonical(std::string_view text) {
  auto r = ParseNetAllowEntry(text);
  return r.entry ? r.entry->ToString() : "error: " + r.message;
}

TEST(NetAllow, ParsesIpv4NetworkWithPort) { EXPECT_EQ(Canonical("10.20.0.0/16:443"), "10.20.0.0/16:443"); }

TEST(NetAllow, BareAddressIsASingleHost) {
  EXPECT_EQ(Canonical("192.168.1.7"), "192.168.1.7/32");
  EXPECT_EQ(Canonical("::1"), "::1/128");
}

TEST(NetAllow, Ipv6IsWrittenInCanonicalForm) {
  EXPECT_EQ(Canonical("[2001:0DB8:0:0::/32]:443"), "[2001:db8::/32]:443");
  EXPECT_EQ(Canonical("fd00:0:0:1::/64"), "fd00:0:0:1::/64");
  EXPECT_EQ(Canonical("::ffff:10.0.0.1"), "::ffff:a00:1/128");
}

TEST(NetAllow, RejectsHostBitsWithASuggestion) {
  EXPECT_EQ(Canonical("10.20.1.0/16"), "error: '10.20.1.0/16' has host bits set; did you mean '10.20.0.0/16'?");
}

TEST(NetAllow, RejectsBadPrefixPortAndAddress) {
  EXPECT_EQ(ParseNetAllowEntry("10.0.0.0/33").error, NetParseError::kCidr);
  EXPECT_EQ(ParseNetAllowEntry("10.0.0.0/8:0").error, NetParseError::kPort);
  EXPECT_EQ(ParseNetAllowEntry("10.0.0.0/8:65536").error, NetParseError::kPort);
  EXPECT_EQ(ParseNetAllowEntry("10.0.0.0/8:").error, NetParseError::kPort);
  EXPECT_EQ(ParseNetAllowEntry("010.0.0.0/8").error, NetParseError::kCidr);
  EXPECT_EQ(ParseNetAllowEntry("10.0.0.0/08").error, NetParseError::kCidr);
  EXPECT_EQ(ParseNetAllowEntry("0.0.0.0/-0").error, NetParseError::kCidr);
  EXPECT_EQ(ParseNetAllowEntry("10.0.0.0/8:0443").error, NetParseError::kPort);
  EXPECT_EQ(ParseNetAllowEntry("10.0.0.0/8:+443").error, NetParseError::kPort);
  EXPECT_EQ(ParseNetAllowEntry("1.2.3").error, NetParseError::kCidr);
  EXPECT_EQ(ParseNetAllowEntry("1:2:3:4:5:6:7:8:9").error, NetParseError::kCidr);
  EXPECT_EQ(ParseNetAllowEntry("1::2::3").error, NetParseError::kCidr);
  EXPECT_EQ(ParseNetAllowEntry("[::1").error, NetParseError::kCidr);
}

TEST(NetAllow, ContainmentAndOverlap) {
  auto a = ParseNetAllowEntry("10.0.0.0/8").entry->cidr;
  auto b = ParseNetAllowEntry("10.20.0.0/16").entry->cidr;
  auto c = ParseNetAllowEntry("11.0.0.0/8").entry->cidr;
  EXPECT_TRUE(a.Contains(b));
  EXPECT_FALSE(b.Contains(a));
  EXPECT_TRUE(b.Overlaps(a));
  EXPECT_FALSE(a.Overlaps(c));
}

std::vector<std::string> Ranges(bool v6, const std::vector<std::string>& cidrs) {
  std::vector<Cidr> covered;
  covered.reserve(cidrs.size());
  for (const auto& c : cidrs) covered.push_back(ParseNetAllowEntry(c).entry->cidr);
  std::vector<std::string> out;
  for (const auto& r : ComplementRanges(v6, covered)) out.push_back(r.ToString());
  return out;
}

TEST(ComplementRanges, OfLoopbackIsEverythingElse) {
  EXPECT_EQ(Ranges(false, {"127.0.0.0/8"}),
            (std::vector<std::string>{"0.0.0.0-126.255.255.255", "128.0.0.0-255.255.255.255"}));
  EXPECT_EQ(Ranges(true, {"::1"}), (std::vector<std::string>{"::", "::2-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}));
}

TEST(ComplementRanges, MergesOverlapsAndIgnoresOtherFamily) {
  EXPECT_EQ(Ranges(false, {"10.0.0.0/8", "10.20.0.0/16", "11.0.0.0/8", "::1"}),
            (std::vector<std::string>{"0.0.0.0-9.255.255.255", "12.0.0.0-255.255.255.255"}));
}

TEST(ComplementRanges, OfEverythingIsEmptyAndOfNothingIsEverything) {
  EXPECT_TRUE(Ranges(false, {"0.0.0.0/0"}).empty());
  EXPECT_EQ(Ranges(false, {}), (std::vector<std::string>{"0.0.0.0-255.255.255.255"}));
  EXPECT_EQ(Ranges(false, {"255.255.255.255"}), (std::vector<std::string>{"0.0.0.0-255.255.255.254"}));
}

TEST(SubtractRanges, KeepsOnlyTheUncoveredPartsOfTheBase) {
  auto base = ParseNetAllowEntry("10.0.0.0/8").entry->cidr;
  auto hole = ParseNetAllowEntry("10.1.0.0/16").entry->cidr;
  std::vector<std::string> out;
  for (const auto& r : SubtractRanges(base, {hole})) out.push_back(r.ToString());
  EXPECT_EQ(out, (std::vector<std::string>{"10.0.0.0-10.0.255.255", "10.2.0.0-10.255.255.255"}));
  EXPECT_TRUE(SubtractRanges(hole, {base}).empty());
}

TEST(ComplementPorts, LeavesGapsAroundAllowedPorts) {
  EXPECT_EQ(ComplementPorts({443}), (std::vector<std::string>{"1-442", "444-65535"}));
  EXPECT_EQ(ComplementPorts({1, 2, 65535}), (std::vector<std::string>{"3-65534"}));
  EXPECT_EQ(ComplementPorts({80, 443, 80}), (std::vector<std::string>{"1-79", "81-442", "444-65535"}));
}

}  // namespace
}  // namespace sbx
