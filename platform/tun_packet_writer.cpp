#include "platform/tun_packet_writer.hpp"

namespace overlayd::platform {

tun_packet_writer::tun_packet_writer(tun_device& tun, std::size_t slot_count)
    : tun_(tun), packets_(slot_count), writes_(slot_count) {}

void tun_packet_writer::write_batch(const net::wg::open_slot* slots, std::size_t count,
                                    net::packet::merge_space spare) {
  using verdict = net::wg::open_slot::verdict;
  if (!tun_.offloads()) {
    for (std::size_t i = 0; i < count; ++i)
      if (slots[i].result == verdict::deliver)
        tun_.write_packet(slots[i].packet, slots[i].packet_length);
    return;
  }
  std::size_t n = 0;
  for (std::size_t i = 0; i < count && n < packets_.size(); ++i) {
    const auto& s = slots[i];
    if (s.result != verdict::deliver)
      continue;
    const std::size_t used = static_cast<std::size_t>(s.packet - s.message) + s.packet_length;
    const std::size_t room = s.capacity > used ? s.capacity - used : 0;
    packets_[n++] = net::packet::gro_packet{s.packet, s.packet_length, s.packet_length + room};
  }
  std::size_t writes = net::packet::coalesce_for_tun(packets_.data(), n, writes_.data(), spare);
  for (std::size_t i = 0; i < writes; ++i)
    tun_.write_packet(writes_[i].data, writes_[i].length);
}

} // namespace overlayd::platform
