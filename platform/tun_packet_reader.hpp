// tun_packet_reader: fills a batch of seal slots (net/wireguard/device_core.hpp)
// from a TUN device: one packet per read, or, with offloads, TCP
// super-packets cut into MTU-sized segments (net/packet/gso_split.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "net/wireguard/device_core.hpp"
#include "platform/packet_buffers.hpp"
#include "platform/tun_device.hpp"

namespace overlayd::platform {

class tun_packet_reader {
public:
  // `slot_count` packets per batch, each of at most `mtu` bytes.
  tun_packet_reader(tun_device& tun, std::size_t mtu, std::size_t slot_count);

  // Takes what the device has queued (it must be non-blocking), up to a
  // batch; returns how many slots were filled.
  std::size_t read_batch(std::vector<net::wg::seal_slot>& slots);

  // Packets the kernel handed over that could not be cut (malformed).
  std::uint64_t dropped() const noexcept { return dropped_; }

private:
  // Cuts the super-packet in super_ into slots from `first`; false when it
  // needs more slots than are left (it stays pending for the next batch).
  bool split_pending(std::vector<net::wg::seal_slot>& slots, std::size_t& count);

  tun_device& tun_;
  std::size_t mtu_;
  packet_buffers buffers_;
  std::vector<std::uint8_t> super_; // one offloaded read
  std::size_t super_length_ = 0;    // 0: nothing pending
  std::uint64_t dropped_ = 0;
};

} // namespace overlayd::platform
