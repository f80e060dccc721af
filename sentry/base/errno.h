// Error values inside the sentry.
//
// Syscall handlers, the VFS, the memory manager and the platform report Linux
// errno values, not absl::Status: the application sees exactly these numbers,
// and the hot path must not allocate. Errno is a strong type for a positive
// Linux errno (Errno{ENOENT}); ErrnoOr<T> holds a value or an Errno.
//
// The seam with the rest of the project (gofer client, loader, boot), which
// speaks absl::Status, is ErrnoToStatus / StatusToErrno below.
#ifndef SENTRY_BASE_ERRNO_H_
#define SENTRY_BASE_ERRNO_H_

#include <cerrno>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sentry {

// A positive Linux errno value: Errno{ENOENT}.
enum class Errno : int {};

inline int ToInt(Errno e) { return static_cast<int>(e); }

// The symbolic name ("ENOENT"), or "E<number>" for one we do not name.
absl::string_view ErrnoName(Errno e);

// ErrnoOr<T>: a T or an Errno. Cheap to return; never allocates by itself.
template <typename T>
class [[nodiscard]] ErrnoOr {
 public:
  ErrnoOr(T value)
      : v_(std::in_place_index<0>, std::move(value)) {
  }  // NOLINT: implicit by design
  ErrnoOr(Errno err)
      : v_(std::in_place_index<1>, err) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  Errno error() const { return std::get<1>(v_); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Errno> v_;
};

// ErrnoOr<void>: success or an Errno. Default-constructed means success.
template <>
class [[nodiscard]] ErrnoOr<void> {
 public:
  ErrnoOr() = default;
  ErrnoOr(Errno err) : err_(ToInt(err)) {}  // NOLINT: implicit by design
  bool ok() const { return err_ == 0; }
  Errno error() const { return Errno{err_}; }

 private:
  int err_ = 0;
};

using ErrnoStatus = ErrnoOr<void>;
inline ErrnoStatus OkErrno() { return ErrnoStatus(); }

// The seam with absl::Status. StatusToErrno prefers the errno recorded by
// base::ErrnoStatus and otherwise maps the canonical code (NotFound ->
// ENOENT, PermissionDenied -> EACCES, ...; anything unknown -> EIO).
absl::Status ErrnoToStatus(Errno e, absl::string_view what);
Errno StatusToErrno(const absl::Status& status);

}  // namespace sentry

#define SENTRY_CONCAT_INNER_(a, b) a##b
#define SENTRY_CONCAT_(a, b) SENTRY_CONCAT_INNER_(a, b)

// Returns the Errno from the enclosing function if `expr` (an ErrnoOr<...>)
// failed.
#define RETURN_IF_ERRNO(expr)                          \
  do {                                                 \
    auto sentry_res_ = (expr);                         \
    if (!sentry_res_.ok()) return sentry_res_.error(); \
  } while (0)

// ASSIGN_OR_RETURN_ERRNO(lhs, expr): on error returns the Errno, otherwise
// moves the value into `lhs`.
#define ASSIGN_OR_RETURN_ERRNO(lhs, expr) \
  ASSIGN_OR_RETURN_ERRNO_IMPL_(SENTRY_CONCAT_(sentry_or_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_ERRNO_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.error();                 \
  lhs = std::move(tmp).value()

#endif  // SENTRY_BASE_ERRNO_H_
