#include "engine/os_windows/password.h"

namespace sbx {

std::string PasswordFromRandomBytes(const std::vector<uint8_t>& random) {
  if (random.size() < kPasswordRandomBytes) return "";
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  for (size_t i = 0; i < 32; ++i) out += kAlphabet[random[i] & 0x3F];
  static constexpr const char* kKinds[] = {"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "0123456789",
                                           "!#%+-=?_"};
  for (size_t k = 0; k < 4; ++k) {
    const std::string kind = kKinds[k];
    out += kind[random[32 + k] % kind.size()];
  }
  return out;
}

}  // namespace sbx
