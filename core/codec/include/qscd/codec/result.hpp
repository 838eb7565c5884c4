// Result<T, E>: a value or a typed error. Used where exceptions are not wanted (codec, card core).
#pragma once

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

namespace qscd {

template <class E>
struct Failure {
    E error;
};

template <class E>
Failure<E> fail(E error) { return Failure<E>{error}; }

template <class T, class E>
class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    Result(Failure<E> failure) : state_(std::in_place_index<1>, failure.error) {}  // NOLINT

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }

    // Accessing the wrong alternative is a programming error: abort rather than throw, so this
    // header stays usable in code built without exceptions.
    T& value() & { check(true); return std::get<0>(state_); }
    const T& value() const& { check(true); return std::get<0>(state_); }
    T&& value() && { check(true); return std::get<0>(std::move(state_)); }
    E error() const { check(false); return std::get<1>(state_); }

    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

private:
    void check(bool want_value) const {
        if (ok() != want_value) std::abort();
    }
    std::variant<T, E> state_;
};

}  // namespace qscd
