// What the coordinator knows about this node: its identity in the cluster,
// the overlay addressing it was given, and the peers and services the main
// daemon told it about (mechanics.md section 6).
#pragma once

#include <caf/typed_response_promise.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/attachments.hpp"
#include "actors/dns_actor.hpp"
#include "actors/bridge_manager.hpp"
#include "actors/device_maker.hpp"
#include "actors/ipam_actor.hpp"
#include "actors/nat_traversal.hpp"
#include "actors/request_lanes.hpp"
#include "actors/service_bridge.hpp"
#include "net/metrics/registry.hpp"
#include "actors/transport_actor.hpp"
#include "net/wireguard/timing.hpp"
#include "messages/requests.hpp"
#include "net/base/cidr.hpp"

namespace overlayd {

// The cluster CIDR the original binds before any SetupGlobalOverlay.
inline constexpr const char* default_cluster_cidr = "10.200.0.0/16";
// zlayer_core::DEFAULT_WG_PORT (DECISIONS.md 20).
inline constexpr std::uint16_t default_wg_port = 51420;

// How this node's WireGuard devices are made.
struct transport_options {
  std::string uapi_dir = "/var/run/wireguard";
  unsigned mtu = 0; // 0: derived from the underlay (platform::derive_overlay_mtu)
  net::wg::timing timing; // shortened only by tests
  bool offloads = true;   // TUN offloads and UDP GSO/GRO
  // Where each device's counters are reported (null: nowhere).
  std::shared_ptr<net::metrics::registry> metrics;
  unsigned crypto_threads = 0; // sealing, and as many opening, per device; 0: the default

  // The options of a device called `interface`.
  platform::wg_device_options device(const std::string& interface) const {
    platform::wg_device_options options;
    options.interface = interface;
    options.uapi_directory = uapi_dir;
    options.mtu = mtu;
    options.timing = timing;
    options.offloads = offloads;
    options.crypto_threads = crypto_threads;
    return options;
  }
};

struct coordinator_state {
  static inline const char* name = "coordinator";

  // -- mutations waiting for their resources (request_lanes.hpp) --------------------

  struct queued_request {
    msg::request request;
    caf::typed_response_promise<msg::response> rp;
  };
  request_lanes lanes;
  std::map<request_lanes::job_id, queued_request> queued;

  // -- collaborators ---------------------------------------------------------------

  ipam_actor ipam;
  dns_actor dns;
  device_maker_actor devices; // makes WireGuard devices, off the scheduler
  transport_options transports;

  // -- identity --------------------------------------------------------------------

  std::string deployment;
  std::string instance_id;
  std::uint64_t local_node_id = 0;
  std::optional<std::string> local_wg_pubkey;

  // -- addressing ------------------------------------------------------------------

  std::string cluster_cidr_text = default_cluster_cidr;
  net::cidr cluster_cidr = *net::cidr::parse(default_cluster_cidr);
  net::cidr node_slice = cluster_cidr;         // where container addresses come from
  std::optional<std::string> slice_cidr_text; // as the main daemon gave it
  std::optional<net::ip_address> node_ip;
  std::uint16_t overlay_port = default_wg_port;

  // -- the global WireGuard device ------------------------------------------------------

  std::optional<transport_actor> global_transport;
  std::optional<std::string> global_interface;
  // The MTU of the last device made (each derives it alike from the
  // underlay); container veths get it. 0 before any device.
  unsigned overlay_mtu = 0;
  std::optional<std::string> transport_public_key; // base64

  // -- Dedicated services' own WireGuard devices ---------------------------------------

  struct dedicated_transport {
    transport_actor actor;
    std::string interface;
    std::string public_key; // base64
    std::uint16_t listen_port = 0;
    net::ip_address overlay_ip;
    net::cidr subnet;
  };
  std::map<std::string, dedicated_transport> dedicated;

  // -- service bridges (mechanics 6, 7.4-7.6) ----------------------------------------------

  bridge_manager_actor bridges;

  std::map<std::string, service_bridge> service_bridges;
  std::optional<service_bridge> shared_bridge;
  std::map<std::string, std::string> service_interfaces; // service -> its bridge's name

  // -- containers and guests: their records are the attachments actor's (7.7-7.11) ---

  attachments_actor attachments;
  // What each attachment's record names as its service, by attachment_key:
  // the service a detach may tear down, so its lane waits for that service.
  std::map<std::string, std::string> attached_services;

  // -- NAT: candidates, attempts and the relay live in the traversal actor ------------

  nat_traversal_actor nat;
  unsigned nat_ticks_in_flight = 0; // ticks the NAT actor has not answered yet
  msg::response nat_last_status = msg::nat_status_wire{}; // its latest NatStatus

  // -- peers and services --------------------------------------------------------------

  std::map<std::string, msg::peer_spec> global_peers;
  std::map<std::string, msg::overlay_mode> service_modes;

  // Node-level defaults recorded from attach requests.
  std::optional<std::string> dns_server_addr; // "ip:53"
  std::optional<std::string> dns_domain;
};

} // namespace overlayd
