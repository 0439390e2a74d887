// What the NAT traversal actor keeps (see nat_traversal.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/nat_traversal.hpp"
#include "net/nat/connect_attempt.hpp"
#include "net/wireguard/keys.hpp"
#include "net/wireguard/uapi_protocol.hpp"

namespace overlayd::platform {
class relay_client;
class relay_server;
} // namespace overlayd::platform

namespace overlayd {

class nat_traversal_state {
public:
  static inline const char* name = "nat_traversal";

  nat_traversal_state();
  ~nat_traversal_state();

  void set_timeouts(nat_timeouts timeouts) { timeouts_ = timeouts; }

  void configure(nat_configure c);
  void use_device(std::shared_ptr<platform::wg_device> device);
  void set_peer_candidates(const nat_peer_candidates& c);

  // NatTick: starts the relay server when configured, gathers or
  // refreshes this node's candidates, then starts an attempt for every
  // peer with candidates and no recent handshake.
  msg::response tick();
  msg::nat_status_wire status() const;
  // Each peer's connection type and the relay server's counters.
  void publish(net::metrics::published_gauges& metrics) const;
  // Advances the running attempts; false when none is left.
  bool poll();

private:
  struct peer_traversal {
    net::wg::key32 key{};
    std::vector<net::nat::candidate> candidates;
    std::string connection; // "direct", "hole-punched", "relayed", "unreachable"; "": not yet
    std::optional<net::nat::connect_attempt> attempt;
  };

  void start_relay_server();
  std::vector<net::nat::candidate> reflexive_candidates(std::string& failure);
  std::optional<net::nat::candidate> relay_candidate();
  void permit_relayed_peers();
  void connect_known_peers();
  // What the device says of one peer.
  struct device_peer {
    std::optional<net::endpoint> endpoint;
    net::nat::wall_clock::time_point last_handshake{}; // epoch: never
  };
  // The device's peers by base64 key.
  static std::map<std::string, device_peer>
  device_peers(const net::wg::uapi_device_status& status);
  // "direct", "hole-punched" or "relayed" for a peer working at `working`.
  std::string connection_at(const peer_traversal& peer, const net::endpoint& working) const;

  void advance(const std::string& name, peer_traversal& peer,
               const std::map<std::string, device_peer>& on_device);
  void set_endpoint(const peer_traversal& peer, const net::endpoint& to);
  void forget_relay();

  // The transport actor owns the device; this actor only pins it while it
  // handles a message, so a teardown frees the device's port and name at
  // once, whatever this actor is busy with.
  class pinned_device {
  public:
    explicit pinned_device(nat_traversal_state& s) : s_(s) { s_.device_ = s_.device_owner_.lock(); }
    ~pinned_device() { s_.device_.reset(); }
    pinned_device(const pinned_device&) = delete;
    pinned_device& operator=(const pinned_device&) = delete;

  private:
    nat_traversal_state& s_;
  };

  nat_timeouts timeouts_;
  net::nat::nat_config config_ = net::nat::default_nat_config();
  std::optional<std::string> relay_credential_; // never logged
  std::weak_ptr<platform::wg_device> device_owner_;
  std::shared_ptr<platform::wg_device> device_; // set while pinned

  std::vector<net::nat::candidate> local_;
  std::uint64_t last_refresh_ = 0; // unix seconds, 0: never

  std::unique_ptr<platform::relay_client> relay_client_;
  std::string relay_in_use_; // the TURN entry's address, for the logs
  std::unique_ptr<platform::relay_server> relay_server_;

  std::map<std::string, peer_traversal> peers_; // by base64 key
};

} // namespace overlayd
