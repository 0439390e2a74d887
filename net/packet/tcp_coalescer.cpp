#include "net/packet/tcp_coalescer.hpp"

#include <cstring>

#include "net/packet/checksum.hpp"
#include "net/packet/header_fields.hpp"
#include "net/packet/virtio_net_hdr.hpp"

namespace overlayd::net::packet {

namespace {

using namespace header_fields;

// What one packet is, as far as coalescing cares.
enum class kind {
  unrelated, // not TCP (or not IP): written as is, touches no flow
  ambiguous, // may belong to a TCP flow whose ports we cannot see (an IPv4
             // fragment, IPv6 extension headers, a truncated TCP header):
             // closes every open merge between the same two addresses
  tcp,       // TCP with visible ports that cannot merge: closes its flow's merge
  candidate, // TCP that may merge
};

struct view {
  kind what = kind::unrelated;
  bool v6 = false;
  std::size_t ip_len = 0;
  std::size_t tcp_len = 0;
  std::size_t payload = 0;
  std::size_t addr_at = 0;
  std::size_t addr_len = 0;
  std::uint32_t hash = 0;
};

// One flow's open merge: the packet everything is appended to, and what the
// next segment must look like to follow it.
struct open_flow {
  bool in_use = false;
  bool v6 = false;
  bool verified = false; // the head's TCP checksum has been checked
  std::uint32_t hash = 0;
  std::uint8_t* data = nullptr; // the head: in its own buffer, or moved to merge space
  std::size_t capacity = 0;     // bytes usable from data onwards
  std::size_t write = 0;        // index into writes
  std::size_t length = 0;       // the head's length so far
  std::size_t ip_len = 0;
  std::size_t tcp_len = 0;
  std::size_t gso_size = 0;
  std::size_t merged = 0; // segments appended to the head
  std::uint32_t next_seq = 0;
  std::uint32_t next_id = 0; // IPv4 without DF: the id the next segment carries
};

constexpr std::uint8_t ipv6_no_next_header = 59;
constexpr std::uint8_t protocol_icmpv6 = 58;

// Mixes the address pair and the ports into a filter for the table scan;
// equality is always confirmed on the bytes.
std::uint32_t flow_hash(const std::uint8_t* p, const view& v) noexcept {
  std::uint32_t h = v.v6 ? 0x9e3779b9u : 0x85ebca6bu;
  for (std::size_t i = 0; i < 2 * v.addr_len; i += 4) {
    std::uint32_t w;
    std::memcpy(&w, p + v.addr_at + i, 4);
    h = (h ^ w) * 0x01000193u;
  }
  std::uint32_t ports;
  std::memcpy(&ports, p + v.ip_len, 4);
  h = (h ^ ports) * 0x01000193u;
  return h ^ (h >> 16);
}

bool tcp_checksum_valid(const std::uint8_t* p, std::size_t length, const view& v) noexcept {
  const std::size_t l4 = length - v.ip_len;
  std::uint32_t sum = pseudo_header_sum(p + v.addr_at, p + v.addr_at + v.addr_len, v.addr_len,
                                        protocol_tcp, static_cast<std::uint32_t>(l4));
  return checksum_fold(checksum_partial(p + v.ip_len, l4, sum)) == 0;
}

view classify(const gro_packet& g) noexcept {
  view v;
  const std::uint8_t* p = g.data;
  const std::size_t n = g.length;
  if (n < ipv4_min_header)
    return v;
  const unsigned version = p[0] >> 4;
  if (version == 4) {
    v.ip_len = std::size_t{p[0] & 0x0fu} * 4;
    if (v.ip_len < ipv4_min_header || v.ip_len > n || p[ipv4_protocol] != protocol_tcp)
      return v;
    v.addr_at = ipv4_src;
    v.addr_len = 4;
    v.what = kind::ambiguous;
    if ((load_be16(p + ipv4_flags_fragment) & (ipv4_flag_mf | ipv4_fragment_offset_mask)) != 0)
      return v;
  } else if (version == 6) {
    if (n < ipv6_header)
      return v;
    v.v6 = true;
    v.ip_len = ipv6_header;
    v.addr_at = ipv6_src;
    v.addr_len = 16;
    const std::uint8_t next = p[ipv6_next_header];
    if (next != protocol_tcp) {
      // Anything but a known upper layer may hide TCP behind extension headers.
      if (next != protocol_udp && next != protocol_icmpv6 && next != ipv6_no_next_header)
        v.what = kind::ambiguous;
      return v;
    }
    v.what = kind::ambiguous;
  } else {
    return v;
  }

  if (v.ip_len + tcp_min_header > n)
    return v; // ambiguous: no ports to match on
  v.what = kind::tcp;
  v.hash = flow_hash(p, v);

  if (g.capacity < n || n > max_ip_packet)
    return v;
  if (v.v6) {
    if (std::size_t{load_be16(p + ipv6_payload_length)} + ipv6_header != n)
      return v;
  } else {
    // Options would have to match and be repeated on every segment; the
    // kernel does not merge them either.
    if (v.ip_len != ipv4_min_header || load_be16(p + ipv4_total_length) != n)
      return v;
    if (checksum_fold(checksum_partial(p, ipv4_min_header)) != 0)
      return v; // the merged header would get a fresh checksum: do not launder
  }
  const std::uint8_t* th = p + v.ip_len;
  v.tcp_len = (std::size_t{th[tcp_data_offset]} >> 4) * 4;
  if (v.tcp_len < tcp_min_header || v.ip_len + v.tcp_len >= n)
    return v; // no payload: pure ACKs and window updates pass alone
  const std::uint8_t flags = th[tcp_flags];
  if ((flags & tcp_ack_flag) == 0 || (flags & (tcp_syn | tcp_rst | tcp_fin | tcp_urg)) != 0)
    return v;
  v.payload = n - v.ip_len - v.tcp_len;
  v.what = kind::candidate;
  return v;
}

bool same_addresses(const std::uint8_t* a, const std::uint8_t* b, const view& v, bool a_v6) noexcept {
  return a_v6 == v.v6 && std::memcmp(a + v.addr_at, b + v.addr_at, 2 * v.addr_len) == 0;
}

class coalescer {
public:
  coalescer(gro_packet* packets, tun_write* writes, merge_space spare) noexcept
      : packets_(packets), writes_(writes), spare_(spare) {}

  void add(std::size_t i) noexcept {
    const gro_packet& g = packets_[i];
    if (g.data == nullptr || g.length == 0)
      return;
    const view v = classify(g);
    switch (v.what) {
    case kind::unrelated:
      pass_through(i);
      return;
    case kind::ambiguous:
      for (std::size_t k = 0; k < high_water_; ++k)
        if (open_flow& f = flows_[k]; f.in_use && same_addresses(f.data, g.data, v, f.v6))
          close(f);
      pass_through(i);
      return;
    case kind::tcp:
      if (open_flow* f = find(g.data, v))
        close(*f);
      pass_through(i);
      return;
    case kind::candidate:
      break;
    }
    open_flow* f = find(g.data, v);
    if (f != nullptr) {
      switch (try_append(*f, g, v)) {
      case append::done:
        return;
      case append::bad_packet:
        close(*f);
        pass_through(i);
        return;
      case append::no:
        close(*f);
        break;
      }
    }
    // A PSH segment ends any run, so it cannot start one.
    if ((g.data[v.ip_len + tcp_flags] & tcp_psh) != 0) {
      pass_through(i);
      return;
    }
    open(i, v);
  }

  std::size_t finish() noexcept {
    for (std::size_t k = 0; k < high_water_; ++k)
      if (flows_[k].in_use)
        close(flows_[k]);
    return write_count_;
  }

private:
  enum class append { done, no, bad_packet };

  open_flow* find(const std::uint8_t* p, const view& v) noexcept {
    for (std::size_t k = 0; k < high_water_; ++k) {
      open_flow& f = flows_[k];
      if (!f.in_use || f.hash != v.hash || f.v6 != v.v6)
        continue;
      const std::uint8_t* h = f.data;
      if (std::memcmp(h + v.addr_at, p + v.addr_at, 2 * v.addr_len) == 0
          && std::memcmp(h + f.ip_len, p + v.ip_len, 4) == 0)
        return &f;
    }
    return nullptr;
  }

  // Whether segment `g` continues the merge `f`, and if so appends it.
  append try_append(open_flow& f, const gro_packet& g, const view& v) noexcept {
    std::uint8_t* h = f.data;
    const std::uint8_t* p = g.data;
    if (v.v6) {
      // Version, traffic class (with ECN) and flow label; hop limit.
      if (std::memcmp(h, p, 4) != 0 || h[ipv6_hop_limit] != p[ipv6_hop_limit])
        return append::no;
    } else {
      const std::uint16_t h_frag = load_be16(h + ipv4_flags_fragment);
      const std::uint16_t p_frag = load_be16(p + ipv4_flags_fragment);
      if (h[ipv4_tos] != p[ipv4_tos] || h[ipv4_ttl] != p[ipv4_ttl] || h_frag != p_frag)
        return append::no;
      // Without DF the id identifies fragments; resegmentation hands out
      // first id + i, so only that sequence survives a merge unchanged.
      if ((h_frag & ipv4_flag_df) == 0 && load_be16(p + ipv4_id) != (f.next_id & 0xffffu))
        return append::no;
    }
    const std::uint8_t* ht = h + f.ip_len;
    const std::uint8_t* pt = p + v.ip_len;
    if (v.tcp_len != f.tcp_len)
      return append::no;
    // Data offset and reserved bits, ACK number, window, options: all equal
    // (the kernel compares the same words). The urgent pointer too, although
    // meaningless without URG: resegmentation repeats the head's.
    if (ht[tcp_data_offset] != pt[tcp_data_offset]
        || std::memcmp(ht + tcp_ack, pt + tcp_ack, 4) != 0
        || std::memcmp(ht + tcp_window, pt + tcp_window, 2) != 0
        || std::memcmp(ht + tcp_urgent_pointer, pt + tcp_urgent_pointer, 2) != 0
        || std::memcmp(ht + tcp_min_header, pt + tcp_min_header, v.tcp_len - tcp_min_header) != 0)
      return append::no;
    const std::uint8_t flags = pt[tcp_flags];
    // CWR only on the first segment; otherwise the same flags, give or take
    // a final PSH (an open head never has PSH).
    if ((flags & tcp_cwr) != 0
        || (flags & static_cast<std::uint8_t>(~tcp_psh)) != (ht[tcp_flags] & static_cast<std::uint8_t>(~tcp_cwr)))
      return append::no;
    if (load_be32(pt + tcp_seq) != f.next_seq || v.payload > f.gso_size)
      return append::no;
    const std::size_t merged_length = f.length + v.payload;
    if (merged_length > max_ip_packet || !make_room(f, merged_length))
      return append::no;
    h = f.data;

    if (!f.verified) {
      view hv = v;
      hv.ip_len = f.ip_len;
      if (!tcp_checksum_valid(h, f.length, hv))
        return append::no; // the head goes alone; the kernel will drop it
      f.verified = true;
    }
    // Copy the payload behind the head while verifying the segment: one pass.
    // If the checksum is wrong, the copy lies beyond the head's length and
    // is simply not counted.
    std::uint32_t sum = pseudo_header_sum(p + v.addr_at, p + v.addr_at + v.addr_len, v.addr_len, protocol_tcp,
                                          static_cast<std::uint32_t>(v.tcp_len + v.payload));
    sum = checksum_partial(pt, v.tcp_len, sum); // a multiple of 4 bytes: chains evenly
    sum = checksum_copy(h + f.length, pt + v.tcp_len, v.payload, sum);
    if (checksum_fold(sum) != 0)
      return append::bad_packet;
    f.length += v.payload;
    f.merged += 1;
    f.next_seq += static_cast<std::uint32_t>(v.payload);
    f.next_id += 1;
    if ((flags & tcp_psh) != 0) {
      h[f.ip_len + tcp_flags] |= tcp_psh;
      close(f);
    } else if (v.payload < f.gso_size) {
      close(f); // nothing may follow a short segment
    }
    return append::done;
  }

  void open(std::size_t i, const view& v) noexcept {
    open_flow* slot = nullptr;
    for (std::size_t k = 0; k < high_water_ && slot == nullptr; ++k)
      if (!flows_[k].in_use)
        slot = &flows_[k];
    if (slot == nullptr && high_water_ < max_open_flows)
      slot = &flows_[high_water_++];
    if (slot == nullptr) {
      // Table full: this packet goes alone. Evicting the oldest merge instead
      // would, with more flows than slots taking turns, evict every merge
      // just before its next segment arrives.
      pass_through(i);
      return;
    }
    const std::uint8_t* p = packets_[i].data;
    open_flow& f = *slot;
    f.in_use = true;
    f.v6 = v.v6;
    f.verified = false;
    f.hash = v.hash;
    f.data = packets_[i].data;
    f.capacity = packets_[i].capacity;
    f.write = write_count_;
    f.length = packets_[i].length;
    f.ip_len = v.ip_len;
    f.tcp_len = v.tcp_len;
    f.gso_size = v.payload;
    f.merged = 0;
    f.next_seq = load_be32(p + v.ip_len + tcp_seq) + static_cast<std::uint32_t>(v.payload);
    f.next_id = v.v6 ? 0 : load_be16(p + ipv4_id) + 1u;
    writes_[write_count_++] = tun_write{p - virtio_net_hdr_size, 0}; // length set on close
  }

  // Ends a merge: fixes the head's headers and writes its virtio_net_hdr.
  void close(open_flow& f) noexcept {
    std::uint8_t* p = f.data;
    virtio_net_hdr hdr;
    if (f.merged > 0) {
      if (f.v6) {
        store_be16(p + ipv6_payload_length, static_cast<std::uint32_t>(f.length - ipv6_header));
      } else {
        store_be16(p + ipv4_total_length, static_cast<std::uint32_t>(f.length));
        store_be16(p + ipv4_checksum, ipv4_header_checksum(p));
      }
      const std::size_t addr_at = f.v6 ? ipv6_src : ipv4_src;
      const std::size_t addr_len = f.v6 ? 16 : 4;
      std::uint8_t* th = p + f.ip_len;
      // CHECKSUM_PARTIAL: the kernel adds the TCP header and payload to the
      // pseudo-header sum found in the field, per segment it cuts.
      store_be16(th + tcp_checksum,
                 pseudo_header_sum(p + addr_at, p + addr_at + addr_len, addr_len, protocol_tcp,
                                   static_cast<std::uint32_t>(f.length - f.ip_len)));
      hdr.flags = virtio_net_hdr_f_needs_csum;
      hdr.gso_type = f.v6 ? virtio_net_hdr_gso_tcpv6 : virtio_net_hdr_gso_tcpv4;
      if ((th[tcp_flags] & tcp_cwr) != 0)
        hdr.gso_type |= virtio_net_hdr_gso_ecn;
      hdr.hdr_len = static_cast<std::uint16_t>(f.ip_len + f.tcp_len);
      hdr.gso_size = static_cast<std::uint16_t>(f.gso_size);
      hdr.csum_start = static_cast<std::uint16_t>(f.ip_len);
      hdr.csum_offset = tcp_checksum;
    }
    write_virtio_net_hdr(hdr, p - virtio_net_hdr_size);
    writes_[f.write].length = f.length + virtio_net_hdr_size;
    f.in_use = false;
  }

  // Whether the head can grow to `needed` bytes. A head with no room behind
  // it (UDP GRO packs datagrams back to back) is copied into the next
  // unused merge-space buffer first.
  bool make_room(open_flow& f, std::size_t needed) noexcept {
    if (needed <= f.capacity)
      return true;
    if (spare_used_ >= spare_.count || spare_.size < virtio_net_hdr_size + needed)
      return false;
    std::uint8_t* buffer = spare_.base + spare_used_++ * spare_.size;
    std::uint8_t* moved = buffer + virtio_net_hdr_size;
    std::memcpy(moved, f.data, f.length);
    f.data = moved;
    f.capacity = spare_.size - virtio_net_hdr_size;
    writes_[f.write].data = buffer;
    return true;
  }

  void pass_through(std::size_t i) noexcept {
    std::uint8_t* p = packets_[i].data;
    write_virtio_net_hdr(virtio_net_hdr{}, p - virtio_net_hdr_size);
    writes_[write_count_++] = tun_write{p - virtio_net_hdr_size, packets_[i].length + virtio_net_hdr_size};
  }

  gro_packet* packets_;
  tun_write* writes_;
  merge_space spare_;
  std::size_t spare_used_ = 0;
  std::size_t write_count_ = 0;
  std::size_t high_water_ = 0; // slots ever used in this batch; the rest are free
  open_flow flows_[max_open_flows];
};

} // namespace

std::size_t coalesce_for_tun(gro_packet* packets, std::size_t count, tun_write* writes,
                             merge_space spare) noexcept {
  if (packets == nullptr || writes == nullptr)
    return 0;
  coalescer c(packets, writes, spare);
  for (std::size_t i = 0; i < count; ++i)
    c.add(i);
  return c.finish();
}

} // namespace overlayd::net::packet
