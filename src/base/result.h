// Result<T>: a value or an Error. Errors are values on the control path; exceptions never cross
// a layer boundary or the event loop.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace gatehouse {

enum class ErrorKind : std::uint8_t {
  kInvalid,   // the input is malformed or violates a rule
  kNotFound,  // a file, object or key does not exist
  kIo,        // the operating system refused (open, read, socket)
  kTimeout,
  kConflict,
  kInternal,
};

// Which side of the proxy an error concerns: the configuration, the client (f1) or the pod (f2).
enum class Side : std::uint8_t { kConfig, kDownstream, kUpstream };

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  Side side = Side::kConfig;
  bool retryable = false;  // true only when repeating the operation is safe and may succeed
  std::string message;     // what went wrong, naming the file / object / field / connection

  static Error invalid(std::string message) {
    return Error{ErrorKind::kInvalid, Side::kConfig, false, std::move(message)};
  }
  static Error not_found(std::string message) {
    return Error{ErrorKind::kNotFound, Side::kConfig, false, std::move(message)};
  }
  static Error io(std::string message) {
    return Error{ErrorKind::kIo, Side::kConfig, false, std::move(message)};
  }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace gatehouse
