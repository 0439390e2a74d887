// The metrics registry and the Prometheus text exposition format (0.0.4).
// Hand-written: Debian has no C++ Prometheus client library (prometheus-cpp
// is not packaged), and the format is a few lines of text per sample.
//
// Components keep their own counters (atomics) and register a collector
// that reports them when scraped: nothing is copied on the hot paths, and
// a collector whose source is gone (a device that went down) says so and
// is dropped.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/metrics/latency_histogram.hpp"

namespace overlayd::net::metrics {

using labels = std::vector<std::pair<std::string, std::string>>;

// What collectors report into during one scrape. Samples of one family may
// come from several collectors; they are written together, HELP and TYPE
// first, families in the order first reported.
class metric_sink {
public:
  void counter(std::string_view name, std::string_view help, const labels& l,
               std::uint64_t value);
  void gauge(std::string_view name, std::string_view help, const labels& l, double value);
  void histogram(std::string_view name, std::string_view help, const labels& l,
                 const histogram_snapshot& h);

  std::string text() const;

private:
  struct family {
    std::string help;
    const char* type;
    std::string samples;
  };
  family& family_of(std::string_view name, std::string_view help, const char* type);

  std::vector<std::string> order_;
  std::map<std::string, family, std::less<>> families_;
};

class registry {
public:
  // Returns false once what it reads is gone; it is then dropped.
  using collector = std::function<bool(metric_sink&)>;

  // Any thread.
  void add(collector c);
  // Runs every collector (one scrape at a time) and renders the text.
  std::string expose();

private:
  std::mutex mutex_;
  std::vector<collector> collectors_;
};

// A label value escaped for the text format (backslash, quote, newline).
std::string escape_label_value(std::string_view value);

} // namespace overlayd::net::metrics
