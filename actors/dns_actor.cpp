#include "actors/dns_actor.hpp"

#include <spdlog/spdlog.h>

#include "platform/dns_server.hpp"

namespace overlayd {

namespace {

// The metrics' view of the counters: every final outcome, `forward` being
// only a step on the way to `forwarded` or `servfail`.
void collect_dns_metrics(net::metrics::registry& registry,
                         std::shared_ptr<platform::dns_query_counters> counters) {
  registry.add([counters](net::metrics::metric_sink& sink) {
    for (std::size_t i = 0; i < net::dns::outcome_count; ++i) {
      auto o = static_cast<net::dns::outcome>(i);
      if (o == net::dns::outcome::forward)
        continue;
      sink.counter("overlayd_dns_queries_total",
                   "DNS queries answered by the responder, by what became of them",
                   {{"result", std::string(net::dns::to_string(o))}}, counters->of(o));
    }
    return true;
  });
}

// The overlay listener before the global overlay is up (and after its teardown).
dns_listener_state waiting_for_overlay(std::uint16_t port) {
  return {"overlay:" + std::to_string(port), false, "waiting for the global overlay"};
}

} // namespace

dns_records::dns_records(caf::actor_config& cfg, dns_settings settings,
                         std::shared_ptr<net::metrics::registry> metrics)
  : dns_actor::base(cfg), settings_(std::move(settings)) {
  if (!settings_.enabled())
    return;
  platform::dns_server_options options;
  options.forwarding.upstreams = settings_.upstreams;
  if (metrics)
    collect_dns_metrics(*metrics, options.counters);
  auto started = platform::dns_server::start(
    std::move(options), std::make_shared<net::dns::zone>(settings_.zone, records_, serial_));
  if (!started) {
    spdlog::error("dns: the responder cannot start: {}", started.error_message());
    return;
  }
  server_ = std::move(*started);
}

dns_records::~dns_records() = default;

void dns_records::on_exit() {
  server_.reset(); // closes the sockets and joins the responder's thread
}

dns_records::listener dns_records::open(const net::endpoint& at, bool overlay) {
  listener l;
  l.state.address = at.to_string();
  if (!server_) {
    l.state.error = "the responder did not start";
    return l;
  }
  auto bound = server_->listen(at, overlay);
  if (!bound) {
    l.state.error = bound.error_message();
    spdlog::error("dns: cannot answer: {}", l.state.error); // names the address
    return l;
  }
  l.bound = *bound;
  l.state.address = bound->to_string();
  l.state.serving = true;
  spdlog::info("dns: answering for {} on {} (UDP and TCP)", settings_.zone.origin,
               l.state.address);
  return l;
}

void dns_records::start_responder() {
  for (const auto& at : settings_.listen)
    listeners_.push_back(open(at, false));
  if (settings_.overlay_port)
    overlay_listener_ = listener{waiting_for_overlay(*settings_.overlay_port), std::nullopt};
  if (settings_.enabled() && settings_.upstreams.empty())
    spdlog::warn("dns: no upstream resolver: queries outside {} are refused",
                 settings_.zone.origin);
}

void dns_records::follow_overlay(const std::optional<net::ip_address>& node_ip) {
  if (!settings_.overlay_port)
    return;
  if (overlay_listener_ && overlay_listener_->bound) {
    if (node_ip && overlay_listener_->bound->address == *node_ip)
      return; // already there
    server_->stop_listening(*overlay_listener_->bound);
    spdlog::info("dns: stopped answering on {}", overlay_listener_->state.address);
  }
  if (!node_ip) {
    overlay_listener_ = listener{waiting_for_overlay(*settings_.overlay_port), std::nullopt};
    return;
  }
  overlay_listener_ = open(net::endpoint{*node_ip, *settings_.overlay_port}, true);
}

void dns_records::publish() {
  ++serial_;
  if (server_)
    server_->publish(std::make_shared<net::dns::zone>(settings_.zone, records_, serial_));
}

dns_view dns_records::view() const {
  dns_view v;
  v.enabled = settings_.enabled();
  net::dns::zone z(settings_.zone, records_, serial_);
  v.zone = z.origin();
  v.serial = serial_;
  v.ttl = z.ttl();
  v.records = z.records();
  for (const auto& l : listeners_)
    v.listeners.push_back(l.state);
  if (overlay_listener_)
    v.listeners.push_back(overlay_listener_->state);
  for (const auto& u : settings_.upstreams)
    v.upstreams.push_back(u.to_string());
  return v;
}

dns_records::behavior_type dns_records::make_behavior() {
  start_responder();
  return {
    [this](const dns_register& r) {
      spdlog::debug("dns: {} -> {}", r.name, r.ip.to_string());
      records_[r.name] = r.ip;
      publish();
      return true;
    },
    [this](const dns_unregister& r) {
      spdlog::debug("dns: {} removed", r.name);
      records_.erase(r.name);
      publish();
      return true;
    },
    [this](const dns_lookup& q) -> dns_answer {
      auto it = records_.find(q.name);
      if (it == records_.end())
        return std::nullopt;
      return it->second;
    },
    [this](const dns_overlay_address& a) { follow_overlay(a.node_ip); },
    [this](const dns_view_request&) { return view(); },
  };
}

} // namespace overlayd
