// tun_packet_writer: hands decrypted packets to a TUN device: one write per
// packet, or, with offloads, runs of one TCP flow coalesced into
// super-packets first (net/packet/tcp_coalescer.hpp), one write each.
#pragma once

#include <cstddef>
#include <vector>

#include "net/packet/tcp_coalescer.hpp"
#include "net/wireguard/device_core.hpp"
#include "platform/tun_device.hpp"

namespace overlayd::platform {

class tun_packet_writer {
public:
  // Takes up to `slot_count` slots per batch.
  tun_packet_writer(tun_device& tun, std::size_t slot_count);

  // Writes the packets of the slots marked `deliver`, in order. Coalescing
  // may grow a packet into the rest of its slot's capacity, or move it into
  // one of the `spare` buffers, which nothing else uses during the call.
  void write_batch(const net::wg::open_slot* slots, std::size_t count,
                   net::packet::merge_space spare = {});

private:
  tun_device& tun_;
  std::vector<net::packet::gro_packet> packets_;
  std::vector<net::packet::tun_write> writes_;
};

} // namespace overlayd::platform
