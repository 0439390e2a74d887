// node: the running actor system of one overlayd (ipam, dns, coordinator),
// without any socket. The daemon serves it on a socket (socket_service.hpp);
// an embedding program calls it directly (embedded.hpp).
#pragma once

#include <memory>
#include <string>

#include "actors/coordinator_actor.hpp"
#include "actors/dns_actor.hpp"
#include "actors/host_access.hpp"
#include "net/base/result.hpp"
#include "net/metrics/registry.hpp"

namespace caf {
class actor_system;
}

namespace overlayd {

struct node_options {
  std::string data_dir;        // holds agent_network.json
  unsigned worker_threads = 0; // 0: one per core
  bool offloads = true;        // WireGuard devices with TUN offloads and UDP GSO/GRO
  host_access host;            // the real host unless told otherwise
  unsigned mtu = 0;            // of the WireGuard devices; 0: derived from the underlay
  dns_settings dns;            // the DNS responder (off unless it has a listen address)
  unsigned crypto_threads = 0; // per WireGuard device and direction; 0: the default for the cores
};

class node {
public:
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  static result<std::unique_ptr<node>> start(node_options options);

  caf::actor_system& system();
  const coordinator_actor& coordinator() const;
  const node_options& options() const;
  // Every counter of the node's actors and devices (served by --metrics-listen).
  net::metrics::registry& metrics();

  // Ends every actor and waits for them; idempotent.
  void stop();

private:
  struct impl;
  explicit node(std::unique_ptr<impl> self);
  std::unique_ptr<impl> self_;
};

} // namespace overlayd
