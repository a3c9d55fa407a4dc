#include "engine/profile/paths.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "engine/core/strings.h"
#include "engine/core/suggest.h"

namespace sbx {
namespace {

char Sep(PathStyle style) { return style == PathStyle::kWindows ? '\\' : '/'; }
bool IsSep(char c, PathStyle style) { return c == '/' || (style == PathStyle::kWindows && c == '\\'); }

// Length of the root prefix: "/" (posix); "C:\", "\\server\share\" or "\" (windows).
size_t RootLength(std::string_view p, PathStyle style) {
  if (style == PathStyle::kPosix) return !p.empty() && p[0] == '/' ? 1 : 0;
  if (p.size() >= 3 && std::isalpha(static_cast<unsigned char>(p[0])) && p[1] == ':' && IsSep(p[2], style)) return 3;
  if (p.size() >= 2 && IsSep(p[0], style) && IsSep(p[1], style)) {  // UNC: \\server\share\ .
    size_t server_end = p.find_first_of("\\/", 2);
    if (server_end == std::string_view::npos || server_end == 2) return 0;
    size_t share_end = p.find_first_of("\\/", server_end + 1);
    if (share_end == server_end + 1) return 0;
    return share_end == std::string_view::npos ? p.size() : share_end + 1;
  }
  if (!p.empty() && IsSep(p[0], style)) return 1;
  return 0;
}

std::string CanonicalRoot(std::string_view root, PathStyle style) {
  std::string out(root);
  if (style == PathStyle::kWindows) {
    std::replace(out.begin(), out.end(), '/', '\\');
    if (out.size() >= 2 && out[1] == ':') out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
    if (out.back() != '\\') out += '\\';
  }
  return out;
}

std::string Fold(std::string_view s, PathStyle style) {
  return style == PathStyle::kWindows ? ToLower(s) : std::string(s);
}

}  // namespace

bool IsAbsolutePath(std::string_view path, PathStyle style) { return RootLength(path, style) > 0; }

bool IsFilesystemRoot(std::string_view path, PathStyle style) {
  size_t n = RootLength(path, style);
  return n > 0 && n >= path.size();
}

std::optional<std::string> NormalizePath(std::string_view path, PathStyle style) {
  size_t root_len = RootLength(path, style);
  if (root_len == 0) return std::nullopt;
  std::string root = CanonicalRoot(path.substr(0, root_len), style);
  std::vector<std::string_view> parts;
  size_t i = root_len;
  while (i <= path.size()) {
    size_t j = i;
    while (j < path.size() && !IsSep(path[j], style)) ++j;
    std::string_view part = path.substr(i, j - i);
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out = root;
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k) out += Sep(style);
    out += parts[k];
  }
  return out;
}

bool IsWithin(std::string_view path, std::string_view root, PathStyle style) {
  std::string p = Fold(path, style), r = Fold(root, style);
  if (p == r) return true;
  if (p.size() <= r.size() || p.compare(0, r.size(), r) != 0) return false;
  return r.back() == Sep(style) || p[r.size()] == Sep(style);
}

std::vector<std::string> Ancestors(std::string_view path, PathStyle style) {
  std::vector<std::string> out;
  size_t root_len = RootLength(path, style);
  std::string current(path);
  while (current.size() > root_len) {
    size_t pos = current.find_last_of(Sep(style));
    if (pos == std::string::npos || pos < root_len) break;
    current.resize(pos);
    if (current.size() <= root_len) break;
    out.push_back(current);
  }
  return out;
}

std::string JoinPath(std::string_view base, std::string_view name, PathStyle style) {
  std::string out(base);
  if (out.empty() || out.back() != Sep(style)) out += Sep(style);
  out += name;
  return out;
}

const std::string* PathVariable(const PathVariables& vars, std::string_view name) {
  return name == "workspace" ? &vars.workspace
         : name == "home"    ? &vars.home
         : name == "tmp"     ? &vars.tmp
         : name == "user"    ? &vars.user
                             : nullptr;
}

ExpandedPath ExpandPathTemplate(std::string_view raw, const PathVariables& vars, PathStyle style) {
  ExpandedPath r;
  static const std::vector<std::string> kNames{"workspace", "home", "tmp", "user"};
  if (!raw.empty() && raw[0] == '~') {
    r.message = "'~' is not expanded; write ${home} instead";
    r.code = DiagCode::kUnknownVariable;
    return r;
  }
  // A glob would be taken literally and match nothing: a deny_read = ["**/*.env"] would
  // protect nothing without a word. (Windows refuses '*' and '?' in names itself, below.)
  for (size_t i = 0; style == PathStyle::kPosix && i < raw.size(); ++i) {
    if (raw.compare(i, 2, "${") == 0) {
      i = std::min(raw.find('}', i), raw.size() - 1);
      continue;
    }
    if (raw[i] == '*' || raw[i] == '?' || raw[i] == '[') {
      r.code = DiagCode::kInvalidPattern;
      r.message = "path '" + std::string(raw) + "' is a pattern ('" + raw[i] +
                  "'); paths are taken literally and patterns are not supported: name each path, e.g. "
                  "'${workspace}/.env'";
      return r;
    }
  }
  std::string expanded;
  std::string anchor;  // expansion of a leading path variable: the result must stay inside it
  for (size_t i = 0; i < raw.size();) {
    if (raw.compare(i, 2, "${") != 0) {
      expanded += raw[i++];
      continue;
    }
    size_t close = raw.find('}', i + 2);
    if (close == std::string_view::npos) {
      r.message = "unterminated '${' in path '" + std::string(raw) + "'";
      return r;
    }
    std::string name(raw.substr(i + 2, close - i - 2));
    const std::string* value = PathVariable(vars, name);
    if (!value) {
      r.code = DiagCode::kUnknownVariable;
      r.message = "unknown variable '${" + name + "}'; known: ${workspace}, ${home}, ${tmp}, ${user}" +
                  DidYouMean(name, kNames);
      return r;
    }
    if (value->empty()) {
      r.code = DiagCode::kUnknownVariable;
      r.message = "'${" + name + "}' has no value here (" +
                  (name == "home" || name == "user" ? "the invoking user is unknown" : "no " + name + " was given") + ")";
      return r;
    }
    if (name != "user" && !IsAbsolutePath(*value, style)) {
      r.code = DiagCode::kRelativePath;
      r.message = "'${" + name + "}' is '" + *value + "', not an absolute path";
      return r;
    }
    if (i == 0 && name != "user") anchor = *value;
    expanded += *value;
    i = close + 1;
  }
  if (!IsAbsolutePath(expanded, style)) {
    r.code = DiagCode::kRelativePath;
    r.message = "path '" + std::string(raw) + "' is relative; start it with '" +
                (style == PathStyle::kWindows ? "C:\\" : "/") + "' or with ${workspace}, ${home} or ${tmp}";
    return r;
  }
  if (style == PathStyle::kWindows) {
    if (auto problem = WindowsPathProblem(expanded)) {
      r.code = DiagCode::kInvalidValue;
      r.message = "path '" + std::string(raw) + "': " + *problem;
      return r;
    }
  }
  auto normal = NormalizePath(expanded, style);
  if (!normal) {
    r.code = DiagCode::kEscapingPath;
    r.message = "path '" + std::string(raw) + "' climbs above the root with '..'";
    return r;
  }
  if (!anchor.empty()) {
    auto anchor_normal = NormalizePath(anchor, style);
    if (anchor_normal && !IsWithin(*normal, *anchor_normal, style)) {
      r.code = DiagCode::kEscapingPath;
      std::string var(raw.substr(0, raw.find('}') + 1));
      r.message = "path '" + std::string(raw) + "' escapes " + var + " (" + *anchor_normal + ") with '..'";
      return r;
    }
  }
  r.path = *normal;
  return r;
}

std::optional<std::string> WindowsPathProblem(std::string_view path) {
  if (path.substr(0, 4) == R"(\\?\)" || path.substr(0, 4) == R"(\\.\)" || path.substr(0, 4) == "//?/" ||
      path.substr(0, 4) == "//./") {
    return std::string(R"(device and \\?\ paths are not allowed; write a drive path such as C:\src)");
  }
  size_t root_len = RootLength(path, PathStyle::kWindows);
  if (root_len >= 2 && IsSep(path[0], PathStyle::kWindows) && IsSep(path[1], PathStyle::kWindows)) {
    std::string_view share = path.substr(0, root_len);
    while (!share.empty() && IsSep(share.back(), PathStyle::kWindows)) share.remove_suffix(1);
    if (!share.empty() && share.back() == '$') return std::string("administrative shares (ending in '$') are not allowed");
  }
  size_t i = root_len;
  while (i < path.size()) {
    size_t j = i;
    while (j < path.size() && !IsSep(path[j], PathStyle::kWindows)) ++j;
    std::string_view part = path.substr(i, j - i);
    if (part != "." && part != ".." && !part.empty()) {
      if (part.back() == '.' || part.back() == ' ') {
        return "'" + std::string(part) + "' ends in a dot or space, which Windows drops; write the name without it";
      }
      if (part.find(':') != std::string_view::npos) {
        return "'" + std::string(part) + "' contains ':' (a drive or stream name) after the start of the path";
      }
      size_t tilde = part.find('~');
      if (tilde != std::string_view::npos && tilde + 1 < part.size() &&
          std::isdigit(static_cast<unsigned char>(part[tilde + 1]))) {
        return "'" + std::string(part) + "' looks like a short (8.3) name; write the long name";
      }
      if (part.find_first_of("<>\"|?*") != std::string_view::npos) {
        return "'" + std::string(part) + "' contains a character Windows does not allow in names";
      }
    }
    i = j + 1;
  }
  return std::nullopt;
}

std::optional<std::string> SystemDirectoryHit(std::string_view path, PathStyle style) {
  if (style == PathStyle::kPosix) {
    // Never granted, nor anything beneath them; /swapfile and /swap.img are the machine's
    // memory.
    static const std::array<std::string_view, 16> kTrees{"/etc",  "/usr",  "/bin",  "/sbin", "/lib",      "/boot",
                                                         "/dev",  "/proc", "/sys",  "/efi",  "/snap",     "/root",
                                                         "/run",  "/var",  "/swapfile", "/swap.img"};
    // Never granted as a whole; subdirectories may be (e.g. /home/dev/src, /opt/sdk to read).
    static const std::array<std::string_view, 7> kExact{"/", "/home", "/tmp", "/opt", "/srv", "/mnt", "/media"};
    // Beneath /var only these may be named, and not as a whole: build caches and the
    // temporary directories of sandboxctl itself; but not the caches root's package
    // tools read back (apt's archives, debconf's answers, ldconfig's).
    static const std::array<std::string_view, 3> kVarCacheRoot{"/var/cache/apt", "/var/cache/debconf",
                                                               "/var/cache/ldconfig"};
    for (auto dir : kVarCacheRoot) {
      if (IsWithin(path, dir, style)) return std::string(dir);
    }
    static const std::array<std::string_view, 2> kVarOpen{"/var/tmp", "/var/cache"};
    for (auto dir : kVarOpen) {
      if (IsWithin(path, dir, style) && path != dir) return std::nullopt;
    }
    for (auto dir : kExact) {
      if (path == dir) return std::string(dir);
    }
    for (auto dir : kTrees) {
      if (IsWithin(path, dir, style)) return std::string(dir);
      // The other way round: `path` is an ancestor of a system directory.
      if (IsWithin(dir, path, style)) return std::string(path);  // NOLINT(readability-suspicious-call-argument)
    }
    // /lib32, /lib64, /libx32 and other /lib* directories.
    if (StartsWith(path, "/lib")) {
      size_t end = path.find('/', 1);
      return std::string(path.substr(0, end));
    }
    return std::nullopt;
  }
  size_t root_len = RootLength(path, style);
  std::string root = std::string(path.substr(0, root_len));
  if (path.size() <= root_len) return root;
  static const std::array<std::string_view, 10> kTrees{
      "Windows",           "Program Files",        "Program Files (x86)",   "$Recycle.Bin",
      "ProgramData",       "Documents and Settings", "Users\\All Users",     "Users\\Default",
      "Users\\Default User", "System Volume Information"};
  static const std::array<std::string_view, 2> kExact{"Users", "Users\\Public"};
  for (auto dir : kTrees) {
    std::string full = root + std::string(dir);
    if (IsWithin(path, full, style)) return full;
  }
  for (auto dir : kExact) {
    std::string full = root + std::string(dir);
    if (ToLower(path) == ToLower(full)) return full;
  }
  return std::nullopt;
}

}  // namespace sbx
