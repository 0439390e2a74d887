#include "actors/device_metrics.hpp"

#include <chrono>

#include "platform/wg_device.hpp"

namespace overlayd {

namespace {

using net::metrics::labels;
using net::metrics::metric_sink;

void collect_drops(metric_sink& sink, const std::string& device,
                   const net::wg::drop_counters& d) {
  const char* name = "overlayd_wg_dropped_packets_total";
  const char* help = "Packets a WireGuard device dropped, by reason.";
  auto drop = [&](const char* reason, const std::atomic<std::uint64_t>& n) {
    sink.counter(name, help, {{"device", device}, {"reason", reason}}, n.load());
  };
  drop("no_allowed_ip", d.no_route);
  drop("no_endpoint", d.no_endpoint);
  drop("malformed", d.malformed);
  drop("no_session", d.unknown_index);
  drop("replay", d.replayed);
  drop("bad_mac", d.forged);
  drop("wrong_source", d.wrong_source);
  drop("handshake_rejected", d.handshake_rejected);
  drop("queue_full", d.staged_overflow);
}

void collect_peer(metric_sink& sink, const std::string& device, const net::wg::peer_counters& p,
                  std::int64_t now_unix_ns) {
  labels l{{"device", device}, {"peer", net::wg::key_to_base64(p.public_key)}};
  sink.counter("overlayd_wg_peer_receive_bytes_total",
               "Bytes of authenticated WireGuard messages received from a peer.", l, p.rx_bytes);
  sink.counter("overlayd_wg_peer_transmit_bytes_total",
               "Bytes of WireGuard messages sent to a peer.", l, p.tx_bytes);
  sink.counter("overlayd_wg_peer_receive_packets_total",
               "Authenticated transport packets received from a peer.", l, p.rx_packets);
  sink.counter("overlayd_wg_peer_transmit_packets_total", "Transport packets sent to a peer.", l,
               p.tx_packets);
  sink.counter("overlayd_wg_peer_handshake_initiations_total",
               "Handshake initiations sent to a peer.", l, p.handshake_initiations);
  sink.counter("overlayd_wg_peer_handshake_failures_total",
               "Handshake rounds given up without an answer (90 s of retries).", l,
               p.handshake_failures);
  if (p.last_handshake_unix_ns != 0)
    sink.gauge("overlayd_wg_peer_last_handshake_age_seconds",
               "Seconds since the last completed handshake with a peer (absent: never).", l,
               static_cast<double>(now_unix_ns - p.last_handshake_unix_ns) / 1e9);
}

} // namespace

void collect_device_metrics(net::metrics::registry& registry,
                            const std::shared_ptr<platform::wg_device>& device) {
  std::weak_ptr<platform::wg_device> weak = device;
  registry.add([weak](metric_sink& sink) {
    auto d = weak.lock();
    if (!d)
      return false;
    const std::string& name = d->interface();
    auto peers = d->peer_counters();
    sink.gauge("overlayd_wg_peers", "Peers configured on a WireGuard device.",
               {{"device", name}}, static_cast<double>(peers.size()));
    auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
    for (const auto& p : peers)
      collect_peer(sink, name, p, now);
    collect_drops(sink, name, d->drops());
    return true;
  });
}

} // namespace overlayd
