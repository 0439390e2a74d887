// latency_histogram: a Prometheus histogram of durations, updated with
// relaxed atomics from any thread (one request costs a few increments).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace overlayd::net::metrics {

// Upper bounds in seconds, 100 µs to 30 s: a status answers in tens of
// microseconds, a Dedicated setup or an attach takes tens of milliseconds,
// a NAT tick with silent STUN servers seconds.
inline constexpr std::array<double, 14> latency_bounds = {
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30};

struct histogram_snapshot {
  std::array<std::uint64_t, latency_bounds.size()> cumulative{}; // per bound, `le`
  std::uint64_t count = 0;                                          // also le="+Inf"
  double sum_seconds = 0;
};

class latency_histogram {
public:
  void observe(std::chrono::nanoseconds duration) noexcept;
  histogram_snapshot snapshot() const noexcept;

private:
  std::array<std::atomic<std::uint64_t>, latency_bounds.size() + 1> buckets_{}; // last: +Inf
  std::atomic<std::uint64_t> sum_ns_{0};
};

} // namespace overlayd::net::metrics
