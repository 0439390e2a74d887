#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "net/packet/gso_split.hpp"
#include "net/packet/tcp_coalescer.hpp"
#include "packet_builder.hpp"

using namespace overlayd::net::packet;
using namespace overlayd::testing;

namespace {

using segments = std::vector<bytes>;

// Packets as the device would hold them: each its own heap block of
// headroom + capacity, so AddressSanitizer catches a step outside any one.
struct batch {
  std::vector<std::unique_ptr<std::uint8_t[]>> storage;
  std::vector<gro_packet> packets;
  std::vector<tun_write> writes;
  std::vector<std::uint8_t> spare_storage;
  merge_space spare;

  void add(const bytes& p, std::size_t capacity = 65535) {
    capacity = std::max(capacity, p.size());
    storage.emplace_back(new std::uint8_t[virtio_net_hdr_size + capacity]);
    std::uint8_t* data = storage.back().get() + virtio_net_hdr_size;
    std::fill(storage.back().get(), data, 0xaa); // headroom: must be overwritten
    std::copy(p.begin(), p.end(), data);
    packets.push_back(gro_packet{data, p.size(), capacity});
  }
  void add_all(const segments& s, std::size_t room = 65535) {
    for (const auto& p : s)
      add(p, room);
  }
  // Buffers a head with no room behind it may move to.
  void add_spare(std::size_t count, std::size_t size) {
    spare_storage.assign(count * size, 0xbb);
    spare = merge_space{spare_storage.data(), size, count};
  }
  bool in_spare(const std::uint8_t* p) const {
    return !spare_storage.empty() && p >= spare_storage.data()
           && p < spare_storage.data() + spare_storage.size();
  }
  std::size_t coalesce() {
    writes.assign(packets.size(), tun_write{nullptr, 0});
    std::size_t n = coalesce_for_tun(packets.data(), packets.size(), writes.data(), spare);
    writes.resize(n);
    return n;
  }
  virtio_net_hdr header(std::size_t i) const { return read_virtio_net_hdr(writes[i].data); }
  bytes packet(std::size_t i) const {
    return bytes(writes[i].data + virtio_net_hdr_size, writes[i].data + writes[i].length);
  }
};

segments split(const virtio_net_hdr& hdr, const bytes& p) {
  const std::size_t n_max = hdr.gso_size == 0 ? 1 : p.size() / hdr.gso_size + 2;
  std::vector<bytes> storage(n_max, bytes(std::min<std::size_t>(p.size(), 128 + hdr.gso_size)));
  std::vector<segment_out> out;
  for (auto& b : storage)
    out.push_back(segment_out{b.data(), b.size(), 0});
  std::size_t n = split_for_send(hdr, p.data(), p.size(), out.data(), out.size());
  segments result;
  for (std::size_t i = 0; i < n; ++i)
    result.emplace_back(storage[i].begin(), storage[i].begin() + static_cast<long>(out[i].length));
  return result;
}

// The segments of a TSO super-packet, as split_for_send cuts them.
segments make_segments(const tcp_spec& s, std::size_t payload, std::uint16_t gso_size, std::uint32_t seed = 1) {
  virtio_net_hdr hdr;
  bytes super = make_tso(s, pattern(payload, seed), gso_size, hdr);
  return split(hdr, super);
}

// What the kernel makes of write i: the segments it would cut, or the
// packet itself when the header asks for nothing.
segments as_kernel_sees(const batch& b, std::size_t i) {
  virtio_net_hdr hdr = b.header(i);
  if (hdr.gso_type == virtio_net_hdr_gso_none) {
    CHECK(hdr.flags == 0);
    CHECK(hdr.hdr_len == 0);
    CHECK(hdr.gso_size == 0);
    CHECK(hdr.csum_start == 0);
    CHECK(hdr.csum_offset == 0);
    return {b.packet(i)};
  }
  return split(hdr, b.packet(i));
}

segments pick(const segments& s, std::initializer_list<std::size_t> which) {
  segments r;
  for (auto i : which)
    r.push_back(s[i]);
  return r;
}

void refresh_tcp_checksum(bytes& p) {
  const std::size_t ihl = ip_header_len(p.data());
  overlayd::store_be16(p.data() + ihl + 16, 0);
  overlayd::store_be16(p.data() + ihl + 16,
        static_cast<std::uint16_t>(~naive_sum(p.data() + ihl, p.size() - ihl,
                                              naive_pseudo_sum(p.data(), 6, p.size() - ihl))));
}

void refresh_ipv4_checksum(bytes& p) {
  overlayd::store_be16(p.data() + 10, 0);
  overlayd::store_be16(p.data() + 10, static_cast<std::uint16_t>(~naive_sum(p.data(), ip_header_len(p.data()))));
}

} // namespace

TEST_CASE("tcp coalescer: split segments coalesce back into the super-packet", "[packet]") {
  for (bool v6 : {false, true}) {
    for (std::uint8_t flags : {std::uint8_t{0x10}, std::uint8_t{0x18}, std::uint8_t{0x90}, std::uint8_t{0x50}}) {
      INFO("v6 " << v6 << " flags " << int{flags});
      tcp_spec s;
      s.v6 = v6;
      s.flags = flags; // ACK, ACK+PSH, ACK+CWR, ACK+ECE
      virtio_net_hdr hdr;
      const bytes super = make_tso(s, pattern(45 * 1380, 9), 1380, hdr);
      const segments segs = split(hdr, super);
      REQUIRE(segs.size() == 45);

      batch b;
      b.add_all(segs);
      REQUIRE(b.coalesce() == 1);
      CHECK(b.writes[0].data == b.packets[0].data - virtio_net_hdr_size);
      CHECK(b.writes[0].length == super.size() + virtio_net_hdr_size);
      // Byte for byte, checksum field included: the kernel's TSO convention
      // (folded pseudo-header sum) is also what we hand back.
      CHECK(b.packet(0) == super);
      virtio_net_hdr got = b.header(0);
      CHECK(got.flags == hdr.flags);
      CHECK(int{got.gso_type} == int{hdr.gso_type});
      CHECK(got.hdr_len == hdr.hdr_len);
      CHECK(got.gso_size == hdr.gso_size);
      CHECK(got.csum_start == hdr.csum_start);
      CHECK(got.csum_offset == hdr.csum_offset);
      // And the kernel's resegmentation gives back exactly the segments.
      CHECK(as_kernel_sees(b, 0) == segs);
    }
  }
}

TEST_CASE("tcp coalescer: what cannot merge passes through untouched", "[packet]") {
  tcp_spec s;
  batch b;
  const bytes single = make_tcp(s, pattern(1000));
  tcp_spec opt = s;
  opt.ipv4_options = 1;
  opt.src_port = 1111;
  const segments with_options = make_segments(opt, 3000, 1000);
  REQUIRE(with_options.size() == 3);
  const bytes udp4 = make_udp(false, pattern(1200));
  const bytes udp6 = make_udp(true, pattern(1200));
  bytes not_ip = pattern(60);
  not_ip[0] = 0x20;
  const bytes tiny = pattern(5);
  tcp_spec cut_spec = s;
  cut_spec.src_port = 2222;
  bytes truncated = make_tcp(cut_spec, pattern(1000)); // IP length says more than there is
  truncated.resize(700);
  tcp_spec six = s;
  six.v6 = true;
  const segments ext_headers = [&] {
    segments r = make_segments(six, 3000, 1000);
    for (auto& p : r)
      p[6] = 60; // destination options in front of TCP
    return r;
  }();

  b.add(single);
  b.add_all(with_options);
  b.add(udp4);
  b.add(udp6);
  b.add(not_ip);
  b.add(tiny);
  b.add(truncated);
  b.add_all(ext_headers);
  const std::size_t count = b.packets.size();
  REQUIRE(b.coalesce() == count);
  std::vector<bytes> inputs = {single};
  inputs.insert(inputs.end(), with_options.begin(), with_options.end());
  inputs.insert(inputs.end(), {udp4, udp6, not_ip, tiny, truncated});
  inputs.insert(inputs.end(), ext_headers.begin(), ext_headers.end());
  for (std::size_t i = 0; i < count; ++i) {
    INFO("packet " << i);
    CHECK(b.writes[i].data == b.packets[i].data - virtio_net_hdr_size);
    CHECK(b.packet(i) == inputs[i]);
    const std::uint8_t zero[virtio_net_hdr_size] = {};
    CHECK(std::equal(zero, zero + virtio_net_hdr_size, b.writes[i].data));
  }
}

TEST_CASE("tcp coalescer: runs end where the stream does not continue", "[packet]") {
  tcp_spec s;
  const segments segs = make_segments(s, 5 * 1380, 1380);
  REQUIRE(segs.size() == 5);

  SECTION("a gap in the sequence") {
    batch b;
    b.add_all(pick(segs, {0, 1, 3, 4}));
    REQUIRE(b.coalesce() == 2);
    CHECK(as_kernel_sees(b, 0) == pick(segs, {0, 1}));
    CHECK(as_kernel_sees(b, 1) == pick(segs, {3, 4}));
  }
  SECTION("reordered segments keep their order") {
    batch b;
    b.add_all(pick(segs, {0, 2, 1, 3, 4}));
    // Only appends: each out-of-order segment closes the run before it.
    REQUIRE(b.coalesce() == 4);
    CHECK(as_kernel_sees(b, 0) == pick(segs, {0}));
    CHECK(as_kernel_sees(b, 1) == pick(segs, {2}));
    CHECK(as_kernel_sees(b, 2) == pick(segs, {1}));
    CHECK(as_kernel_sees(b, 3) == pick(segs, {3, 4}));
  }
  SECTION("PSH in the middle ends a run and is its last segment") {
    segments mod = segs;
    mod[1][20 + 13] |= 0x08;
    refresh_tcp_checksum(mod[1]);
    batch b;
    b.add_all(mod);
    REQUIRE(b.coalesce() == 2);
    CHECK((b.packet(0)[33] & 0x08) != 0);
    CHECK(as_kernel_sees(b, 0) == pick(mod, {0, 1}));
    CHECK(as_kernel_sees(b, 1) == pick(mod, {2, 3, 4}));
  }
  SECTION("a pure ACK of the same flow is neither merged nor overtaken") {
    tcp_spec ack = s;
    ack.seq = s.seq + 2 * 1380;
    const bytes pure_ack = make_tcp(ack, {});
    batch b;
    b.add_all(pick(segs, {0, 1}));
    b.add(pure_ack);
    b.add_all(pick(segs, {2, 3, 4}));
    REQUIRE(b.coalesce() == 3);
    CHECK(as_kernel_sees(b, 0) == pick(segs, {0, 1}));
    CHECK(b.packet(1) == pure_ack);
    CHECK(as_kernel_sees(b, 2) == pick(segs, {2, 3, 4}));
  }
  SECTION("a different ACK number") {
    segments mod = segs;
    for (std::size_t i = 2; i < 5; ++i) {
      overlayd::store_be32(mod[i].data() + 20 + 8, s.ack + 1);
      refresh_tcp_checksum(mod[i]);
    }
    batch b;
    b.add_all(mod);
    REQUIRE(b.coalesce() == 2);
    CHECK(as_kernel_sees(b, 0) == pick(mod, {0, 1}));
    CHECK(as_kernel_sees(b, 1) == pick(mod, {2, 3, 4}));
  }
  SECTION("different window, options, TTL, TOS or DF") {
    // From segment 2 on: the run ends there, and a new one starts.
    auto change = [&](auto f) {
      segments mod = segs;
      for (std::size_t i = 2; i < 5; ++i) {
        f(mod[i]);
        refresh_ipv4_checksum(mod[i]);
        refresh_tcp_checksum(mod[i]);
      }
      batch b;
      b.add_all(mod);
      REQUIRE(b.coalesce() == 2);
      CHECK(as_kernel_sees(b, 0) == pick(mod, {0, 1}));
      CHECK(as_kernel_sees(b, 1) == pick(mod, {2, 3, 4}));
    };
    change([](bytes& p) { overlayd::store_be16(p.data() + 20 + 14, 9999); });    // window
    change([](bytes& p) { p[20 + 20 + 11] ^= 1; });               // timestamp echo
    change([](bytes& p) { p[8] = 63; });                          // TTL
    change([](bytes& p) { p[1] = 0x02; });                        // TOS (ECT(0))
    change([](bytes& p) { p[6] = 0; });                           // DF cleared
    change([](bytes& p) { p[20 + 13] |= 0x40; });                 // ECE appears
    change([](bytes& p) { overlayd::store_be16(p.data() + 20 + 18, 5); });       // urgent pointer
  }
  SECTION("IPv6: different flow label or hop limit") {
    tcp_spec s6 = s;
    s6.v6 = true;
    const segments segs6 = make_segments(s6, 5 * 1380, 1380);
    for (std::size_t at : {std::size_t{3}, std::size_t{7}}) { // flow label low byte, hop limit
      segments mod = segs6;
      for (std::size_t i = 2; i < 5; ++i)
        mod[i][at] ^= 1; // not covered by the TCP checksum
      batch b;
      b.add_all(mod);
      REQUIRE(b.coalesce() == 2);
      CHECK(as_kernel_sees(b, 0) == pick(mod, {0, 1}));
      CHECK(as_kernel_sees(b, 1) == pick(mod, {2, 3, 4}));
    }
  }
  SECTION("a FIN, SYN, RST or URG segment goes alone") {
    for (std::uint8_t f : {std::uint8_t{0x01}, std::uint8_t{0x02}, std::uint8_t{0x04}, std::uint8_t{0x20}}) {
      segments mod = segs;
      mod[2][20 + 13] |= f;
      refresh_tcp_checksum(mod[2]);
      batch b;
      b.add_all(mod);
      REQUIRE(b.coalesce() == 3);
      CHECK(as_kernel_sees(b, 0) == pick(mod, {0, 1}));
      CHECK(b.packet(1) == mod[2]);
      CHECK(as_kernel_sees(b, 2) == pick(mod, {3, 4}));
    }
  }
  SECTION("CWR is only allowed on the first segment of a run") {
    segments mod = segs;
    mod[2][20 + 13] |= 0x80;
    refresh_tcp_checksum(mod[2]);
    batch b;
    b.add_all(mod);
    REQUIRE(b.coalesce() == 2);
    CHECK(as_kernel_sees(b, 0) == pick(mod, {0, 1}));
    CHECK((b.header(1).gso_type & virtio_net_hdr_gso_ecn) != 0);
    CHECK(as_kernel_sees(b, 1) == pick(mod, {2, 3, 4}));
  }
}

TEST_CASE("tcp coalescer: segment sizes", "[packet]") {
  tcp_spec s;
  auto seg = [&](std::uint32_t offset, std::size_t len, std::uint16_t id) {
    tcp_spec t = s;
    t.seq = s.seq + offset;
    t.ip_id = id;
    return make_tcp(t, pattern(len, offset + 1));
  };
  SECTION("a short segment ends the run") {
    segments in = {seg(0, 1000, 1), seg(1000, 600, 2), seg(1600, 1000, 3)};
    batch b;
    b.add_all(in);
    REQUIRE(b.coalesce() == 2);
    CHECK(as_kernel_sees(b, 0) == pick(in, {0, 1}));
    CHECK(b.header(1).gso_type == 0);
    CHECK(b.packet(1) == in[2]);
  }
  SECTION("a larger segment cannot follow a smaller one") {
    segments in = {seg(0, 600, 1), seg(600, 1000, 2)};
    batch b;
    b.add_all(in);
    REQUIRE(b.coalesce() == 2);
    CHECK(b.packet(0) == in[0]);
    CHECK(b.packet(1) == in[1]);
  }
  SECTION("65535 bytes of IP packet at most") {
    segments in;
    for (std::uint16_t i = 0; i < 50; ++i)
      in.push_back(seg(i * 1380u, 1380, i));
    batch b;
    b.add_all(in);
    REQUIRE(b.coalesce() == 2);
    const std::size_t fit = (65535 - 52) / 1380; // 47
    CHECK(b.writes[0].length == 10 + 52 + fit * 1380);
    CHECK(b.writes[1].length == 10 + 52 + (50 - fit) * 1380);
    CHECK(as_kernel_sees(b, 0).size() == fit);
    CHECK(as_kernel_sees(b, 1).size() == 50 - fit);
  }
  SECTION("the head buffer's capacity is respected") {
    segments in = {seg(0, 1000, 1), seg(1000, 1000, 2), seg(2000, 1000, 3), seg(3000, 1000, 4)};
    batch b;
    b.add(in[0], in[0].size() + 1000); // room for exactly one more
    b.add(in[1]);
    b.add(in[2], in[2].size() + 999);  // one byte short
    b.add(in[3]);
    REQUIRE(b.coalesce() == 3);
    CHECK(as_kernel_sees(b, 0) == pick(in, {0, 1}));
    CHECK(b.packet(1) == in[2]);
    CHECK(b.packet(2) == in[3]);
  }
  SECTION("IPv4 without DF merges only with consecutive ids") {
    s.df = false;
    segments good = {seg(0, 1000, 7), seg(1000, 1000, 8), seg(2000, 1000, 9)};
    batch b;
    b.add_all(good);
    REQUIRE(b.coalesce() == 1);
    CHECK(as_kernel_sees(b, 0) == good);
    segments same_id = {seg(0, 1000, 7), seg(1000, 1000, 7)};
    batch c;
    c.add_all(same_id);
    REQUIRE(c.coalesce() == 2);
  }
}

TEST_CASE("tcp coalescer: checksums are verified before merging", "[packet]") {
  tcp_spec s;
  const segments segs = make_segments(s, 4 * 1380, 1380);
  SECTION("a corrupt segment in the middle is written alone, as it came") {
    segments mod = segs;
    mod[2][100] ^= 0x01;
    batch b;
    b.add_all(mod);
    REQUIRE(b.coalesce() == 3);
    CHECK(as_kernel_sees(b, 0) == pick(mod, {0, 1}));
    CHECK(b.packet(1) == mod[2]);
    CHECK(b.header(1).gso_type == 0);
    CHECK(b.packet(2) == mod[3]);
  }
  SECTION("a corrupt first segment") {
    segments mod = segs;
    mod[0][100] ^= 0x01;
    batch b;
    b.add_all(mod);
    REQUIRE(b.coalesce() == 2);
    CHECK(b.packet(0) == mod[0]);
    CHECK(as_kernel_sees(b, 1) == pick(mod, {1, 2, 3}));
  }
  SECTION("a corrupt IPv4 header checksum") {
    segments mod = segs;
    mod[1][10] ^= 0x01;
    batch b;
    b.add_all(mod);
    REQUIRE(b.coalesce() == 3);
    CHECK(b.packet(0) == mod[0]);
    CHECK(b.packet(1) == mod[1]);
    CHECK(as_kernel_sees(b, 2) == pick(mod, {2, 3}));
  }
}

TEST_CASE("tcp coalescer: interleaved flows", "[packet]") {
  tcp_spec a, c;
  a.src_last = 1;
  c.src_last = 2;
  tcp_spec d = a;
  d.src_port = 40001; // same hosts, another connection
  tcp_spec e = a;
  e.v6 = true;
  const segments sa = make_segments(a, 4 * 1380, 1380, 1);
  const segments sc = make_segments(c, 4 * 1380, 1380, 2);
  const segments sd = make_segments(d, 4 * 1380, 1380, 3);
  const segments se = make_segments(e, 4 * 1380, 1380, 4);
  batch b;
  const bytes udp = make_udp(false, pattern(100));
  for (std::size_t i = 0; i < 4; ++i) {
    b.add(sa[i]);
    b.add(sc[i]);
    if (i == 1)
      b.add(udp);
    b.add(sd[i]);
    b.add(se[i]);
  }
  REQUIRE(b.coalesce() == 5);
  // In the order of each run's first packet.
  CHECK(as_kernel_sees(b, 0) == sa);
  CHECK(as_kernel_sees(b, 1) == sc);
  CHECK(as_kernel_sees(b, 2) == sd);
  CHECK(as_kernel_sees(b, 3) == se);
  CHECK(b.packet(4) == udp);
}

TEST_CASE("tcp coalescer: more flows than the table holds", "[packet]") {
  const std::size_t flows = max_open_flows + 8;
  std::vector<segments> per_flow;
  for (std::size_t f = 0; f < flows; ++f) {
    tcp_spec s;
    s.src_port = static_cast<std::uint16_t>(10000 + f);
    per_flow.push_back(make_segments(s, 2 * 1000, 1000, static_cast<std::uint32_t>(f)));
  }
  batch b;
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t f = 0; f < flows; ++f)
      b.add(per_flow[f][i]);
  const std::size_t n = b.coalesce();
  // The last 8 flows found the table full: their segments went alone.
  REQUIRE(n == max_open_flows + 2 * 8);
  segments seen;
  for (std::size_t i = 0; i < n; ++i)
    for (auto& p : as_kernel_sees(b, i))
      seen.push_back(p);
  REQUIRE(seen.size() == 2 * flows);
  // Every segment once, each flow's in order.
  for (std::size_t f = 0; f < flows; ++f) {
    auto first = std::find(seen.begin(), seen.end(), per_flow[f][0]);
    auto second = std::find(seen.begin(), seen.end(), per_flow[f][1]);
    REQUIRE(first != seen.end());
    REQUIRE(second != seen.end());
    CHECK(first < second);
  }
}

TEST_CASE("tcp coalescer: empty input and empty packets", "[packet]") {
  tun_write w[2];
  CHECK(coalesce_for_tun(nullptr, 0, w) == 0);
  gro_packet none[2] = {{nullptr, 100, 100}, {nullptr, 0, 0}};
  CHECK(coalesce_for_tun(none, 2, w) == 0);
}

TEST_CASE("tcp coalescer: heads without room move to merge space", "[packet]") {
  // UDP GRO packs datagrams back to back: a decrypted packet has no room
  // behind it, so a merge copies its head into a spare buffer first.
  tcp_spec a, c;
  c.src_last = 2;
  const segments sa = make_segments(a, 4 * 1380, 1380, 1);
  const segments sc = make_segments(c, 4 * 1380, 1380, 2);
  SECTION("without merge space nothing merges") {
    batch b;
    b.add_all(sa, 0);
    REQUIRE(b.coalesce() == 4);
    for (std::size_t i = 0; i < 4; ++i)
      CHECK(b.packet(i) == sa[i]);
  }
  SECTION("with merge space the run merges there") {
    batch b;
    b.add_all(sa, 0);
    b.add_spare(2, 65536);
    REQUIRE(b.coalesce() == 1);
    CHECK(b.in_spare(b.writes[0].data));
    CHECK(b.writes[0].data == b.spare_storage.data()); // the first spare buffer
    CHECK(as_kernel_sees(b, 0) == sa);
  }
  SECTION("each merge takes its own buffer; when they run out, flows go alone") {
    batch b;
    for (std::size_t i = 0; i < 4; ++i) {
      b.add(sa[i], 0);
      b.add(sc[i], 0);
    }
    b.add_spare(1, 65536);
    REQUIRE(b.coalesce() == 5);
    CHECK(as_kernel_sees(b, 0) == sa);
    CHECK(b.in_spare(b.writes[0].data));
    for (std::size_t i = 0; i < 4; ++i) {
      CHECK_FALSE(b.in_spare(b.writes[1 + i].data));
      CHECK(b.packet(1 + i) == sc[i]);
    }
  }
  SECTION("a head with room of its own stays where it is") {
    batch b;
    b.add_all(sa);
    b.add_spare(1, 65536);
    REQUIRE(b.coalesce() == 1);
    CHECK_FALSE(b.in_spare(b.writes[0].data));
    CHECK(as_kernel_sees(b, 0) == sa);
  }
  SECTION("a spare buffer too small for the merge is not used") {
    batch b;
    b.add_all(sa, 0);
    b.add_spare(1, virtio_net_hdr_size + sa[0].size() + 100);
    REQUIRE(b.coalesce() == 4);
    for (std::size_t i = 0; i < 4; ++i)
      CHECK_FALSE(b.in_spare(b.writes[i].data));
  }
}

TEST_CASE("tcp coalescer: fuzz with random batches never strays out of bounds", "[packet]") {
  std::mt19937 rng(6502);
  std::size_t merged_writes = 0;
  for (int round = 0; round < 3000; ++round) {
    batch b;
    // A few flows' worth of real segments, then damage.
    std::vector<segments> pool;
    for (int f = 0; f < 3; ++f) {
      tcp_spec s;
      s.v6 = rng() % 2;
      s.timestamps = rng() % 2;
      s.src_port = static_cast<std::uint16_t>(rng() % 3);
      s.df = rng() % 4 != 0;
      s.flags = static_cast<std::uint8_t>(rng() % 8 == 0 ? rng() : 0x10);
      pool.push_back(make_segments(s, 1 + rng() % 8000, static_cast<std::uint16_t>(200 + rng() % 1200),
                                   static_cast<std::uint32_t>(rng())));
    }
    const std::size_t count = rng() % 64;
    for (std::size_t i = 0; i < count; ++i) {
      bytes p;
      const unsigned mode = rng() % 8;
      const segments& src = pool[rng() % pool.size()];
      if (mode == 0 || src.empty()) {
        p = pattern(rng() % 200, static_cast<std::uint32_t>(rng()));
        if (!p.empty())
          p[0] = static_cast<std::uint8_t>(rng() % 2 ? 0x45 : 0x60);
      } else {
        p = src[rng() % src.size()];
        if (mode == 1)
          p[rng() % std::min<std::size_t>(p.size(), 80)] = static_cast<std::uint8_t>(rng());
        if (mode == 2)
          p.resize(rng() % (p.size() + 1));
        if (mode == 3 && p.size() > 4)
          overlayd::store_be16(p.data() + 2, static_cast<std::uint32_t>(rng()));
      }
      const std::size_t capacity = rng() % 3 == 0 ? p.size() : p.size() + rng() % 20000;
      b.add(p, capacity);
    }
    const std::size_t spare_size = 1024 + rng() % 65536;
    b.add_spare(rng() % 3, spare_size);
    const std::size_t n = b.coalesce();
    REQUIRE(n <= count);
    for (std::size_t i = 0; i < n; ++i) {
      if (b.in_spare(b.writes[i].data)) {
        const auto offset = static_cast<std::size_t>(b.writes[i].data - b.spare_storage.data());
        REQUIRE(offset % spare_size == 0);
        REQUIRE(b.writes[i].length <= spare_size);
      } else {
        auto it = std::find_if(b.packets.begin(), b.packets.end(),
                               [&](const gro_packet& g) { return g.data - virtio_net_hdr_size == b.writes[i].data; });
        REQUIRE(it != b.packets.end());
        REQUIRE(b.writes[i].length <= it->capacity + virtio_net_hdr_size);
        REQUIRE(b.writes[i].length >= it->length + virtio_net_hdr_size);
      }
      virtio_net_hdr hdr = b.header(i);
      if (hdr.gso_type != 0) {
        // Whatever we merged, the kernel can cut again into valid segments.
        ++merged_writes;
        segments cut = split(hdr, b.packet(i));
        REQUIRE(cut.size() >= 2);
        for (auto& p : cut) {
          REQUIRE(l4_checksum_ok(p.data(), p.size(), 6));
          if (!is_v6(p.data()))
            REQUIRE(ipv4_checksum_ok(p.data()));
        }
      }
    }
  }
  CHECK(merged_writes > 1000);
}
