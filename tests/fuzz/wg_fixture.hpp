// wg_fixture: the fixed identities the WireGuard fuzz target (and the seed
// generator) share. Fixed keys make a checked-in initiation from `alice`
// valid for every run's `bob`, so the seeds reach the whole responder path.
#pragma once

#include <cstdint>

#include "net/base/cidr.hpp"
#include "net/base/endpoint.hpp"
#include "net/wireguard/device_core.hpp"
#include "net/wireguard/handshake.hpp"
#include "net/wireguard/keys.hpp"

namespace overlayd::fuzz {

inline net::wg::key32 fixed_key(std::uint8_t fill) {
  net::wg::key32 k{};
  for (std::size_t i = 0; i < k.size(); ++i)
    k[i] = static_cast<std::uint8_t>(fill + i);
  net::wg::clamp_private_key(k);
  return k;
}

// The harness plays alice (the initiator, with the handshake functions);
// bob is the device_core under test.
inline const net::wg::key32& alice_private() {
  static const net::wg::key32 k = fixed_key(0x11);
  return k;
}
inline const net::wg::key32& bob_private() {
  static const net::wg::key32 k = fixed_key(0x77);
  return k;
}

inline net::endpoint alice_endpoint() { return *net::parse_endpoint("192.0.2.1:51820"); }

// Wall clock of the fixture's handshake; seeds use later times.
inline constexpr std::int64_t fixture_unix_seconds = 1'700'000'000;

// bob's configuration: his key, and alice with an IPv4 and an IPv6 address.
inline net::wg::uapi_set_request bob_config() {
  net::wg::uapi_set_request set;
  set.private_key = bob_private();
  set.listen_port = 51820;
  net::wg::uapi_peer_config alice;
  alice.public_key = net::wg::public_key_from_private(alice_private());
  alice.endpoint = alice_endpoint();
  alice.allowed_ips.push_back(*net::cidr::parse("10.0.0.1/32"));
  alice.allowed_ips.push_back(*net::cidr::parse("fd00::1/128"));
  set.peers.push_back(alice);
  return set;
}

} // namespace overlayd::fuzz
