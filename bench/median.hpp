// Median wall time of one call, in microseconds, over `rounds` calls after one warm-up call.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

inline double median_us(int rounds, const std::function<void()>& f) {
    f();
    std::vector<double> t;
    for (int i = 0; i < rounds; ++i) {
        const auto start = std::chrono::steady_clock::now();
        f();
        t.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}
