#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>

#include "hex_bytes.hpp"
#include "net/packet/checksum.hpp"
#include "packet_builder.hpp"

using namespace overlayd::net::packet;
using namespace overlayd::testing;

TEST_CASE("checksum: RFC 1071 section 3 example", "[packet]") {
  // 0001 + f203 + f4f5 + f6f7 = 2ddf0, folded ddf2; the checksum is 220d.
  const std::uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK(checksum_partial(data, sizeof data) == 0xddf2);
  CHECK(checksum_fold(checksum_partial(data, sizeof data)) == 0x220d);
  // Byte-order independence, RFC 1071 2(B): swapped input sums swapped.
  const std::uint8_t swapped[] = {0x01, 0x00, 0x03, 0xf2, 0xf5, 0xf4, 0xf7, 0xf6};
  CHECK(checksum_partial(swapped, sizeof swapped) == 0xf2dd);
  // Incremental, 2(C)/(D): pieces of even length chain to the whole.
  CHECK(checksum_partial(data + 4, 4, checksum_partial(data, 4)) == 0xddf2);
  CHECK(checksum_partial(data, 2, checksum_partial(data + 2, 6)) == 0xddf2);
}

TEST_CASE("checksum: known IPv4 header vectors", "[packet]") {
  struct vector {
    const char* header;
    std::uint16_t checksum;
  };
  // With the checksum field zeroed; the values are those carried on the wire
  // (the Wikipedia "IPv4 header checksum" example, and a captured TCP SYN).
  const vector vectors[] = {
      {"450000730000400040110000c0a80001c0a800c7", 0xb861},
      {"4500003c1c46400040060000ac100a63ac100a0c", 0xb1e6},
  };
  for (const auto& v : vectors) {
    bytes h = unhex(v.header);
    REQUIRE(h.size() == 20);
    CHECK(ipv4_header_checksum(h.data()) == v.checksum);
    overlayd::store_be16(h.data() + 10, v.checksum);
    // The field does not count, whatever it holds; the whole sums to 0xffff.
    CHECK(ipv4_header_checksum(h.data()) == v.checksum);
    CHECK(checksum_partial(h.data(), 20) == 0xffff);
    CHECK(checksum_fold(checksum_partial(h.data(), 20)) == 0);
  }
  // With options (IHL 6): four more bytes are covered.
  bytes h = unhex("4600002000004000400600000a0700010a07010201010100");
  REQUIRE(h.size() == 24);
  overlayd::store_be16(h.data() + 10, ipv4_header_checksum(h.data()));
  CHECK(naive_sum(h.data(), 24) == 0xffff);
  // IHL below 5 is not a header.
  h[0] = 0x44;
  CHECK(ipv4_header_checksum(h.data()) == 0);
}

TEST_CASE("checksum: fold", "[packet]") {
  CHECK(checksum_fold(0) == 0xffff);
  CHECK(checksum_fold(0xffff) == 0);
  CHECK(checksum_fold(0x1fffe) == 0);          // 0xffff + 0xffff
  CHECK(checksum_fold(0xffffffffu) == 0);      // ffff + ffff -> 1fffe -> ffff
  CHECK(checksum_fold(0x2ddf0) == 0x220d);
  CHECK(checksum_partial(nullptr, 0, 0x2ddf0) == 0xddf2); // initial is folded too
}

TEST_CASE("checksum: matches a naive RFC 1071 sum at every length and alignment", "[packet]") {
  std::mt19937 rng(1071);
  bytes buf(2100);
  for (auto& b : buf)
    b = static_cast<std::uint8_t>(rng());
  for (std::size_t len = 0; len <= 300; ++len)
    for (std::size_t align = 0; align < 8; ++align)
      REQUIRE(checksum_partial(buf.data() + align, len) == naive_sum(buf.data() + align, len));
  for (int i = 0; i < 2000; ++i) {
    std::size_t off = rng() % 64, len = rng() % (buf.size() - 64);
    std::uint32_t initial = rng();
    std::uint32_t expect = naive_sum(buf.data() + off, len, (initial & 0xffff) + (initial >> 16));
    // Equal as ones' complement numbers (0 and 0xffff are the same zero).
    REQUIRE(checksum_fold(checksum_partial(buf.data() + off, len, initial)) == checksum_fold(expect));
    // Chained at an even split point, any order.
    std::size_t cut = (rng() % (len + 1)) & ~std::size_t{1};
    std::uint32_t chained = checksum_partial(buf.data() + off + cut, len - cut,
                                             checksum_partial(buf.data() + off, cut, initial));
    REQUIRE(checksum_fold(chained) == checksum_fold(expect));
  }
  // All ones: the largest sums, where a lost carry would show.
  bytes ones(65535, 0xff);
  CHECK(checksum_partial(ones.data(), ones.size()) == naive_sum(ones.data(), ones.size()));
}

TEST_CASE("checksum: pseudo-headers for IPv4 and IPv6", "[packet]") {
  tcp_spec s;
  bytes v4 = make_tcp(s, pattern(333));
  s.v6 = true;
  bytes v6 = make_tcp(s, pattern(333));
  for (std::size_t l4 : {std::size_t{0}, std::size_t{20}, std::size_t{1400}, std::size_t{65515}}) {
    CHECK(checksum_fold(pseudo_header_sum(v4.data() + 12, v4.data() + 16, 4, 6, static_cast<std::uint32_t>(l4)))
          == checksum_fold(naive_pseudo_sum(v4.data(), 6, l4)));
    CHECK(checksum_fold(pseudo_header_sum(v6.data() + 8, v6.data() + 24, 16, 17, static_cast<std::uint32_t>(l4)))
          == checksum_fold(naive_pseudo_sum(v6.data(), 17, l4)));
  }
  // IPv6 lengths are 32 bits wide (jumbograms): the high half counts.
  CHECK(checksum_fold(pseudo_header_sum(v6.data() + 8, v6.data() + 24, 16, 6, 0x00012345))
        == checksum_fold(naive_pseudo_sum(v6.data(), 6, 0x00012345)));
  // A built packet verifies with pseudo-header + segment summed by the code under test.
  for (const bytes* p : {&v4, &v6}) {
    const std::size_t ihl = ip_header_len(p->data());
    const std::size_t addr = is_v6(p->data()) ? 8 : 12, alen = is_v6(p->data()) ? 16 : 4;
    std::uint32_t sum = pseudo_header_sum(p->data() + addr, p->data() + addr + alen, alen, 6,
                                          static_cast<std::uint32_t>(p->size() - ihl));
    CHECK(checksum_fold(checksum_partial(p->data() + ihl, p->size() - ihl, sum)) == 0);
  }
}

TEST_CASE("checksum: copy and sum in one pass", "[packet]") {
  std::mt19937 rng(42);
  bytes src(1600);
  for (auto& b : src)
    b = static_cast<std::uint8_t>(rng());
  for (std::size_t len = 0; len <= 1500; len += (len < 80 ? 1 : 37)) {
    for (std::size_t align = 0; align < 4; ++align) {
      // Exactly len bytes of room: a byte too many would be a heap overflow.
      std::unique_ptr<std::uint8_t[]> dst(new std::uint8_t[len]);
      std::uint32_t initial = rng() & 0xffff;
      REQUIRE(checksum_copy(dst.get(), src.data() + align, len, initial)
              == checksum_partial(src.data() + align, len, initial));
      REQUIRE(std::equal(dst.get(), dst.get() + len, src.begin() + static_cast<long>(align)));
    }
  }
}
