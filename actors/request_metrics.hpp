// request_metrics: what the socket's clients asked and how it went, for
// /metrics: requests by op and result, with a latency histogram per op
// (attach_container and detach_container among them), and frames that did
// not decode. Updated by the gateway from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <variant>

#include "messages/requests.hpp"
#include "net/metrics/registry.hpp"

namespace overlayd {

class request_metrics {
public:
  static constexpr std::size_t op_count = std::variant_size_v<msg::request>;

  // `op` is the request's index in msg::request.
  void answered(std::size_t op, bool ok, std::chrono::nanoseconds took) noexcept;
  void undecodable() noexcept;

  void collect(net::metrics::metric_sink& sink) const;

private:
  struct per_op {
    std::atomic<std::uint64_t> ok{0};
    std::atomic<std::uint64_t> error{0};
    net::metrics::latency_histogram latency;
  };
  std::array<per_op, op_count> ops_{};
  std::atomic<std::uint64_t> undecodable_{0};
};

} // namespace overlayd
