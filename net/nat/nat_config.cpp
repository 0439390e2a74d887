#include "net/nat/nat_config.hpp"

namespace overlayd::net::nat {

nat_config default_nat_config() {
  return nat_config{};
}

nat_config nat_config_from_spec(const msg::nat_config_spec& spec) {
  nat_config config;
  config.enabled = spec.enabled;
  config.stun_servers = spec.stun_servers; // empty stays empty (DECISIONS 5)
  config.turn_servers = spec.turn_servers;
  if (spec.hole_punch_timeout_secs != 0)
    config.hole_punch_timeout = std::chrono::seconds(spec.hole_punch_timeout_secs);
  if (spec.stun_refresh_interval_secs != 0)
    config.stun_refresh_interval = std::chrono::seconds(spec.stun_refresh_interval_secs);
  if (spec.max_candidate_pairs != 0)
    config.max_candidate_pairs = static_cast<std::size_t>(spec.max_candidate_pairs);
  if (spec.relay_server) {
    relay_server_config relay;
    relay.listen_port = spec.relay_server->listen_port;
    relay.external_addr = spec.relay_server->external_addr;
    if (spec.relay_server->max_sessions != 0)
      relay.max_sessions = spec.relay_server->max_sessions;
    config.relay_server = relay;
  }
  return config;
}

} // namespace overlayd::net::nat
