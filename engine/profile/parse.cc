#include "engine/profile/parse.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <toml++/toml.h>

#include "engine/core/names.h"
#include "engine/core/strings.h"
#include "engine/core/suggest.h"

namespace sbx {
namespace {

class Parser {
 public:
  Parser(const std::string& file, const std::string& origin, std::vector<Diagnostic>& diagnostics)
      : file_(file), origin_(origin), diags_(diagnostics) {}

  ParsedProfile Run(const toml::table& root);

 private:
  SourceRegion At(const toml::source_region& r) const {
    return SourceRegion{file_, origin_, SourcePosition{static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)}};
  }
  SourceRegion At(const toml::node& n) const { return At(n.source()); }
  SourceRegion FileStart() const { return SourceRegion{file_, origin_, SourcePosition{1, 1}}; }

  void Error(DiagCode code, SourceRegion where, std::string message) {
    diags_.push_back(MakeError(code, std::move(where), std::move(message)));
  }

  // Reports unknown keys in `table` (named `section` in messages, "" for the top level).
  void CheckKeys(const toml::table& table, std::string_view section, const std::vector<std::string>& known);
  bool ExpectType(const toml::node& node, toml::node_type type, std::string_view key, bool element = false);
  bool PlainText(const Located<std::string>& value, std::string_view key);

  std::optional<Located<std::string>> String(const toml::table& t, std::string_view section, std::string_view key);
  std::optional<Located<bool>> Bool(const toml::table& t, std::string_view section, std::string_view key);
  std::vector<Located<std::string>> StringList(const toml::table& t, std::string_view section, std::string_view key);
  const toml::table* Section(const toml::table& root, std::string_view key);

  void ParseVersion(const toml::table& root);
  void ParseIdentity(const toml::table& t, ProfileSettings& s);
  void ParseFilesystem(const toml::table& t, ProfileSettings& s);
  void ParseNetwork(const toml::table& t, ProfileSettings& s);
  void ParseEnv(const toml::table& t, ProfileSettings& s);
  void ParseLimits(const toml::table& t, ProfileSettings& s);

  template <typename E>
  std::optional<Located<E>> Enum(const toml::table& t, std::string_view section, std::string_view key,
                                 std::string_view what, const std::vector<std::pair<std::string, E>>& values);

  const std::string& file_;
  const std::string& origin_;
  std::vector<Diagnostic>& diags_;
  size_t errors_at_start_ = 0;
};

std::string Dotted(std::string_view section, std::string_view key) {
  return section.empty() ? std::string(key) : std::string(section) + "." + std::string(key);
}

std::string TypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

void Parser::CheckKeys(const toml::table& table, std::string_view section, const std::vector<std::string>& known) {
  for (const auto& [key, node] : table) {
    std::string k(key.str());
    if (std::find(known.begin(), known.end(), k) != known.end()) continue;
    std::string where = section.empty() ? "" : " in [" + std::string(section) + "]";
    Error(DiagCode::kUnknownKey, At(key.source()), "unknown key '" + k + "'" + where + DidYouMean(k, known));
  }
}

bool Parser::ExpectType(const toml::node& node, toml::node_type type, std::string_view key, bool element) {
  if (node.type() == type) return true;
  Error(DiagCode::kWrongType, At(node),
        std::string(element ? "each entry of '" : "'") + std::string(key) + "' must be " + TypeName(type) + ", not " +
            TypeName(node.type()));
  return false;
}

const toml::table* Parser::Section(const toml::table& root, std::string_view key) {
  const toml::node* node = root.get(key);
  if (!node) return nullptr;
  if (!ExpectType(*node, toml::node_type::table, key)) return nullptr;
  return node->as_table();
}

// Control characters have no place in a profile value: a NUL would cut a path short in
// every C API that later sees it, and escape sequences would reach the terminal.
bool Parser::PlainText(const Located<std::string>& v, std::string_view key) {
  const auto control = std::find_if(v.value.begin(), v.value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
  if (control == v.value.end()) return true;
  Error(DiagCode::kInvalidValue, v.where,
        "'" + std::string(key) + "' contains the control character 0x" + Hex(static_cast<unsigned char>(*control), 2) +
            "; use plain text");
  return false;
}

std::optional<Located<std::string>> Parser::String(const toml::table& t, std::string_view section, std::string_view key) {
  const toml::node* node = t.get(key);
  if (!node || !ExpectType(*node, toml::node_type::string, Dotted(section, key))) return std::nullopt;
  Located<std::string> v{node->as_string()->get(), At(*node)};
  if (!PlainText(v, Dotted(section, key))) return std::nullopt;
  return v;
}

std::optional<Located<bool>> Parser::Bool(const toml::table& t, std::string_view section, std::string_view key) {
  const toml::node* node = t.get(key);
  if (!node || !ExpectType(*node, toml::node_type::boolean, Dotted(section, key))) return std::nullopt;
  return Located<bool>{node->as_boolean()->get(), At(*node)};
}

std::vector<Located<std::string>> Parser::StringList(const toml::table& t, std::string_view section, std::string_view key) {
  std::vector<Located<std::string>> out;
  const toml::node* node = t.get(key);
  std::string name = Dotted(section, key);
  if (!node || !ExpectType(*node, toml::node_type::array, name)) return out;
  if (node->as_array()->size() > kMaxListEntries) {
    Error(DiagCode::kInvalidValue, At(*node),
          "'" + name + "' has " + std::to_string(node->as_array()->size()) + " entries; at most " +
              std::to_string(kMaxListEntries) + " are allowed");
    return out;
  }
  for (const auto& element : *node->as_array()) {
    if (!ExpectType(element, toml::node_type::string, name, true)) continue;
    Located<std::string> item{element.as_string()->get(), At(element)};
    if (item.value.empty()) {
      Error(DiagCode::kInvalidValue, item.where, "empty string in " + name);
      continue;
    }
    if (!PlainText(item, name)) continue;
    bool duplicate = std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.value == item.value; });
    if (!duplicate) out.push_back(std::move(item));
  }
  return out;
}

template <typename E>
std::optional<Located<E>> Parser::Enum(const toml::table& t, std::string_view section, std::string_view key,
                                       std::string_view what, const std::vector<std::pair<std::string, E>>& values) {
  auto s = String(t, section, key);
  if (!s) return std::nullopt;
  std::vector<std::string> names;
  for (const auto& [name, value] : values) {
    if (name == s->value) return Located<E>{value, s->where};
    names.push_back(name);
  }
  std::string expected;
  for (size_t i = 0; i < names.size(); ++i) expected += (i ? ", \"" : "\"") + names[i] + "\"";
  Error(DiagCode::kInvalidValue, s->where,
        "invalid " + std::string(what) + " '" + s->value + "'; expected one of " + expected + DidYouMean(s->value, names));
  return std::nullopt;
}

void Parser::ParseVersion(const toml::table& root) {
  const toml::node* node = root.get("version");
  if (!node) {
    Error(DiagCode::kMissingKey, FileStart(), "missing required key 'version'; add 'version = 1' at the top of the profile");
    return;
  }
  if (!ExpectType(*node, toml::node_type::integer, "version")) return;
  int64_t v = node->as_integer()->get();
  if (v != kProfileVersion) {
    Error(DiagCode::kUnsupportedVersion, At(*node),
          "unsupported profile version " + std::to_string(v) + "; this sandboxctl reads version " +
              std::to_string(kProfileVersion));
  }
}

void Parser::ParseIdentity(const toml::table& t, ProfileSettings& s) {
  CheckKeys(t, "identity", {"user", "exec_users"});
  for (auto& name : StringList(t, "identity", "exec_users")) {
    if (!IsValidUserName(name.value)) {
      Error(DiagCode::kInvalidName, name.where, "invalid user name '" + name.value + "' in identity.exec_users");
    } else if (name.value == "root") {
      Error(DiagCode::kReservedName, name.where, "identity.exec_users need not name root: root may exec any applied profile");
    } else {
      s.exec_users.push_back(std::move(name));
    }
  }
  auto user = String(t, "identity", "user");
  if (!user) return;
  if (!IsValidUserName(user->value)) {
    Error(DiagCode::kInvalidName, user->where,
          "invalid user name '" + user->value +
              "': use 1 to 32 characters: lower-case letters, digits, '_' and '-', starting with a letter or '_'");
  } else if (IsReservedUserName(user->value)) {
    Error(DiagCode::kReservedName, user->where,
          "user name '" + user->value + "' is reserved for the system; a sandbox needs an account of its own, e.g. 'sbx-" +
              user->value + "'");
  } else {
    s.user = user;
  }
}

void Parser::ParseFilesystem(const toml::table& t, ProfileSettings& s) {
  CheckKeys(t, "filesystem", {"writable", "read_only", "readable", "deny_read"});
  s.writable = StringList(t, "filesystem", "writable");
  s.read_only = StringList(t, "filesystem", "read_only");
  s.readable = StringList(t, "filesystem", "readable");
  s.deny_read = StringList(t, "filesystem", "deny_read");
}

void Parser::ParseNetwork(const toml::table& t, ProfileSettings& s) {
  CheckKeys(t, "network", {"mode", "loopback", "allow", "require_namespace"});
  s.network_mode = Enum<NetworkMode>(t, "network", "mode", "network mode",
                                     {{"offline", NetworkMode::kOffline},
                                      {"online", NetworkMode::kOnline},
                                      {"allowlist", NetworkMode::kAllowlist}});
  s.loopback = Bool(t, "network", "loopback");
  s.require_namespace = Bool(t, "network", "require_namespace");
  for (const auto& item : StringList(t, "network", "allow")) {
    NetParseResult r = ParseNetAllowEntry(item.value);
    if (!r.entry) {
      Error(r.error == NetParseError::kPort ? DiagCode::kInvalidPort : DiagCode::kInvalidCidr, item.where,
            "invalid network.allow entry '" + item.value + "': " + r.message);
      continue;
    }
    s.net_allow.push_back(Located<NetAllowEntry>{*r.entry, item.where});
  }
}

void Parser::ParseEnv(const toml::table& t, ProfileSettings& s) {
  CheckKeys(t, "env", {"inherit", "allow", "deny", "set"});
  s.env_inherit = Enum<EnvInherit>(t, "env", "inherit", "env.inherit value",
                                   {{"none", EnvInherit::kNone}, {"core", EnvInherit::kCore}, {"all", EnvInherit::kAll}});
  for (auto [key, list] : {std::pair{"allow", &s.env_allow}, std::pair{"deny", &s.env_deny}}) {
    for (auto& item : StringList(t, "env", key)) {
      if (!IsValidEnvPattern(item.value)) {
        Error(DiagCode::kInvalidPattern, item.where,
              "invalid env." + std::string(key) + " pattern '" + item.value +
                  "': use letters, digits, '_' and the wildcards '*' and '?'");
        continue;
      }
      list->push_back(std::move(item));
    }
  }
  if (const toml::node* node = t.get("set")) {
    if (!ExpectType(*node, toml::node_type::table, "env.set")) return;
    for (const auto& [key, value] : *node->as_table()) {
      std::string name(key.str());
      if (!IsValidEnvName(name)) {
        Error(DiagCode::kInvalidName, At(key.source()),
              "invalid environment variable name '" + name + "' in env.set: use letters, digits and '_', not starting with a digit");
        continue;
      }
      if (!ExpectType(value, toml::node_type::string, "env.set." + name)) continue;
      Located<std::string> v{value.as_string()->get(), At(value)};
      if (!PlainText(v, "env.set." + name)) continue;
      s.env_set[name] = std::move(v);
    }
  }
}

void Parser::ParseLimits(const toml::table& t, ProfileSettings& s) {
  CheckKeys(t, "limits", {"timeout", "memory", "processes"});
  if (auto v = String(t, "limits", "timeout")) {
    auto seconds = ParseDuration(v->value);
    if (!seconds || *seconds == 0) {
      Error(DiagCode::kInvalidDuration, v->where,
            "invalid limits.timeout '" + v->value + R"(': use a positive duration such as "90s", "30m" or "1h30m")");
    } else {
      s.timeout_seconds = Located<uint64_t>{*seconds, v->where};
    }
  }
  if (auto v = String(t, "limits", "memory")) {
    auto bytes = ParseSize(v->value);
    if (!bytes || *bytes == 0) {
      Error(DiagCode::kInvalidSize, v->where,
            "invalid limits.memory '" + v->value +
                R"(': use a positive whole number and one of the units B, KiB, MiB, GiB, TiB (1024) or KB, MB, GB, TB (1000), with no space: "512MiB", "4GiB", "4GB")");
    } else {
      s.memory_bytes = Located<uint64_t>{*bytes, v->where};
    }
  }
  if (const toml::node* node = t.get("processes")) {
    if (!ExpectType(*node, toml::node_type::integer, "limits.processes")) return;
    int64_t n = node->as_integer()->get();
    if (n < 1 || n > 4194304) {
      Error(DiagCode::kInvalidValue, At(*node),
            "invalid limits.processes " + std::to_string(n) + ": use a number from 1 to 4194304");
      return;
    }
    s.processes = Located<uint64_t>{static_cast<uint64_t>(n), At(*node)};
  }
}

ParsedProfile Parser::Run(const toml::table& root) {
  errors_at_start_ = diags_.size();
  ParsedProfile out;
  CheckKeys(root, "", {"version", "description", "extends", "isolation", "identity", "filesystem", "network", "env",
                       "limits"});
  ParseVersion(root);
  out.settings.description = String(root, "", "description");
  out.settings.isolation = Enum<IsolationRequirement>(root, "", "isolation", "isolation",
                                                      {{"any", IsolationRequirement::kAny}, {"user", IsolationRequirement::kUser}});
  out.extends = String(root, "", "extends");
  if (out.extends && out.extends->value.empty()) {
    Error(DiagCode::kInvalidValue, out.extends->where, "'extends' is empty; name a profile or a relative path");
    out.extends.reset();
  }
  if (const auto* t = Section(root, "identity")) ParseIdentity(*t, out.settings);
  if (const auto* t = Section(root, "filesystem")) ParseFilesystem(*t, out.settings);
  if (const auto* t = Section(root, "network")) ParseNetwork(*t, out.settings);
  if (const auto* t = Section(root, "env")) ParseEnv(*t, out.settings);
  if (const auto* t = Section(root, "limits")) ParseLimits(*t, out.settings);
  out.ok = !HasErrors(std::vector<Diagnostic>(diags_.begin() + static_cast<long>(errors_at_start_), diags_.end()));
  return out;
}

// toml++ 3.3 (Debian 12) asks of many characters whether they are non-ASCII whitespace,
// and for some it answers with undefined behaviour: its table sends them to a switch
// without their case (found by fuzz/fuzz_profile.cc, e.g. "version = Аtene"). Those
// characters are kept out of its way: before parsing, each is moved to its own code point
// in Supplementary Private Use Area-A (U+F0000 up), which the library handles safely and
// which no profile may contain; every string read back, and every message, is moved back.
// Positions do not change: one character stands for one.
constexpr uint32_t kParked = 0xF0000;
constexpr uint32_t kParkedEnd = 0xFFFFE;  // the area ends at U+FFFFD

bool TomlMisjudges(uint32_t c) {
  if (c <= 0xA0 || c >= 0xFEFF || c == 0x3000) return false;  // the ones it answers before its table
  const uint64_t index = (c - 0xA0) / 0x3FA;                    // the library's own arithmetic
  return !((uint64_t{1} << index) & 0x7FFFFFFFFFFFF75Eull) && index != 5 && index != 7;
}

void AppendUtf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// `text` with each code point c replaced by map(c); `text` is valid UTF-8.
template <typename Map>
std::string MapCodePoints(std::string_view text, Map map) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    uint32_t c = 0;
    const size_t len = DecodeUtf8(text, i, &c);
    if (len == 0) {  // not UTF-8 (a message quoting bytes): kept as it is
      out += text[i++];
      continue;
    }
    AppendUtf8(out, map(c));
    i += len;
  }
  return out;
}

std::string Unpark(std::string_view text) {
  if (text.find('\xF3') == std::string_view::npos) return std::string(text);  // no U+C0000..U+FFFFF at all
  return MapCodePoints(text, [](uint32_t c) {
    const uint32_t original = c - kParked + 0xA0;
    return c >= kParked && c < kParkedEnd && TomlMisjudges(original) ? original : c;
  });
}

// Every string value of the document, moved back in place.
void UnparkStrings(toml::node& node) {
  if (auto* t = node.as_table()) {
    for (auto&& [key, child] : *t) UnparkStrings(child);
  } else if (auto* a = node.as_array()) {
    for (auto& child : *a) UnparkStrings(child);
  } else if (auto* v = node.as_string()) {
    v->get() = Unpark(v->get());
  }
}

// The first thing a profile may not contain, with its position: a byte that is not
// UTF-8, or a code point of the area characters are parked in.
struct Refused {
  SourcePosition where;
  std::optional<unsigned char> bad_byte;
  uint32_t code_point = 0;
};

std::optional<Refused> FindRefused(std::string_view text) {
  int line = 1, column = 1;
  for (size_t i = 0; i < text.size();) {
    uint32_t c = 0;
    const size_t len = DecodeUtf8(text, i, &c);
    if (len == 0) return Refused{{line, column}, static_cast<unsigned char>(text[i])};
    if (c >= kParked && c < kParkedEnd) return Refused{{line, column}, std::nullopt, c};
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += len;
  }
  return std::nullopt;
}

}  // namespace

ParsedProfile ParseProfileText(std::string_view text, const std::string& display_path, const std::string& origin,
                               std::vector<Diagnostic>& diagnostics) {
  if (std::all_of(text.begin(), text.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); })) {
    diagnostics.push_back(MakeError(DiagCode::kEmptyFile, SourceRegion{display_path, origin, {}},
                                    "profile is empty; it needs at least 'version = 1'"));
    return {};
  }
  if (auto refused = FindRefused(text)) {
    std::string message;
    if (refused->bad_byte) {
      message = "invalid UTF-8 (byte 0x" + Hex(*refused->bad_byte, 2) + "); profiles must be UTF-8 text";
    } else {
      char name[16];  // "U+" and at most six digits: snprintf cannot fail or cut it short
      (void)std::snprintf(name, sizeof name, "U+%04X", refused->code_point);
      message = "private-use character " + std::string(name) + " is not allowed in profiles";
    }
    diagnostics.push_back(MakeError(DiagCode::kTomlSyntax, SourceRegion{display_path, origin, refused->where}, message));
    return {};
  }
  toml::table root;
  try {
    root = toml::parse(MapCodePoints(text, [](uint32_t c) { return TomlMisjudges(c) ? c - 0xA0 + kParked : c; }),
                       std::string_view{display_path});
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    diagnostics.push_back(MakeError(DiagCode::kTomlSyntax,
                                    SourceRegion{display_path, origin, {static_cast<int>(b.line), static_cast<int>(b.column)}},
                                    "not valid TOML: " + Unpark(e.description())));
    return {};
  }
  UnparkStrings(root);
  const size_t first = diagnostics.size();
  ParsedProfile parsed = Parser(display_path, origin, diagnostics).Run(root);
  for (size_t i = first; i < diagnostics.size(); ++i) diagnostics[i].message = Unpark(diagnostics[i].message);
  return parsed;
}

std::optional<uint64_t> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t total = 0;
  size_t i = 0;
  char last_unit = 0;
  static constexpr std::string_view kUnits = "dhms";
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j == i || j >= text.size() || j - i > 9) return std::nullopt;
    uint64_t n = 0;
    std::from_chars(text.data() + i, text.data() + j, n);
    char unit = text[j];
    size_t pos = kUnits.find(unit);
    // Units appear at most once, largest first: "1h30m", not "30m1h".
    if (pos == std::string_view::npos || (last_unit && pos <= kUnits.find(last_unit))) return std::nullopt;
    static constexpr uint64_t kSeconds[] = {86400, 3600, 60, 1};
    total += n * kSeconds[pos];
    last_unit = unit;
    i = j + 1;
  }
  return total;
}

std::optional<uint64_t> ParseSize(std::string_view text) {
  size_t j = 0;
  while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
  if (j == 0 || j > 15) return std::nullopt;
  uint64_t n = 0;
  std::from_chars(text.data(), text.data() + j, n);
  static const std::array<std::pair<std::string_view, uint64_t>, 9> kUnits{{
      {"B", 1}, {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30}, {"TiB", 1ULL << 40},
      {"KB", 1000ULL}, {"MB", 1000000ULL}, {"GB", 1000000000ULL}, {"TB", 1000000000000ULL}}};
  std::string_view unit = text.substr(j);
  for (const auto& [name, factor] : kUnits) {
    if (unit != name) continue;
    if (n > UINT64_MAX / factor) return std::nullopt;
    return n * factor;
  }
  return std::nullopt;
}

bool IsReservedUserName(std::string_view name) {
  static const std::array<std::string_view, 44> kReserved{
      "root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy",
      "www-data", "backup", "list", "irc", "gnats", "nobody", "nogroup", "_apt", "messagebus", "sshd",
      "systemd-network", "systemd-resolve", "systemd-timesync", "systemd-coredump", "polkitd", "avahi",
      "sudo", "adm", "wheel", "staff", "users", "shadow", "admin", "administrator", "guest", "system",
      "defaultaccount", "wdagutilityaccount", "everyone", "sandboxctl", "operator", "postgres"};
  return std::find(kReserved.begin(), kReserved.end(), name) != kReserved.end() ||
         StartsWith(name, "systemd-");
}

bool IsValidEnvPattern(std::string_view pattern) {
  return !pattern.empty() && std::all_of(pattern.begin(), pattern.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '*' || c == '?';
  });
}

bool IsValidEnvName(std::string_view name) {
  // The iterators are the caller's characters: cppcheck takes the string_view for their owner.
  return !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
         std::all_of(name.begin(), name.end(),  // cppcheck-suppress invalidLifetime
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

}  // namespace sbx
