#include "engine/core/diagnostic.h"

#include <algorithm>
#include <tuple>

namespace sbx {

std::string SourceRegion::ToString() const {
  if (!HasPosition()) return file;
  return file + ":" + std::to_string(begin.line) + ":" + std::to_string(begin.column);
}

std::string_view DiagCodeName(DiagCode code) {
  switch (code) {
    case DiagCode::kIoError: return "io_error";
    case DiagCode::kFileTooLarge: return "file_too_large";
    case DiagCode::kEmptyFile: return "empty_file";
    case DiagCode::kTomlSyntax: return "toml_syntax";
    case DiagCode::kUnknownKey: return "unknown_key";
    case DiagCode::kWrongType: return "wrong_type";
    case DiagCode::kMissingKey: return "missing_key";
    case DiagCode::kUnsupportedVersion: return "unsupported_version";
    case DiagCode::kInvalidValue: return "invalid_value";
    case DiagCode::kInvalidName: return "invalid_name";
    case DiagCode::kReservedName: return "reserved_name";
    case DiagCode::kInvalidCidr: return "invalid_cidr";
    case DiagCode::kInvalidPort: return "invalid_port";
    case DiagCode::kInvalidPattern: return "invalid_pattern";
    case DiagCode::kInvalidDuration: return "invalid_duration";
    case DiagCode::kInvalidSize: return "invalid_size";
    case DiagCode::kUnknownVariable: return "unknown_variable";
    case DiagCode::kRelativePath: return "relative_path";
    case DiagCode::kEscapingPath: return "escaping_path";
    case DiagCode::kSystemDirectory: return "system_directory";
    case DiagCode::kExtendsCycle: return "extends_cycle";
    case DiagCode::kExtendsMissing: return "extends_missing";
    case DiagCode::kExtendsTooDeep: return "extends_too_deep";
    case DiagCode::kDuplicateProfile: return "duplicate_profile";
    case DiagCode::kUnknownProfile: return "unknown_profile";
    case DiagCode::kConflict: return "conflict";
    case DiagCode::kNoEffect: return "no_effect";
    case DiagCode::kUnsupportedOnTarget: return "unsupported_on_target";
  }
  return "unknown";
}

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kNote: return "note";
  }
  return "error";
}

Diagnostic MakeError(DiagCode code, SourceRegion region, std::string message) {
  return Diagnostic{code, Severity::kError, std::move(message), std::move(region)};
}

Diagnostic MakeWarning(DiagCode code, SourceRegion region, std::string message) {
  return Diagnostic{code, Severity::kWarning, std::move(message), std::move(region)};
}

bool HasErrors(const std::vector<Diagnostic>& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

namespace {

std::string_view LineOf(std::string_view text, int line) {
  size_t start = 0;
  for (int i = 1; i < line; ++i) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
  }
  size_t end = text.find('\n', start);
  std::string_view result = text.substr(start, end == std::string_view::npos ? text.size() - start : end - start);
  if (!result.empty() && result.back() == '\r') result.remove_suffix(1);
  return result;
}

// Number of bytes that make up the first `chars` UTF-8 characters of `line`.
size_t BytesForColumns(std::string_view line, int chars) {
  size_t i = 0;
  for (int c = 0; c < chars && i < line.size(); ++c) {
    ++i;
    while (i < line.size() && (static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) ++i;
  }
  return i;
}

}  // namespace

// Control characters from a profile (e.g. in a quoted key) are shown escaped, never sent
// to the terminal; tabs stay so source lines keep their layout.
static std::string Printable(std::string_view text) {
  std::string out;
  static const char* kHex = "0123456789abcdef";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

std::string RenderDiagnostic(const Diagnostic& d, const SourceMap& sources) {
  std::string out = Printable(d.region.ToString());
  out += ": ";
  out += SeverityName(d.severity);
  out += ": ";
  out += Printable(d.message);
  out += '\n';
  if (!d.region.HasPosition()) return out;
  auto it = sources.find(d.region.file);
  if (it == sources.end()) return out;
  std::string_view line = LineOf(it->second, d.region.begin.line);
  if (line.empty() && d.region.begin.column <= 1) return out;
  out += "    ";
  out += Printable(line);
  out += "\n    ";
  size_t prefix = BytesForColumns(line, d.region.begin.column - 1);
  for (size_t i = 0; i < prefix && i < line.size(); ++i) {
    const auto ch = static_cast<unsigned char>(line[i]);
    if (ch == '\t') out += '\t';
    else if ((ch & 0xC0) != 0x80) out += ' ';
  }
  out += "^\n";
  return out;
}

void SortDiagnostics(std::vector<Diagnostic>& diagnostics) {
  auto key = [](const Diagnostic& d) {
    return std::tie(d.region.file, d.region.begin.line, d.region.begin.column, d.message);
  };
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
  diagnostics.erase(std::unique(diagnostics.begin(), diagnostics.end(),
                                [&](const Diagnostic& a, const Diagnostic& b) {
                                  return key(a) == key(b) && a.severity == b.severity;
                                }),
                    diagnostics.end());
}

}  // namespace sbx
