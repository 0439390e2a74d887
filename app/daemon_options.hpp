// Command-line options of the overlayd binary, compatible with the original
// zlayer-overlayd (--data-dir, --socket, --service) plus our own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/base/endpoint.hpp"

namespace overlayd::app {

struct daemon_options {
  std::string data_dir;
  std::string socket_path;
  std::string dropin_root = "/";
  std::string uapi_dir; // --uapi-dir, else derived from the data dir
  std::string log_level = "info";
  std::optional<std::string> log_file; // --log-file: also there, reopened on SIGHUP
  bool offloads = true; // TUN offloads and UDP GSO/GRO; --no-offloads turns them off
  std::optional<std::uint64_t> threads; // --threads: crypto threads per device and direction
  std::optional<std::uint64_t> mtu; // --mtu; else derived from the egress link's
  // The socket's limits (README "Limits"), when given; else the server's
  // defaults. Timeouts in seconds.
  std::optional<std::uint64_t> max_connections;
  std::optional<std::uint64_t> max_unwritten_bytes;
  std::optional<std::uint64_t> partial_frame_timeout;
  std::optional<std::uint64_t> write_stall_timeout;
  std::optional<std::uint64_t> idle_timeout; // 0: never
  std::optional<std::uint64_t> max_document_values;
  std::optional<std::uint64_t> max_document_depth;
  // --metrics-listen ADDR:PORT: Prometheus /metrics over HTTP (off unless given).
  std::optional<std::string> metrics_listen;
  // The DNS responder (README "DNS"): off unless a listen address is given.
  std::vector<net::endpoint> dns_listen;          // --dns-listen ADDR:PORT
  std::optional<std::uint16_t> dns_overlay_port;  // --dns-listen overlay:PORT
  std::string dns_zone = "overlay.local.";
  std::optional<std::uint64_t> dns_ttl;           // default 300
  std::vector<net::endpoint> dns_upstreams;       // --dns-upstream, repeatable
  std::string dns_resolv_conf = "/etc/resolv.conf"; // the upstreams when none is given
  bool show_help = false;
  bool show_version = false;
};

// Parses argv; on bad input returns nullopt and fills `error`. Unset paths
// are derived as the contract says (ipc_contract.md 1.2).
std::optional<daemon_options> parse_daemon_options(const std::vector<std::string>& args,
                                                   std::string& error);

const char* daemon_usage();

// The platform's data dir ($ZLAYER_DATA_DIR, /var/lib/zlayer for root,
// $HOME/.zlayer otherwise) and the socket derived from a data dir.
std::string environment_data_dir();
std::string socket_path_for(const std::string& data_dir);

} // namespace overlayd::app
