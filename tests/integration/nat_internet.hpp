// A small internet in network namespaces, for NAT traversal tests (root
// only). One "public" segment (a bridge, 203.0.113.0/24, documentation
// range) holds the public host where STUN and relay servers run; two home
// routers masquerade a private LAN each onto it; one node sits behind each
// router:
//
//   node A 192.168.10.2 -- router A 192.168.10.1 | 203.0.113.1 --+
//                                                                 br -- public 203.0.113.10, .20
//   node B 192.168.20.2 -- router B 192.168.20.1 | 203.0.113.2 --+
//
// Like a real home router, nothing is forwarded inbound: a datagram from
// outside reaches a node only through a conntrack entry that the node's
// own outbound traffic made (the "hole" that hole punching relies on), and
// only from the endpoint that flow went to. Unsolicited UDP is dropped
// silently and leaves no state on the router, so it cannot disturb the
// mapping a node's later flows get.
// Everything lives in namespaces the fixture creates and goes away with
// them, even when a test fails.
#pragma once

#include <cstdint>
#include <string>

#include "daemon_process.hpp"
#include "netns.hpp"

namespace overlayd::testing {

enum class nat_mapping {
  // Linux masquerade keeps the source port when it is free, whatever the
  // destination: the mapping STUN reports works toward every peer.
  endpoint_independent,
  // --random-fully: every new flow (each destination) gets a random port,
  // so what STUN reports is useless toward anyone else.
  symmetric,
};

class nat_internet {
public:
  // Builds everything; ok() tells whether every step worked.
  explicit nat_internet(nat_mapping mapping);
  nat_internet(const nat_internet&) = delete;
  nat_internet& operator=(const nat_internet&) = delete;
  // The namespaces' destructors kill what runs inside and delete them.
  ~nat_internet() = default;

  bool ok() const { return ok_; }
  nat_mapping mapping() const { return mapping_; }

  const network_namespace& public_ns() const { return public_; }
  const network_namespace& router_a() const { return router_a_; }
  const network_namespace& router_b() const { return router_b_; }
  const network_namespace& node_a() const { return node_a_; }
  const network_namespace& node_b() const { return node_b_; }

  static constexpr const char* public_host_ip = "203.0.113.10";
  static constexpr const char* second_public_ip = "203.0.113.20"; // a second public service
  static constexpr const char* router_a_public_ip = "203.0.113.1";
  static constexpr const char* router_b_public_ip = "203.0.113.2";
  static constexpr const char* router_a_lan_ip = "192.168.10.1";
  static constexpr const char* router_b_lan_ip = "192.168.20.1";
  static constexpr const char* node_a_ip = "192.168.10.2";
  static constexpr const char* node_b_ip = "192.168.20.2";

  // A fresh directory for the test's own files (UAPI sockets, logs),
  // removed after the namespaces.
  const std::string& work_dir() const { return dir_.path(); }

  // Starts coturn, STUN only, in the public namespace on `address` (the
  // public host or second_public_ip) and waits until its UDP socket is
  // bound. False if it did not come up within a few seconds.
  bool start_coturn(std::uint16_t port = 3478, const std::string& address = public_host_ip);

private:
  bool build();

  nat_mapping mapping_;
  temp_dir dir_; // declared first: outlives the coturn processes that write there
  network_namespace public_{"pub"};
  network_namespace router_a_{"rta"};
  network_namespace router_b_{"rtb"};
  network_namespace node_a_{"nda"};
  network_namespace node_b_{"ndb"};
  bool ok_ = false;
};

} // namespace overlayd::testing
