// tun_device: a Linux TUN interface (layer 3, no packet information
// header) owned through its file descriptor. The interface disappears when
// the descriptor closes, so a crashed daemon leaves no device behind.
//
// With offloads, every read and write starts with a virtio_net_hdr and the
// kernel hands us (and takes from us) TCP super-packets of up to 64 KiB,
// which cuts the per-packet cost of the TUN path and of the TCP stacks on
// both ends (performance_notes.md 1.2; net/packet/ does the cutting). Where
// the kernel has UDP segmentation offload (Linux 6.2), a UDP GSO sender's
// burst (QUIC stacks send that way) also reaches us in one read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "net/base/result.hpp"
#include "net/base/unique_fd.hpp"

namespace overlayd::platform {

class tun_device {
public:
  tun_device() = default;

  // Names longer than 15 bytes are refused with the transport's error
  // ("Interface name '<n>' exceeds 15 character limit").
  static result<tun_device> create(const std::string& name, bool offloads = false);

  int fd() const noexcept { return fd_.get(); }
  // Reads and writes carry a virtio_net_hdr (only when offloads were
  // asked for and the kernel took them).
  bool offloads() const noexcept { return offloads_; }
  const std::string& name() const noexcept { return name_; }

  // One packet per call; -1 with errno as read(2)/write(2).
  long read_packet(std::uint8_t* buffer, std::size_t capacity) noexcept;
  long write_packet(const std::uint8_t* packet, std::size_t length) noexcept;

  void close() noexcept;

private:
  unique_fd fd_;
  std::string name_;
  bool offloads_ = false;
};

} // namespace overlayd::platform
