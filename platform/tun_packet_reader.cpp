#include "platform/tun_packet_reader.hpp"

#include "net/packet/gso_split.hpp"
#include "net/packet/virtio_net_hdr.hpp"
#include "net/wireguard/messages.hpp"

namespace overlayd::platform {

namespace {

using net::wg::seal_slot;
using net::wg::transport::header_size;

// Room after a packet for the padding and the tag sealing adds.
constexpr std::size_t sealing_room = 2 * net::wg::aead_tag_size;

} // namespace

tun_packet_reader::tun_packet_reader(tun_device& tun, std::size_t mtu, std::size_t slot_count)
    : tun_(tun), mtu_(mtu), buffers_(slot_count, header_size + mtu + sealing_room) {
  if (tun_.offloads())
    super_.resize(net::packet::virtio_net_hdr_size + 65535);
}

bool tun_packet_reader::split_pending(std::vector<seal_slot>& slots, std::size_t& count) {
  namespace pkt = net::packet;
  const std::size_t room = std::min(slots.size(), buffers_.count()) - count;
  pkt::segment_out out[256];
  const std::size_t limit = std::min(room, sizeof out / sizeof out[0]);
  for (std::size_t i = 0; i < limit; ++i)
    out[i] = pkt::segment_out{buffers_.at(count + i) + header_size, mtu_, 0};
  auto header = pkt::read_virtio_net_hdr(super_.data());
  std::size_t made = pkt::split_for_send(header, super_.data() + pkt::virtio_net_hdr_size,
                                         super_length_ - pkt::virtio_net_hdr_size, out, limit);
  if (made == 0) {
    // Either malformed, or more segments than the slots left: a batch with
    // free slots only means the former.
    if (count > 0)
      return false;
    ++dropped_;
    super_length_ = 0;
    return true;
  }
  for (std::size_t i = 0; i < made; ++i)
    slots[count + i] = seal_slot{buffers_.at(count + i), out[i].length, buffers_.size(), 0, {}};
  count += made;
  super_length_ = 0;
  return true;
}

std::size_t tun_packet_reader::read_batch(std::vector<seal_slot>& slots) {
  const std::size_t capacity = std::min(slots.size(), buffers_.count());
  std::size_t count = 0;
  if (!tun_.offloads()) {
    while (count < capacity) {
      std::uint8_t* message = buffers_.at(count);
      long n = tun_.read_packet(message + header_size, mtu_);
      if (n <= 0)
        break;
      slots[count++] = seal_slot{message, static_cast<std::size_t>(n), buffers_.size(), 0, {}};
    }
    return count;
  }
  while (count < capacity) {
    if (super_length_ == 0) {
      long n = tun_.read_packet(super_.data(), super_.size());
      if (n <= static_cast<long>(net::packet::virtio_net_hdr_size))
        break;
      super_length_ = static_cast<std::size_t>(n);
    }
    if (!split_pending(slots, count))
      break; // it waits for the next batch
  }
  return count;
}

} // namespace overlayd::platform
