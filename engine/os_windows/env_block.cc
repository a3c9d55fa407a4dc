#include "engine/os_windows/env_block.h"

#include <algorithm>
#include <vector>

namespace sbx {
namespace {

// Windows compares names by their upper-case form (the names are ASCII here).
std::string Upper(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace

Result<std::string> EnvironmentBlock(const std::map<std::string, std::string>& env) {
  std::vector<std::pair<std::string, const std::pair<const std::string, std::string>*>> sorted;
  for (const auto& entry : env) {
    const std::string& name = entry.first;
    if (name.empty() || name.find('=') != std::string::npos || name.find('\0') != std::string::npos) {
      return Error{"invalid_environment", "", name, "not a variable name Windows can keep"};
    }
    // Windows folds the case of every letter, not only of ASCII ones, when it compares
    // names: two non-ASCII names could be one variable there. Only ASCII names pass.
    for (char c : name) {
      if (static_cast<unsigned char>(c) >= 0x80) {
        return Error{"invalid_environment", "", name, "a variable name with a character that is not ASCII"};
      }
    }
    if (entry.second.find('\0') != std::string::npos) {
      return Error{"invalid_environment", "", name, "its value holds a NUL character"};
    }
    sorted.emplace_back(Upper(name), &entry);
  }
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string block;
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0 && sorted[i].first == sorted[i - 1].first) {
      return Error{"invalid_environment", "", sorted[i].second->first,
                   "differs from " + sorted[i - 1].second->first + " only in case; Windows would keep one of them"};
    }
    block += sorted[i].second->first + "=" + sorted[i].second->second;
    block += '\0';
  }
  if (block.empty()) block += '\0';  // an empty block is two NULs
  block += '\0';
  return block;
}

}  // namespace sbx
