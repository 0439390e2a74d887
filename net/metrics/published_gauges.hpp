// published_gauges: values an actor publishes as a whole when they change
// (IPAM pool sizes, each peer's connection type, the relay's totals), read
// by scrapes without asking the actor anything. A collector for the
// registry.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "net/metrics/registry.hpp"

namespace overlayd::net::metrics {

class published_gauges {
public:
  struct sample {
    std::string name;
    std::string help;
    labels label_values;
    double value = 0;
    bool is_counter = false; // a running total (name ends in _total)
  };

  // Replaces what was published before. Any thread.
  void publish(std::vector<sample> samples);
  void collect(metric_sink& sink) const;

private:
  mutable std::mutex mutex_;
  std::vector<sample> samples_;
};

} // namespace overlayd::net::metrics
