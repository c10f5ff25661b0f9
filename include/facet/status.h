// Status and Result<T>: how facet reports expected errors. No exception crosses the public API.
//
// Thread-safety: both are plain values; distinct objects may be used from different threads.
#ifndef FACET_STATUS_H_
#define FACET_STATUS_H_

#include <optional>
#include <string>
#include <utility>

namespace facet {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller passed something malformed (bad option, bad JSON, bad path)
  kNotFound,            // a file or model that should exist does not
  kCorruptData,         // input bytes exist but cannot be decoded (truncated, corrupt, wrong type)
  kResourceExhausted,   // input exceeds a configured limit (e.g. too many pixels)
  kFailedPrecondition,  // the system is not in a state to do this (e.g. model checksum mismatch)
  kNoFace,              // an operation needed a face and none was found
  kInternal,            // a bug or an unexpected failure in a dependency
  kStoreCorrupt,  // a stored row fails its integrity check (changed outside facet); fail closed
  kCancelled,     // the caller asked a long operation to stop (e.g. RedactVideo's `cancelled`)
};

// Returns a stable lowercase name for `code`, e.g. "invalid_argument".
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status CorruptData(std::string m) { return {StatusCode::kCorruptData, std::move(m)}; }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status NoFace(std::string m) { return {StatusCode::kNoFace, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status StoreCorrupt(std::string m) { return {StatusCode::kStoreCorrupt, std::move(m)}; }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "code_name: message", or "ok".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value of T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.ok()) status_ = Status::Internal("Result constructed from an OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace facet

// Returns early from the enclosing function if `expr` (a Status) is not OK. The temporary has a
// unique name, so the macro nests (e.g. inside a lambda passed in `expr`) without shadowing.
#define FACET_RETURN_IF_ERROR(expr) FACET_RETURN_IF_ERROR_IMPL_(expr, __COUNTER__)
#define FACET_RETURN_IF_ERROR_IMPL_(expr, n) \
  FACET_RETURN_IF_ERROR_NAMED_(expr, FACET_STATUS_CONCAT_(facet_status_, n))
#define FACET_STATUS_CONCAT_(a, b) FACET_STATUS_CONCAT2_(a, b)
#define FACET_STATUS_CONCAT2_(a, b) a##b
// NOLINTBEGIN(bugprone-macro-parentheses): `name` is a declarator, it cannot be parenthesised.
#define FACET_RETURN_IF_ERROR_NAMED_(expr, name) \
  do {                                           \
    ::facet::Status name = (expr);               \
    if (!name.ok()) return name;                 \
  } while (false)
// NOLINTEND(bugprone-macro-parentheses)

#endif  // FACET_STATUS_H_
