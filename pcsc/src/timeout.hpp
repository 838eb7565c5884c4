// Private to pcsc/: a deadline expressed as the DWORD milliseconds SCardGetStatusChange takes.
#pragma once

#include <chrono>

#include <winscard.h>

#include "qscd/pcsc/context.hpp"

namespace qscd::pcsc {

class Deadline {
public:
    explicit Deadline(std::chrono::milliseconds timeout)
        : forever_(timeout == Context::kForever),
          end_(forever_ ? std::chrono::steady_clock::time_point::max()
                        : std::chrono::steady_clock::now() + std::max(timeout, std::chrono::milliseconds(0))) {}

    DWORD remaining() const {
        if (forever_) return INFINITE;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end_ - std::chrono::steady_clock::now());
        if (left.count() <= 0) return 0;
        return static_cast<DWORD>(std::min<long long>(left.count(), 0x7FFFFFFF));
    }
    bool expired() const { return !forever_ && std::chrono::steady_clock::now() >= end_; }

private:
    bool forever_;
    std::chrono::steady_clock::time_point end_;
};

}  // namespace qscd::pcsc
