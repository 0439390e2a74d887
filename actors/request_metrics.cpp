#include "actors/request_metrics.hpp"

#include <utility>

namespace overlayd {

namespace {

template <std::size_t... I>
constexpr std::array<const char*, sizeof...(I)> op_names(std::index_sequence<I...>) {
  return {std::variant_alternative_t<I, msg::request>::tag...};
}

constexpr auto names = op_names(std::make_index_sequence<request_metrics::op_count>{});

} // namespace

void request_metrics::answered(std::size_t op, bool ok, std::chrono::nanoseconds took) noexcept {
  if (op >= op_count)
    return;
  auto& o = ops_[op];
  (ok ? o.ok : o.error).fetch_add(1, std::memory_order_relaxed);
  o.latency.observe(took);
}

void request_metrics::undecodable() noexcept {
  undecodable_.fetch_add(1, std::memory_order_relaxed);
}

void request_metrics::collect(net::metrics::metric_sink& sink) const {
  const char* total = "overlayd_ipc_requests_total";
  const char* total_help = "Requests answered on the socket, by op and result (ok or error).";
  for (std::size_t i = 0; i < op_count; ++i) {
    const auto& o = ops_[i];
    sink.counter(total, total_help, {{"op", names[i]}, {"result", "ok"}}, o.ok.load());
    sink.counter(total, total_help, {{"op", names[i]}, {"result", "error"}}, o.error.load());
  }
  sink.counter(total, total_help, {{"op", "undecodable"}, {"result", "error"}},
               undecodable_.load());
  for (std::size_t i = 0; i < op_count; ++i)
    sink.histogram("overlayd_ipc_request_duration_seconds",
                   "Time from a request's arrival to its answer, by op.", {{"op", names[i]}},
                   ops_[i].latency.snapshot());
}

} // namespace overlayd
