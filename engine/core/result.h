// Result<T>: system failures as values, with a stable code, the call and the object.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace sbx {

struct Error {
  std::string code;     // stable snake_case, e.g. "io_error"
  std::string call;     // the operation that failed, e.g. "open"
  std::string object;   // what it was applied to, e.g. a path
  std::string message;  // e.g. strerror(errno)

  // "open(/etc/x): Permission denied"; "message" alone when there is no call.
  std::string Render() const;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace sbx
