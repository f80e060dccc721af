// Typed application addresses (in the style of SerenityOS's Userspace<T*> and
// Starnix's UserAddress): a UserAddr is never a host pointer, cannot be
// dereferenced, and all arithmetic that could wrap is checked.
#ifndef SENTRY_MM_USERMEM_H_
#define SENTRY_MM_USERMEM_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <type_traits>

namespace sentry::mm {

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kPageMask = kPageSize - 1;

inline constexpr uint64_t PageDown(uint64_t v) { return v & ~kPageMask; }
// Rounds up; nullopt on overflow.
inline constexpr std::optional<uint64_t> PageUp(uint64_t v) {
  if (v > ~uint64_t{0} - kPageMask) return std::nullopt;
  return (v + kPageMask) & ~kPageMask;
}
inline constexpr bool IsPageAligned(uint64_t v) { return (v & kPageMask) == 0; }

class UserAddr {
 public:
  constexpr UserAddr() = default;
  constexpr explicit UserAddr(uint64_t v) : v_(v) {}
  constexpr uint64_t value() const { return v_; }
  constexpr bool IsNull() const { return v_ == 0; }
  constexpr bool IsPageAligned() const { return mm::IsPageAligned(v_); }
  constexpr UserAddr PageDown() const { return UserAddr(mm::PageDown(v_)); }

  // addr + n, or nullopt if it wraps.
  constexpr std::optional<UserAddr> Add(uint64_t n) const {
    if (v_ > ~uint64_t{0} - n) return std::nullopt;
    return UserAddr(v_ + n);
  }

  constexpr auto operator<=>(const UserAddr&) const = default;

 private:
  uint64_t v_ = 0;
};

// A typed application pointer. T must be trivially copyable: it is copied
// byte-wise in and out of application memory via the memory manager.
template <typename T>
class UserPtr {
  static_assert(std::is_trivially_copyable_v<T>,
                "UserPtr<T> requires a trivially copyable T");

 public:
  constexpr UserPtr() = default;
  constexpr explicit UserPtr(UserAddr a) : addr_(a) {}
  constexpr UserAddr addr() const { return addr_; }
  constexpr bool IsNull() const { return addr_.IsNull(); }
  // The i-th element, or nullopt on overflow.
  constexpr std::optional<UserPtr<T>> At(uint64_t i) const {
    if (i != 0 && sizeof(T) > ~uint64_t{0} / i) return std::nullopt;
    auto a = addr_.Add(i * sizeof(T));
    if (!a) return std::nullopt;
    return UserPtr<T>(*a);
  }

 private:
  UserAddr addr_;
};

}  // namespace sentry::mm

#endif  // SENTRY_MM_USERMEM_H_
