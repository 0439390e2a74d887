#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "net/packet/gso_split.hpp"
#include "packet_builder.hpp"

using namespace overlayd::net::packet;
using namespace overlayd::testing;

namespace {

// Output buffers, each its own allocation so that AddressSanitizer sees a
// write past any one of them; filled with a sentinel to see untouched ones.
struct outputs {
  std::vector<bytes> storage;
  std::vector<segment_out> out;

  outputs(std::size_t count, std::size_t capacity) : storage(count, bytes(capacity, 0xee)) {
    for (auto& b : storage)
      out.push_back(segment_out{b.data(), b.size(), 0});
  }
  bytes segment(std::size_t i) const { return bytes(storage[i].begin(), storage[i].begin() + out[i].length); }
  bool untouched() const {
    for (std::size_t i = 0; i < storage.size(); ++i) {
      if (out[i].length != 0)
        return false;
      for (auto c : storage[i])
        if (c != 0xee)
          return false;
    }
    return true;
  }
};

// Checks every TCP segment of a split against the super-packet it came from.
void check_tcp_segments(const bytes& super, const virtio_net_hdr& hdr, const outputs& o, std::size_t n) {
  const std::uint8_t* s = super.data();
  const std::size_t ihl = ip_header_len(s);
  const std::size_t thl = (std::size_t{s[ihl + 12]} >> 4) * 4;
  const std::size_t headers = ihl + thl;
  const std::size_t payload = super.size() - headers;
  REQUIRE(n == (payload + hdr.gso_size - 1) / hdr.gso_size);
  const std::uint8_t super_flags = s[ihl + 13];
  for (std::size_t i = 0; i < n; ++i) {
    INFO("segment " << i);
    bytes seg = o.segment(i);
    const std::uint8_t* p = seg.data();
    const std::size_t piece = std::min<std::size_t>(hdr.gso_size, payload - i * hdr.gso_size);
    REQUIRE(seg.size() == headers + piece);
    if (is_v6(p)) {
      CHECK(overlayd::load_be16(p + 4) == seg.size() - 40);
      CHECK(std::equal(p, p + 4, s)); // version, class, flow label
      CHECK(std::equal(p + 6, p + 40, s + 6));
    } else {
      CHECK(overlayd::load_be16(p + 2) == seg.size());
      CHECK(overlayd::load_be16(p + 4) == static_cast<std::uint16_t>(overlayd::load_be16(s + 4) + i));
      CHECK(ipv4_checksum_ok(p));
      CHECK(std::equal(p + 6, p + 10, s + 6));
      CHECK(std::equal(p + 12, p + ihl, s + 12));
    }
    const std::uint8_t* th = p + ihl;
    CHECK(overlayd::load_be32(th + 4) == static_cast<std::uint32_t>(overlayd::load_be32(s + ihl + 4) + i * hdr.gso_size));
    CHECK(std::equal(th, th + 4, s + ihl));                // ports
    CHECK(std::equal(th + 8, th + 13, s + ihl + 8));       // ack, data offset
    CHECK(std::equal(th + 14, th + 16, s + ihl + 14));     // window
    CHECK(std::equal(th + 18, th + thl, s + ihl + 18));    // urgent pointer, options
    std::uint8_t expect_flags = super_flags;
    if (i + 1 < n)
      expect_flags &= static_cast<std::uint8_t>(~0x09); // FIN, PSH only on the last
    if (i > 0)
      expect_flags &= static_cast<std::uint8_t>(~0x80); // CWR only on the first
    CHECK(th[13] == expect_flags);
    CHECK(l4_checksum_ok(p, seg.size(), 6));
    CHECK(std::equal(p + headers, p + seg.size(), s + headers + i * hdr.gso_size));
  }
}

} // namespace

TEST_CASE("gso split: IPv4 TSO super-packet with timestamps", "[packet]") {
  tcp_spec s;
  s.flags = 0x10 | 0x08 | 0x80; // ACK PSH CWR
  s.seq = 0xfffff000;           // wraps inside the burst
  s.ip_id = 0xfffe;             // so does the IPv4 id
  virtio_net_hdr hdr;
  bytes super = make_tso(s, pattern(10000), 1368, hdr);
  outputs o(16, 1500);
  std::size_t n = split_for_send(hdr, super.data(), super.size(), o.out.data(), o.out.size());
  REQUIRE(n == 8); // 7 * 1368 + 424
  check_tcp_segments(super, hdr, o, n);
  CHECK(o.out[7].length == 52 + 424);
  CHECK(o.out[8].length == 0); // beyond n: untouched
}

TEST_CASE("gso split: IPv6 TSO super-packet, FIN on the last segment only", "[packet]") {
  tcp_spec s;
  s.v6 = true;
  s.flags = 0x10 | 0x01; // ACK FIN
  virtio_net_hdr hdr;
  bytes super = make_tso(s, pattern(65535 - 40 - 32, 7), 1348, hdr);
  REQUIRE(super.size() == 65535);
  outputs o(64, 1420);
  std::size_t n = split_for_send(hdr, super.data(), super.size(), o.out.data(), o.out.size());
  REQUIRE(n == 49);
  check_tcp_segments(super, hdr, o, n);
}

TEST_CASE("gso split: exact multiple, no options, payload of one segment", "[packet]") {
  tcp_spec s;
  s.timestamps = false;
  virtio_net_hdr hdr;
  bytes super = make_tso(s, pattern(4000), 1000, hdr);
  outputs o(4, 1040);
  REQUIRE(split_for_send(hdr, super.data(), super.size(), o.out.data(), 4) == 4);
  check_tcp_segments(super, hdr, o, 4);

  bytes small = make_tso(s, pattern(600), 1000, hdr);
  outputs one(1, 1040);
  REQUIRE(split_for_send(hdr, small.data(), small.size(), one.out.data(), 1) == 1);
  check_tcp_segments(small, hdr, one, 1);
}

TEST_CASE("gso split: hdr_len past the headers (forwarding path) is checked, not used", "[packet]") {
  tcp_spec s;
  virtio_net_hdr hdr;
  bytes super = make_tso(s, pattern(5000), 1380, hdr);
  outputs a(8, 1500), b(8, 1500);
  REQUIRE(split_for_send(hdr, super.data(), super.size(), a.out.data(), 8) == 4);
  hdr.hdr_len = static_cast<std::uint16_t>(52 + 1380); // the skb's linear part: the first segment
  REQUIRE(split_for_send(hdr, super.data(), super.size(), b.out.data(), 8) == 4);
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(a.segment(i) == b.segment(i));
}

TEST_CASE("gso split: gso_type none copies, and completes a partial checksum", "[packet]") {
  tcp_spec s;
  bytes pkt = make_tcp(s, pattern(700));
  outputs o(1, 1500);
  virtio_net_hdr hdr; // all zero
  REQUIRE(split_for_send(hdr, pkt.data(), pkt.size(), o.out.data(), 1) == 1);
  CHECK(o.segment(0) == pkt);

  // NEEDS_CSUM: the field holds the pseudo-header sum, we finish it.
  bytes partial = pkt;
  set_partial_checksum(partial, 6, 16);
  REQUIRE(partial != pkt);
  hdr.flags = virtio_net_hdr_f_needs_csum;
  hdr.csum_start = 20;
  hdr.csum_offset = 16;
  outputs c(1, 1500);
  REQUIRE(split_for_send(hdr, partial.data(), partial.size(), c.out.data(), 1) == 1);
  CHECK(c.segment(0) == pkt);

  // UDP over IPv6, offset 6.
  bytes udp = make_udp(true, pattern(333));
  bytes udp_partial = udp;
  set_partial_checksum(udp_partial, 17, 6);
  hdr.csum_start = 40;
  hdr.csum_offset = 6;
  outputs u(1, 1500);
  REQUIRE(split_for_send(hdr, udp_partial.data(), udp_partial.size(), u.out.data(), 1) == 1);
  CHECK(u.segment(0) == udp);

  // Not even IP: copied as is when nothing is asked of it.
  bytes junk = pattern(3);
  outputs j(1, 3);
  REQUIRE(split_for_send(virtio_net_hdr{}, junk.data(), junk.size(), j.out.data(), 1) == 1);
  CHECK(j.segment(0) == junk);
}

TEST_CASE("gso split: UDP segmentation offload (USO)", "[packet]") {
  for (bool v6 : {false, true}) {
    INFO("v6 " << v6);
    bytes super = make_udp(v6, pattern(3000, 3));
    set_partial_checksum(super, 17, 6);
    const std::size_t ihl = v6 ? 40 : 20;
    virtio_net_hdr hdr;
    hdr.flags = virtio_net_hdr_f_needs_csum;
    hdr.gso_type = virtio_net_hdr_gso_udp_l4;
    hdr.hdr_len = static_cast<std::uint16_t>(ihl + 8);
    hdr.gso_size = 1200;
    hdr.csum_start = static_cast<std::uint16_t>(ihl);
    hdr.csum_offset = 6;
    outputs o(4, 1500);
    REQUIRE(split_for_send(hdr, super.data(), super.size(), o.out.data(), 4) == 3);
    const std::size_t sizes[] = {1200, 1200, 600};
    for (std::size_t i = 0; i < 3; ++i) {
      bytes seg = o.segment(i);
      REQUIRE(seg.size() == ihl + 8 + sizes[i]);
      CHECK(overlayd::load_be16(seg.data() + ihl + 4) == 8 + sizes[i]);
      CHECK(l4_checksum_ok(seg.data(), seg.size(), 17));
      CHECK(overlayd::load_be16(seg.data() + ihl + 6) != 0);
      if (!v6) {
        CHECK(ipv4_checksum_ok(seg.data()));
        CHECK(overlayd::load_be16(seg.data() + 4) == 0x4242 + i);
      }
      CHECK(std::equal(seg.begin() + ihl + 8, seg.end(), super.begin() + ihl + 8 + i * 1200));
    }
  }
}

TEST_CASE("gso split: malformed or inconsistent input is refused, outputs untouched", "[packet]") {
  tcp_spec s;
  virtio_net_hdr good;
  const bytes super = make_tso(s, pattern(5000), 1380, good);
  const std::size_t n_good = 4;
  {
    outputs o(8, 1500);
    REQUIRE(split_for_send(good, super.data(), super.size(), o.out.data(), 8) == n_good);
  }
  auto refused = [&](const virtio_net_hdr& h, const bytes& p, std::size_t max_out = 8, std::size_t cap = 1500) {
    outputs o(max_out, cap);
    std::size_t n = split_for_send(h, p.data(), p.size(), o.out.data(), max_out);
    return n == 0 && o.untouched();
  };
  auto with = [&](auto change) {
    virtio_net_hdr h = good;
    bytes p = super;
    change(h, p);
    return refused(h, p);
  };

  SECTION("truncated headers") {
    for (std::size_t len : {0, 1, 19, 20, 39, 51}) {
      bytes p(super.begin(), super.begin() + static_cast<long>(len));
      if (len >= 4)
        overlayd::store_be16(p.data() + 2, static_cast<std::uint32_t>(len));
      CHECK(refused(good, p));
    }
    CHECK(with([](virtio_net_hdr&, bytes& p) { p[0] = 0x4f; }));            // IHL 60 > TCP start
    CHECK(with([](virtio_net_hdr&, bytes& p) { p[0] = 0x44; }));            // IHL 16
    CHECK(with([](virtio_net_hdr&, bytes& p) { p[32] = 0x40; }));           // TCP doff 16
  }
  SECTION("lengths that disagree") {
    CHECK(with([](virtio_net_hdr&, bytes& p) { overlayd::store_be16(p.data() + 2, overlayd::load_be16(p.data() + 2) - 1); }));
    CHECK(with([](virtio_net_hdr&, bytes& p) { p.push_back(0); }));         // trailing byte
    CHECK(with([](virtio_net_hdr&, bytes& p) { p.pop_back(); }));
  }
  SECTION("hdr_len lies") {
    CHECK(with([](virtio_net_hdr& h, bytes&) { h.hdr_len = 40; }));        // inside the TCP header
    CHECK(with([](virtio_net_hdr& h, bytes&) { h.hdr_len = 0; }));
    CHECK(with([&](virtio_net_hdr& h, bytes&) { h.hdr_len = static_cast<std::uint16_t>(super.size() + 1); }));
  }
  SECTION("checksum placement lies") {
    CHECK(with([](virtio_net_hdr& h, bytes&) { h.csum_start = 24; }));
    CHECK(with([](virtio_net_hdr& h, bytes&) { h.csum_offset = 6; }));
  }
  SECTION("gso_size 0") {
    CHECK(with([](virtio_net_hdr& h, bytes&) { h.gso_size = 0; }));
  }
  SECTION("type and packet disagree") {
    CHECK(with([](virtio_net_hdr& h, bytes&) { h.gso_type = virtio_net_hdr_gso_tcpv6; }));
    CHECK(with([](virtio_net_hdr& h, bytes&) { h.gso_type = virtio_net_hdr_gso_udp_l4; })); // TCP inside
    CHECK(with([](virtio_net_hdr& h, bytes&) { h.gso_type = virtio_net_hdr_gso_udp; }));    // UFO
    CHECK(with([](virtio_net_hdr& h, bytes&) { h.gso_type = 2; }));
    CHECK(with([](virtio_net_hdr& h, bytes&) { h.gso_type = virtio_net_hdr_gso_ecn; }));
    CHECK(with([](virtio_net_hdr& h, bytes&) { h.gso_type = virtio_net_hdr_gso_udp_l4 | virtio_net_hdr_gso_ecn; }));
    CHECK(with([](virtio_net_hdr&, bytes& p) { p[9] = 17; }));              // UDP in a TCPV4
    CHECK(with([](virtio_net_hdr&, bytes& p) { p[0] = 0x55; }));            // version 5
  }
  SECTION("fragments and extension headers") {
    CHECK(with([](virtio_net_hdr&, bytes& p) { overlayd::store_be16(p.data() + 6, 0x2000); })); // MF
    CHECK(with([](virtio_net_hdr&, bytes& p) { overlayd::store_be16(p.data() + 6, 0x0001); })); // offset
    tcp_spec s6;
    s6.v6 = true;
    virtio_net_hdr h6;
    bytes p6 = make_tso(s6, pattern(3000), 1380, h6);
    p6[6] = 0; // hop-by-hop options header in front of TCP
    CHECK(refused(h6, p6));
    p6[6] = 6;
    overlayd::store_be16(p6.data() + 4, 0); // jumbogram payload length
    CHECK(refused(h6, p6));
  }
  SECTION("not enough room") {
    CHECK(refused(good, super, n_good - 1));
    CHECK(refused(good, super, 8, 1380 + 52 - 1));
    // One buffer in the middle too small: nothing is written at all.
    outputs o(8, 1500);
    o.out[2].capacity = 100;
    CHECK(split_for_send(good, super.data(), super.size(), o.out.data(), 8) == 0);
    o.out[2].capacity = 1500;
    CHECK(o.untouched());
    o.out[1].data = nullptr;
    CHECK(split_for_send(good, super.data(), super.size(), o.out.data(), 8) == 0);
  }
  SECTION("gso_type none") {
    virtio_net_hdr h;
    h.flags = virtio_net_hdr_f_needs_csum;
    h.csum_start = 20;
    h.csum_offset = 16;
    bytes small(super.begin(), super.begin() + 37); // field would end at 38
    CHECK(refused(h, small));
    h.csum_offset = 15; // odd
    CHECK(refused(h, super, 1, 65535));
    h.csum_offset = 0xffff;
    h.csum_start = 0xffff;
    CHECK(refused(h, super, 1, 65535));
    CHECK(refused(virtio_net_hdr{}, super, 1, super.size() - 1));
    CHECK(refused(virtio_net_hdr{}, super, 0));
    CHECK(refused(virtio_net_hdr{}, bytes{}, 1));
  }
}

TEST_CASE("gso split: fuzz with random bytes and headers never strays out of bounds", "[packet]") {
  std::mt19937 rng(20230414);
  tcp_spec s;
  std::size_t accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    bytes p;
    virtio_net_hdr h;
    const unsigned mode = rng() % 3;
    if (mode == 0) {
      p = pattern(rng() % 2000, static_cast<std::uint32_t>(rng()));
      if (!p.empty() && rng() % 2)
        p[0] = static_cast<std::uint8_t>(rng() % 2 ? 0x45 : 0x60);
      if (p.size() >= 4 && rng() % 2)
        overlayd::store_be16(p.data() + 2, static_cast<std::uint32_t>(p.size()));
    } else {
      s.v6 = rng() % 2;
      s.timestamps = rng() % 2;
      s.flags = static_cast<std::uint8_t>(rng());
      p = make_tso(s, pattern(rng() % 6000), static_cast<std::uint16_t>(rng() % 3000), h);
      if (mode == 2) {
        // A few corrupted bytes in the headers, maybe a cut.
        for (int k = rng() % 4; k > 0; --k)
          p[rng() % std::min<std::size_t>(p.size(), 64)] = static_cast<std::uint8_t>(rng());
        if (rng() % 4 == 0)
          p.resize(rng() % (p.size() + 1));
      }
    }
    if (mode == 0 || rng() % 3 == 0) {
      const std::uint8_t types[] = {0, 1, 3, 4, 5, 0x81, 0x84, 0x85, 2, 0xff};
      h.flags = static_cast<std::uint8_t>(rng() % 4);
      h.gso_type = types[rng() % 10];
      h.hdr_len = static_cast<std::uint16_t>(rng() % 128);
      h.gso_size = static_cast<std::uint16_t>(rng() % 2 ? rng() % 64 : rng());
      h.csum_start = static_cast<std::uint16_t>(rng() % 2 ? rng() % 64 : rng());
      h.csum_offset = static_cast<std::uint16_t>(rng() % 2 ? rng() % 20 : rng());
    }
    // Each output its own exact-size heap block (ASan red zones right after).
    const std::size_t max_out = rng() % 80;
    std::vector<bytes> storage;
    std::vector<segment_out> out;
    for (std::size_t i = 0; i < max_out; ++i) {
      storage.emplace_back(rng() % 2 ? 1500 : rng() % 1600);
      out.push_back(segment_out{storage.back().data(), storage.back().size(), 0});
    }
    // The input, too, in a block of exactly its size.
    std::unique_ptr<std::uint8_t[]> in(new std::uint8_t[p.size()]);
    std::copy(p.begin(), p.end(), in.get());
    std::size_t n = split_for_send(h, in.get(), p.size(), out.data(), max_out);
    REQUIRE(n <= max_out);
    for (std::size_t i = 0; i < n; ++i)
      REQUIRE(out[i].length <= out[i].capacity);
    if (n > 0 && h.gso_type != 0) {
      ++accepted;
      const std::uint8_t proto = (h.gso_type & 0x7f) == 5 ? 17 : 6;
      for (std::size_t i = 0; i < n; ++i)
        REQUIRE(l4_checksum_ok(out[i].data, out[i].length, proto));
    }
  }
  CHECK(accepted > 1000); // the fuzz reached the segmenting code, not just the checks
}
