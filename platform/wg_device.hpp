// wg_device: one userspace WireGuard interface: its TUN device, its UDP
// socket, its UAPI control socket, and the threads that move packets
// between them through the protocol engine (net/wireguard/device_core.hpp).
// Packets never pass through an actor: a transport actor owns the device
// and only changes its configuration.
//
// Threads: a TUN reader (seal, sendmmsg with UDP GSO), a UDP reader
// (recvmmsg with UDP GRO, open, coalesce, write to TUN) and a control
// thread (handshakes, timers); the UAPI socket is served on a thread of
// its own (platform/uapi_server.hpp), so a stalled `wg` never delays them.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>

#include "net/base/endpoint.hpp"
#include "net/base/ip_address.hpp"
#include "net/relay/relay_message.hpp"
#include "net/base/result.hpp"
#include "net/wireguard/device_core.hpp"
#include "net/wireguard/timing.hpp"
#include "net/wireguard/uapi_protocol.hpp"

namespace overlayd::platform {

struct wg_device_options {
  std::string interface;      // at most 15 bytes
  std::string uapi_directory; // <dir>/<interface>.sock is created
  unsigned mtu = net::default_overlay_mtu;
  net::ip_address listen_address; // unspecified: every address
  net::wg::timing timing;
  // TUN checksum and TCP segmentation offloads, UDP GSO and GRO (each used
  // when the kernel has it). Off: one packet per system call everywhere.
  bool offloads = true;
  // Threads that seal each batch, and as many that open each
  // (net/wireguard/crypto_workers.hpp); 0: default_crypto_threads.
  unsigned crypto_threads = 0;
};

class wg_device {
public:
  // Creates the TUN device, binds an ephemeral UDP port (a UAPI set with
  // listen_port moves it), opens the UAPI socket and starts the threads.
  static result<std::unique_ptr<wg_device>> create(wg_device_options options);
  ~wg_device(); // stops the threads; the TUN device and the UAPI socket go away

  const std::string& interface() const;
  const std::string& uapi_path() const;
  std::uint16_t listen_port() const;
  unsigned mtu() const;

  // The same operations a UAPI set carries, applied as one change. A new
  // listen port is bound before anything changes (EADDRINUSE if taken).
  net::wg::uapi_error configure(const net::wg::uapi_set_request& set);
  net::wg::uapi_device_status status() const;
  // For metrics; any thread.
  std::vector<net::wg::peer_counters> peer_counters() const;
  const net::wg::drop_counters& drops() const;

  // A STUN binding request from the device's own socket (blocks up to
  // `timeout`): the address and port the server saw.
  result<net::endpoint> stun_binding(const net::endpoint& server,
                                     std::chrono::milliseconds timeout);

  // Starts a handshake with `peer` at its current endpoint now, instead of
  // when traffic or the timers ask for one: a hole is punched, or a new
  // endpoint proven, at once. False for an unknown peer.
  bool handshake_now(const net::wg::key32& peer);

  // -- relay (platform/relay_link.hpp, DECISIONS.md 21) --

  // The relay server this device's allocation lives on (nullopt: none).
  void use_relay(std::optional<net::endpoint> server, const net::relay::auth_key& key);
  // Datagrams to `destination` (a peer's allocation) go through the relay.
  void reach_through_relay(const net::endpoint& destination);
  bool reached_through_relay(const net::endpoint& destination) const;
  // A control request to the relay from the device's socket, and its answer.
  result<net::relay::message> relay_exchange(
    const net::relay::message& request, std::initializer_list<net::relay::message_type> answers,
    std::chrono::milliseconds timeout);

private:
  struct impl;
  explicit wg_device(std::unique_ptr<impl> self);
  std::unique_ptr<impl> self_;
};

} // namespace overlayd::platform
