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
  // Each slot's message sits at the start of its own `buffer_size` bytes;
  // coalescing may grow a packet into the rest of its buffer.
  tun_packet_writer(tun_device& tun, std::size_t buffer_size, std::size_t slot_count);

  // Writes the packets of the slots marked `deliver`, in order.
  void write_batch(const net::wg::open_slot* slots, std::size_t count);

private:
  tun_device& tun_;
  std::size_t buffer_size_;
  std::vector<net::packet::gro_packet> packets_;
  std::vector<net::packet::tun_write> writes_;
};

} // namespace overlayd::platform
