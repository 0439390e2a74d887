// dns actor: the overlay DNS records (name -> address) and the responder
// that serves them (DECISIONS.md 18, mechanics.md 7.13). Each change makes
// a new zone snapshot and publishes it to the responder's thread before it
// is answered, so a registration is visible to the very next query; the
// queries themselves never reach this actor.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/base/endpoint.hpp"
#include "net/base/ip_address.hpp"
#include "net/dns/zone.hpp"
#include "net/metrics/registry.hpp"

namespace overlayd {

namespace platform {
class dns_server;
struct dns_query_counters;
} // namespace platform

// The responder's configuration (the daemon's --dns-* flags). Off unless a
// listen address is given.
struct dns_settings {
  std::vector<net::endpoint> listen;          // --dns-listen ADDR:PORT
  std::optional<std::uint16_t> overlay_port;  // --dns-listen overlay:PORT
  net::dns::zone_config zone;
  std::vector<net::endpoint> upstreams;       // empty: out-of-zone queries are REFUSED

  bool enabled() const { return !listen.empty() || overlay_port.has_value(); }
};

struct dns_register {
  std::string name;
  net::ip_address ip;
};

struct dns_unregister {
  std::string name;
};

struct dns_lookup {
  std::string name;
};

using dns_answer = std::optional<net::ip_address>;

// The global overlay's node IP, or none after its teardown: the overlay
// listener follows it.
struct dns_overlay_address {
  std::optional<net::ip_address> node_ip;
};

struct dns_view_request {};

struct dns_listener_state {
  std::string address;    // "10.0.0.1:53", or "overlay:53" before the overlay is up
  bool serving = false;
  std::string error;      // why it does not serve, when it does not
};

// What `overlayctl dns` shows.
struct dns_view {
  bool enabled = false;
  std::string zone;
  std::uint32_t serial = 0;
  std::uint32_t ttl = 0;
  std::vector<std::pair<std::string, net::ip_address>> records;
  std::vector<dns_listener_state> listeners;
  std::vector<std::string> upstreams;
};

} // namespace overlayd

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::dns_register)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::dns_unregister)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::dns_lookup)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::dns_answer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::dns_overlay_address)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::dns_view_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(overlayd::dns_view)

namespace overlayd {

// Register and unregister answer true once the responder serves the change.
using dns_actor =
  caf::typed_actor<caf::replies_to<dns_register>::with<bool>,
                   caf::replies_to<dns_unregister>::with<bool>,
                   caf::replies_to<dns_lookup>::with<dns_answer>,
                   caf::reacts_to<dns_overlay_address>,
                   caf::replies_to<dns_view_request>::with<dns_view>>;

// A class rather than a function actor: CAF 0.17 dereferences a null
// argument tuple when a function actor is spawned without arguments, which
// UndefinedBehaviorSanitizer rightly reports.
class dns_records : public dns_actor::base {
public:
  explicit dns_records(caf::actor_config& cfg, dns_settings settings = {},
                       std::shared_ptr<net::metrics::registry> metrics = nullptr);
  ~dns_records() override;

  const char* name() const override { return "dns"; }
  behavior_type make_behavior() override;
  void on_exit() override;

private:
  struct listener {
    dns_listener_state state;
    std::optional<net::endpoint> bound;
  };

  void start_responder();
  void publish();
  void follow_overlay(const std::optional<net::ip_address>& node_ip);
  listener open(const net::endpoint& at, bool overlay);
  dns_view view() const;

  dns_settings settings_;
  std::map<std::string, net::ip_address> records_;
  std::uint32_t serial_ = 1;
  std::unique_ptr<platform::dns_server> server_;
  std::vector<listener> listeners_;
  std::optional<listener> overlay_listener_;
};

} // namespace overlayd
