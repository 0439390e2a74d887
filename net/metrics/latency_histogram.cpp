#include "net/metrics/latency_histogram.hpp"

namespace overlayd::net::metrics {

void latency_histogram::observe(std::chrono::nanoseconds duration) noexcept {
  double seconds = std::chrono::duration<double>(duration).count();
  std::size_t bucket = 0;
  while (bucket < latency_bounds.size() && seconds > latency_bounds[bucket])
    ++bucket;
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(duration.count() < 0 ? 0 : duration.count()),
                    std::memory_order_relaxed);
}

histogram_snapshot latency_histogram::snapshot() const noexcept {
  histogram_snapshot out;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < latency_bounds.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out.cumulative[i] = running;
  }
  out.count = running + buckets_.back().load(std::memory_order_relaxed);
  out.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return out;
}

} // namespace overlayd::net::metrics
