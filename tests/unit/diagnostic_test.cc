#include "engine/core/diagnostic.h"

#include <gtest/gtest.h>

#include "engine/core/suggest.h"

namespace sbx {
namespace {

TEST(RenderDiagnostic, ShowsLineAndCaretUnderColumn) {
  SourceMap sources{{"p.toml", "version = 1\nmode = \"ofline\"\n"}};
  Diagnostic d = MakeError(DiagCode::kInvalidValue, SourceRegion{"p.toml", "", {2, 8}}, "bad mode");
  EXPECT_EQ(RenderDiagnostic(d, sources),
            "p.toml:2:8: error: bad mode\n"
            "    mode = \"ofline\"\n"
            "           ^\n");
}

TEST(RenderDiagnostic, KeepsTabsAndCountsUtf8CharactersAsOneColumn) {
  SourceMap sources{{"p.toml", "\tdescription = \"caf\xc3\xa9\" x\n"}};
  Diagnostic d = MakeError(DiagCode::kTomlSyntax, SourceRegion{"p.toml", "", {1, 22}}, "junk");
  EXPECT_EQ(RenderDiagnostic(d, sources),
            "p.toml:1:22: error: junk\n"
            "    \tdescription = \"caf\xc3\xa9\" x\n"
            "    \t                    ^\n");
}

TEST(RenderDiagnostic, WithoutPositionIsOneLine) {
  Diagnostic d = MakeWarning(DiagCode::kNoEffect, SourceRegion{"p.toml", "", {}}, "nothing");
  EXPECT_EQ(RenderDiagnostic(d, {}), "p.toml: warning: nothing\n");
}

TEST(SortDiagnostics, OrdersByFileAndPositionAndDropsRepeats) {
  std::vector<Diagnostic> v{MakeError(DiagCode::kConflict, {"b", "", {1, 1}}, "x"),
                            MakeError(DiagCode::kConflict, {"a", "", {3, 1}}, "y"),
                            MakeError(DiagCode::kConflict, {"a", "", {2, 5}}, "z"),
                            MakeError(DiagCode::kConflict, {"a", "", {3, 1}}, "y")};
  SortDiagnostics(v);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].message, "z");
  EXPECT_EQ(v[1].message, "y");
  EXPECT_EQ(v[2].message, "x");
}

TEST(Suggest, FindsCloseCandidateOnly) {
  std::vector<std::string> keys{"writable", "read_only", "readable", "deny_read"};
  EXPECT_EQ(Suggest("writeable", keys), "writable");
  EXPECT_EQ(Suggest("readonly", keys), "read_only");
  EXPECT_EQ(Suggest("network", keys), std::nullopt);
  EXPECT_EQ(DidYouMean("ofline", {"offline", "online"}), "; did you mean 'offline'?");
}

TEST(EditDistance, CountsTranspositionAsOne) {
  EXPECT_EQ(EditDistance("netwrok", "network"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
}

}  // namespace
}  // namespace sbx
