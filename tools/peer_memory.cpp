// overlayd-peer-memory: what one peer costs a WireGuard device. Adds N
// peers (a key, an endpoint, two allowed IPs each) to a device engine and
// prints the resident memory it grew by, per peer, plus the size of one
// session. Run by hand; prints figures, asserts nothing.
//
//   overlayd-peer-memory [peers]      (default 10000)
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "net/wireguard/device_core.hpp"
#include "net/wireguard/keys.hpp"

using namespace overlayd::net;

namespace {

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

} // namespace

int main(int argc, char** argv) {
  const unsigned peers = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 10000;
  wg::device_core core;
  wg::uapi_set_request set;
  set.private_key = wg::generate_private_key();
  for (unsigned i = 0; i < peers; ++i) {
    wg::uapi_peer_config p;
    p.public_key = wg::public_key_from_private(wg::generate_private_key());
    p.endpoint = endpoint{ip_address::v4(0xC6336400u + (i & 0xff)), 51820};
    p.allowed_ips = {cidr(ip_address::v4(0x0A000000u + (i << 8)), 24),
                     cidr(ip_address::v4(0x0B000000u + i), 32)};
    set.peers.push_back(p);
  }
  long before = resident_bytes();
  core.apply(set, wg::steady_time{});
  set.peers.clear();
  set.peers.shrink_to_fit();
  long after = resident_bytes();
  std::printf("peers:               %u\n", peers);
  std::printf("resident growth:     %.1f MiB\n", (after - before) / 1048576.0);
  std::printf("per peer:            %.0f bytes (without sessions)\n",
              static_cast<double>(after - before) / peers);
  std::printf("sizeof(peer):        %zu bytes\n", sizeof(wg::peer));
  std::printf("sizeof(keypair):     %zu bytes (up to 3 per peer while sessions live)\n",
              sizeof(wg::keypair));
  return 0;
}
