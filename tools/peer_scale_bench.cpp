// overlayd-peer-scale: a device with 10, 1,000 and 10,000 peers (real keys,
// allowed IPs from distinct /32s and /26s). For each size: the time per
// peer of a UAPI `set` (the text parsed, then applied to the device
// engine, as the control socket does), the memory per peer, and the
// allowed-IPs lookup per packet, which must stay flat as peers grow. Run
// by hand; prints figures, asserts nothing.
//
//   overlayd-peer-scale [lookups]      (default 2000000 per size)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <array>
#include <random>
#include <string>
#include <vector>

#include "net/wireguard/allowed_ips.hpp"
#include "net/wireguard/device_core.hpp"
#include "net/wireguard/keys.hpp"
#include "net/wireguard/uapi_protocol.hpp"

using namespace overlayd::net;
using clock_type = std::chrono::steady_clock;

namespace {

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

// Peer i: 10.<i>/32 in 10.0.0.0/8 and a /26 in 172.16.0.0/12.
std::uint32_t host_of(unsigned i) { return 0x0A000000u + i; }
std::uint32_t subnet_of(unsigned i) { return 0xAC100000u + (i << 6); }

std::string set_text(unsigned peers) {
  std::string text;
  for (unsigned i = 0; i < peers; ++i) {
    auto key = wg::public_key_from_private(wg::generate_private_key());
    text += "public_key=" + wg::key_to_hex(key) + "\nendpoint=198.51.100."
            + std::to_string(1 + i % 250)
            + ":51820\nallowed_ip=" + ip_address::v4(host_of(i)).to_string()
            + "/32\nallowed_ip=" + ip_address::v4(subnet_of(i)).to_string() + "/26\n";
  }
  return text;
}

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// Nanoseconds per lookup of addresses inside the peers' prefixes, in an
// order no cache can predict.
double lookup_ns(unsigned peers, unsigned lookups) {
  wg::allowed_ips routes;
  for (unsigned i = 0; i < peers; ++i) {
    routes.insert(cidr(ip_address::v4(host_of(i)), 32), i);
    routes.insert(cidr(ip_address::v4(subnet_of(i)), 26), i);
  }
  std::mt19937 rng(peers);
  std::vector<std::array<std::uint8_t, 4>> addresses(4096);
  for (auto& a : addresses) {
    unsigned i = rng() % peers;
    std::uint32_t v = rng() % 2 ? host_of(i) : subnet_of(i) + rng() % 64;
    a = {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
         static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  }
  std::uint64_t found = 0;
  auto start = clock_type::now();
  for (unsigned n = 0; n < lookups; ++n)
    found += routes.lookup_v4(addresses[n & 4095].data()).value_or(0);
  double ns = seconds_since(start) * 1e9 / lookups;
  if (found == 0) // keeps the loop from being optimised away
    std::printf("(no lookup matched)\n");
  return ns;
}

} // namespace

int main(int argc, char** argv) {
  const unsigned lookups = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 2000000;
  std::printf("%8s %14s %14s %16s %14s\n", "peers", "set us/peer", "parse us/peer",
              "bytes/peer", "lookup ns");
  for (unsigned peers : {10u, 1000u, 10000u}) {
    const std::string text = set_text(peers);
    long before = resident_bytes();
    wg::device_core core;
    auto parse_start = clock_type::now();
    auto parsed = wg::parse_set_request(text);
    double parse = seconds_since(parse_start);
    if (!parsed.ok()) {
      std::printf("set refused: %s\n", parsed.error.message.c_str());
      return 1;
    }
    auto apply_start = clock_type::now();
    core.apply(*parsed.request, wg::steady_time{});
    double apply = seconds_since(apply_start);
    parsed.request.reset();
    long after = resident_bytes();
    std::printf("%8u %14.2f %14.2f %16.0f %14.1f\n", peers, (parse + apply) * 1e6 / peers,
                parse * 1e6 / peers, static_cast<double>(after - before) / peers,
                lookup_ns(peers, lookups));
  }
  return 0;
}
