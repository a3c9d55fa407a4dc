// Diagnostics: what sandboxctl says about a profile, pointing at the exact source region.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sbx {

struct SourcePosition {
  int line = 0;    // 1-based; 0 means "no position"
  int column = 0;  // 1-based, in characters of the line as written
};

struct SourceRegion {
  std::string file;    // as displayed to the user (relative to the current directory when possible)
  std::string origin;  // stable name of the file, independent of the current directory
  SourcePosition begin;

  bool HasPosition() const { return begin.line > 0; }
  // "file:line:col", "file" when there is no position.
  std::string ToString() const;
};

// A closed set of diagnostic codes; the snake_case names are stable (JSON output).
enum class DiagCode {
  kIoError,
  kFileTooLarge,
  kEmptyFile,
  kTomlSyntax,
  kUnknownKey,
  kWrongType,
  kMissingKey,
  kUnsupportedVersion,
  kInvalidValue,
  kInvalidName,
  kReservedName,
  kInvalidCidr,
  kInvalidPort,
  kInvalidPattern,
  kInvalidDuration,
  kInvalidSize,
  kUnknownVariable,
  kRelativePath,
  kEscapingPath,
  kSystemDirectory,
  kExtendsCycle,
  kExtendsMissing,
  kExtendsTooDeep,
  kDuplicateProfile,
  kUnknownProfile,
  kConflict,
  kNoEffect,
  kUnsupportedOnTarget,
};
std::string_view DiagCodeName(DiagCode code);

enum class Severity { kError, kWarning, kNote };
std::string_view SeverityName(Severity severity);

struct Diagnostic {
  DiagCode code;
  Severity severity = Severity::kError;
  std::string message;
  SourceRegion region;
};

Diagnostic MakeError(DiagCode code, SourceRegion region, std::string message);
Diagnostic MakeWarning(DiagCode code, SourceRegion region, std::string message);

bool HasErrors(const std::vector<Diagnostic>& diagnostics);

// Texts of the files diagnostics point into, keyed by SourceRegion::file.
using SourceMap = std::map<std::string, std::string, std::less<>>;

// Renders "file:line:col: error: message", then the source line and a caret under the
// column (tabs in the line are kept so the caret lines up). Ends with a newline.
std::string RenderDiagnostic(const Diagnostic& diagnostic, const SourceMap& sources);

// Orders diagnostics by file, position, then message, and drops exact repeats.
void SortDiagnostics(std::vector<Diagnostic>& diagnostics);

}  // namespace sbx
