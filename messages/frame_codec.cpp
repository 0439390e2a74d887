#include "messages/frame_codec.hpp"

namespace overlayd::msg {

namespace {

constexpr std::size_t prefix_bytes = 4;

// Past this much unused capacity, an idle connection gives the memory of
// its last large frame back.
constexpr std::size_t idle_capacity_limit = 64 * 1024;

std::uint32_t load_u32_le(const char* p) {
  auto b = [p](int i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])); };
  return b(0) | (b(1) << 8) | (b(2) << 16) | (b(3) << 24);
}

} // namespace

void append_frame(std::string& out, std::string_view body) {
  auto len = static_cast<std::uint32_t>(body.size());
  char prefix[prefix_bytes] = {
    static_cast<char>(len & 0xFF),
    static_cast<char>((len >> 8) & 0xFF),
    static_cast<char>((len >> 16) & 0xFF),
    static_cast<char>((len >> 24) & 0xFF),
  };
  out.append(prefix, prefix_bytes);
  out.append(body.data(), body.size());
}

void frame_reader::feed(const char* data, std::size_t n) {
  compact();
  buffer_.append(data, n);
}

frame_status frame_reader::next(std::string& body, std::uint32_t& declared_len) {
  if (buffered() < prefix_bytes)
    return frame_status::need_more;
  auto len = load_u32_le(buffer_.data() + read_pos_);
  declared_len = len;
  if (len > max_frame_bytes)
    return frame_status::too_large; // the prefix stays: we never get past it
  if (buffered() - prefix_bytes < len)
    return frame_status::need_more;
  body.assign(buffer_, read_pos_ + prefix_bytes, len);
  read_pos_ += prefix_bytes + len;
  if (buffered() == 0)
    compact(); // an idle connection then holds no memory of its last frame
  return frame_status::frame;
}

std::uint32_t frame_reader::pending_length() const noexcept {
  if (buffered() < prefix_bytes)
    return 0;
  return load_u32_le(buffer_.data() + read_pos_);
}

// Drops the bytes already returned, so the buffer holds at most one partial
// frame plus the latest feed. Moving only happens once per batch of frames
// (at the next feed), which keeps the cost linear in the bytes received.
void frame_reader::compact() {
  if (read_pos_ == 0)
    return;
  buffer_.erase(0, read_pos_);
  read_pos_ = 0;
  if (buffer_.empty() && buffer_.capacity() > idle_capacity_limit)
    std::string().swap(buffer_);
}

body_codec detect_codec(std::string_view body) {
  for (char c : body) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f')
      continue;
    return c == '{' ? body_codec::json : body_codec::msgpack;
  }
  return body_codec::json;
}

} // namespace overlayd::msg
