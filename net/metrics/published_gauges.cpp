#include "net/metrics/published_gauges.hpp"

namespace overlayd::net::metrics {

void published_gauges::publish(std::vector<sample> samples) {
  std::lock_guard<std::mutex> guard(mutex_);
  samples_ = std::move(samples);
}

void published_gauges::collect(metric_sink& sink) const {
  std::lock_guard<std::mutex> guard(mutex_);
  for (const auto& s : samples_) {
    if (s.is_counter)
      sink.counter(s.name, s.help, s.label_values, static_cast<std::uint64_t>(s.value));
    else
      sink.gauge(s.name, s.help, s.label_values, s.value);
  }
}

} // namespace overlayd::net::metrics
