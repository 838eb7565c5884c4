// Small benchmark harness: medians of repeated calls, passes interleaved so that machine drift hits
// every contender alike, and figures printed as "METRIC<TAB>name<TAB>value" lines that
// bench/report.sh turns into the table (ratios against a peer measured in the same run).
#pragma once

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace bench {

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n == 0 ? 0 : (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

// What the timer measures. Wall time by default; CPU time of the calling thread for work that is
// pure computation in this process (in-process card, CMS), so that other programs sharing the
// machine's cores do not show up in the figures. Anything that waits (fsync, sockets, pcscd)
// must use wall time.
enum class Timer { Wall, ThreadCpu };
inline Timer timer = Timer::Wall;

inline double now_us() {
    if (timer == Timer::Wall)
        return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// Median time of one call in microseconds over `rounds` calls, after one warm-up call.
inline double median_us(int rounds, const std::function<void()>& f) {
    f();
    std::vector<double> t;
    for (int i = 0; i < rounds; ++i) {
        const double start = now_us();
        f();
        t.push_back(now_us() - start);
    }
    return median(t);
}

// Runs every contender once per pass, `passes` times in turn; returns the median of each one's
// per-pass medians (µs per call), in the order given.
inline std::vector<double> interleaved_us(int passes, int rounds, const std::vector<std::function<void()>>& contenders) {
    std::vector<std::vector<double>> per(contenders.size());
    for (int p = 0; p < passes; ++p)
        for (std::size_t i = 0; i < contenders.size(); ++i) per[i].push_back(median_us(rounds, contenders[i]));
    std::vector<double> out;
    for (auto& v : per) out.push_back(median(v));
    return out;
}

inline void metric(const std::string& name, double value) {
    std::printf("METRIC\t%s\t%.6g\n", name.c_str(), value);
    std::fflush(stdout);
}

// Operations per second from µs per operation.
inline double per_second(double us) { return us > 0 ? 1e6 / us : 0; }

}  // namespace bench
