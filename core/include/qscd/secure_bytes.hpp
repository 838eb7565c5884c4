// Containers for secrets: zeroised on destruction and on every reallocation, never printed.
#pragma once

#include <cstdint>
#include <ostream>
#include <string_view>
#include <vector>

#include "qscd/codec/bytes.hpp"

namespace qscd {

void secure_zero(void* data, std::size_t size);

// Allocator that wipes memory before handing it back, so growth never leaves copies behind.
template <class T>
struct ZeroisingAllocator {
    using value_type = T;
    ZeroisingAllocator() = default;
    template <class U>
    ZeroisingAllocator(const ZeroisingAllocator<U>&) {}  // NOLINT
    T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
    void deallocate(T* p, std::size_t n) {
        secure_zero(p, n * sizeof(T));
        std::allocator<T>{}.deallocate(p, n);
    }
    template <class U>
    bool operator==(const ZeroisingAllocator<U>&) const { return true; }
};

using SecureBytes = std::vector<std::uint8_t, ZeroisingAllocator<std::uint8_t>>;

inline SecureBytes secure_copy(ByteView bytes) { return SecureBytes(bytes.begin(), bytes.end()); }

// A PIN (or PUK, resetting code, admin PIN): move-only, zeroised, prints as REDACTED.
class Pin {
public:
    Pin() = default;
    explicit Pin(std::string_view text) : bytes_(text.begin(), text.end()) {}
    explicit Pin(SecureBytes bytes) : bytes_(std::move(bytes)) {}
    Pin(Pin&&) noexcept = default;
    Pin& operator=(Pin&&) noexcept = default;
    Pin(const Pin&) = delete;
    Pin& operator=(const Pin&) = delete;

    ByteView bytes() const { return {bytes_.data(), bytes_.size()}; }
    std::size_t size() const { return bytes_.size(); }
    bool empty() const { return bytes_.empty(); }

private:
    SecureBytes bytes_;
};

inline std::ostream& operator<<(std::ostream& os, const Pin&) { return os << "REDACTED"; }

}  // namespace qscd
