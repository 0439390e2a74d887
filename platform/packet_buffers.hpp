// packet_buffers: one thread's packet buffers, allocated once and reused
// for every batch, so the data plane allocates nothing per packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace overlayd::platform {

class packet_buffers {
public:
  packet_buffers(std::size_t count, std::size_t size) : storage_(count * size), size_(size) {}

  std::uint8_t* at(std::size_t i) noexcept { return storage_.data() + i * size_; }
  std::size_t size() const noexcept { return size_; }
  std::size_t count() const noexcept { return storage_.size() / size_; }

private:
  std::vector<std::uint8_t> storage_;
  std::size_t size_;
};

} // namespace overlayd::platform
