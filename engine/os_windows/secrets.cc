#include "engine/os_windows/secrets.h"

#include <windows.h>
#include <bcrypt.h>
#include <dpapi.h>

#include <cstdio>

#include "engine/os_windows/password.h"
#include "engine/os_windows/text.h"

namespace sbx {
namespace {

// The label as DPAPI's optional entropy: unprotecting needs the same bytes.
DATA_BLOB EntropyOf(std::string_view label) {
  return DATA_BLOB{static_cast<DWORD>(label.size()), reinterpret_cast<BYTE*>(const_cast<char*>(label.data()))};
}

}  // namespace

Result<std::vector<uint8_t>> SystemRandomBytes(size_t count) {
  std::vector<uint8_t> out(count);
  const NTSTATUS status = BCryptGenRandom(nullptr, out.data(), static_cast<ULONG>(out.size()),
                                          BCRYPT_USE_SYSTEM_PREFERRED_RNG);
  if (status != 0) {
    char code[16];
    std::snprintf(code, sizeof code, "0x%08lX", static_cast<unsigned long>(status));
    return Error{"host_error", "BCryptGenRandom", "", std::string("NTSTATUS ") + code};
  }
  return out;
}

Result<std::string> GeneratePassword() {
  auto random = SystemRandomBytes(kPasswordRandomBytes);
  if (!random.ok()) return random.error();
  std::string password = PasswordFromRandomBytes(*random);
  SecureZeroMemory(random->data(), random->size());
  return password;
}

Result<std::vector<uint8_t>> ProtectSecret(std::string_view secret, std::string_view label, bool machine) {
  DATA_BLOB in{static_cast<DWORD>(secret.size()), reinterpret_cast<BYTE*>(const_cast<char*>(secret.data()))};
  DATA_BLOB entropy = EntropyOf(label);
  DATA_BLOB out{};
  const std::wstring description = Wide(std::string("sandboxctl: ") + std::string(label));
  const DWORD flags = CRYPTPROTECT_UI_FORBIDDEN | (machine ? CRYPTPROTECT_LOCAL_MACHINE : 0);
  if (!CryptProtectData(&in, description.c_str(), &entropy, nullptr, nullptr, flags, &out)) {
    const DWORD err = GetLastError();
    return Win32Failed("CryptProtectData", std::string(label), err);
  }
  std::vector<uint8_t> blob(out.pbData, out.pbData + out.cbData);
  LocalFree(out.pbData);
  return blob;
}

Result<std::string> UnprotectSecret(const std::vector<uint8_t>& blob, std::string_view label) {
  DATA_BLOB in{static_cast<DWORD>(blob.size()), const_cast<BYTE*>(blob.data())};
  DATA_BLOB entropy = EntropyOf(label);
  DATA_BLOB out{};
  if (!CryptUnprotectData(&in, nullptr, &entropy, nullptr, nullptr, CRYPTPROTECT_UI_FORBIDDEN, &out)) {
    const DWORD err = GetLastError();
    return Win32Failed("CryptUnprotectData", std::string(label), err);
  }
  std::string secret(reinterpret_cast<const char*>(out.pbData), out.cbData);
  SecureZeroMemory(out.pbData, out.cbData);
  LocalFree(out.pbData);
  return secret;
}

}  // namespace sbx
