#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "net/wireguard/allowed_ips.hpp"

using overlayd::net::cidr;
using overlayd::net::ip_address;
using overlayd::net::wg::allowed_ips;
using overlayd::net::wg::peer_id;

namespace {

cidr C(const char* text) {
  auto c = cidr::parse(text);
  REQUIRE(c.ok());
  return *c;
}

std::optional<peer_id> L(const allowed_ips& t, const char* addr) {
  auto a = ip_address::parse(addr);
  REQUIRE(a.has_value());
  return t.lookup(*a);
}

std::vector<std::string> strings(const std::vector<cidr>& v) {
  std::vector<std::string> out;
  for (const auto& c : v)
    out.push_back(c.to_string());
  return out;
}

// The obvious table: a list of (masked prefix, owner), scanned in full.
struct reference {
  struct entry {
    cidr prefix;
    peer_id peer;
    std::uint64_t order; // when the current owner got it
  };
  std::vector<entry> entries;
  std::uint64_t clock = 0;

  static cidr norm(const cidr& c) { return cidr{c.network(), c.prefix()}; }

  void insert(const cidr& c, peer_id p) {
    cidr n = norm(c);
    for (auto& e : entries)
      if (e.prefix == n) {
        if (e.peer != p) {
          e.peer = p;
          e.order = clock++;
        }
        return;
      }
    entries.push_back({n, p, clock++});
  }
  bool remove(const cidr& c, peer_id p) {
    cidr n = norm(c);
    for (auto it = entries.begin(); it != entries.end(); ++it)
      if (it->prefix == n && it->peer == p) {
        entries.erase(it);
        return true;
      }
    return false;
  }
  std::size_t remove_peer(peer_id p) {
    auto before = entries.size();
    entries.erase(std::remove_if(entries.begin(), entries.end(),
                                 [&](const entry& e) { return e.peer == p; }),
                  entries.end());
    return before - entries.size();
  }
  std::optional<peer_id> lookup(const ip_address& a) const {
    std::optional<peer_id> best;
    int best_len = -1;
    for (const auto& e : entries)
      if (e.prefix.contains(a) && static_cast<int>(e.prefix.prefix()) > best_len) {
        best = e.peer;
        best_len = static_cast<int>(e.prefix.prefix());
      }
    return best;
  }
  std::vector<std::string> entries_of(peer_id p) const {
    std::vector<entry> mine;
    for (const auto& e : entries)
      if (e.peer == p)
        mine.push_back(e);
    std::sort(mine.begin(), mine.end(),
              [](const entry& a, const entry& b) { return a.order < b.order; });
    std::vector<std::string> out;
    for (const auto& e : mine)
      out.push_back(e.prefix.to_string());
    return out;
  }
};

ip_address random_address(std::mt19937_64& rng, bool v4) {
  if (v4)
    return ip_address::v4(static_cast<std::uint32_t>(rng()));
  std::array<std::uint8_t, 16> b{};
  for (auto& x : b)
    x = static_cast<std::uint8_t>(rng());
  return ip_address::v6(b);
}

// An address inside `c` with random host bits.
ip_address random_inside(std::mt19937_64& rng, const cidr& c) {
  ip_address r = random_address(rng, c.is_v4());
  auto bytes = r.bytes();
  const auto net = c.network().bytes();
  for (unsigned bit = 0; bit < c.prefix(); ++bit) {
    auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    bytes[bit / 8] = static_cast<std::uint8_t>((bytes[bit / 8] & ~mask) | (net[bit / 8] & mask));
  }
  if (c.is_v4())
    return ip_address::v4((std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16)
                          | (std::uint32_t{bytes[2]} << 8) | bytes[3]);
  return ip_address::v6(bytes);
}

// `lengths` empty: every prefix length; else only those (few enough for
// the per-length hash index to answer lookups instead of the trie).
void random_against_reference(bool v4, std::uint64_t seed, std::vector<unsigned> lengths = {}) {
  std::mt19937_64 rng(seed);
  const unsigned max_bits = v4 ? 32 : 128;
  // A few base addresses so that prefixes nest and overlap a lot.
  std::vector<ip_address> bases;
  for (int i = 0; i < 6; ++i)
    bases.push_back(random_address(rng, v4));
  auto random_prefix = [&] {
    const ip_address& base = bases[rng() % bases.size()];
    unsigned bits = lengths.empty() ? static_cast<unsigned>(rng() % (max_bits + 1))
                                    : lengths[rng() % lengths.size()];
    // Flip one bit now and then so that branches part at many depths.
    cidr c{base, bits};
    if (rng() % 2)
      return cidr{random_inside(rng, cidr{base, static_cast<unsigned>(rng() % (bits + 1))}), bits};
    return c;
  };

  allowed_ips table;
  reference ref;
  const peer_id peers = 7;
  std::size_t largest = 0;
  for (int round = 0; round < 300; ++round) {
    for (int op = 0; op < 20; ++op) {
      auto dice = rng() % 100;
      peer_id p = static_cast<peer_id>(rng() % peers);
      if (dice < 60) {
        cidr c = random_prefix();
        table.insert(c, p);
        ref.insert(c, p);
      } else if (dice < 95) {
        // Remove something that exists about half the time.
        cidr c = random_prefix();
        if (!ref.entries.empty() && rng() % 2) {
          const auto& e = ref.entries[rng() % ref.entries.size()];
          c = e.prefix;
          if (rng() % 3)
            p = e.peer;
        }
        REQUIRE(table.remove(c, p) == ref.remove(c, p));
      } else {
        REQUIRE(table.remove_peer(p) == ref.remove_peer(p));
      }
    }
    REQUIRE(table.size() == ref.entries.size());
    REQUIRE(table.nodes_in_use_for_test() <= 2 * table.size());
    largest = std::max(largest, table.size());
    for (int q = 0; q < 200; ++q) {
      ip_address a = (q % 4 == 0 || ref.entries.empty())
                         ? random_address(rng, v4)
                         : random_inside(rng, ref.entries[rng() % ref.entries.size()].prefix);
      INFO("round " << round << " lookup " << a.to_string());
      REQUIRE(table.lookup(a) == ref.lookup(a));
    }
    for (peer_id p = 0; p < peers; ++p)
      REQUIRE(strings(table.entries_of(p)) == ref.entries_of(p));
  }
  // Empty it completely: the trie must be back to nothing.
  for (peer_id p = 0; p < peers; ++p)
    table.remove_peer(p);
  CHECK(table.empty());
  CHECK(table.nodes_in_use_for_test() == 0);
  CHECK_FALSE(table.lookup(random_address(rng, v4)).has_value());
  CHECK(largest > 50); // the table did grow big enough to mean something
}

} // namespace

TEST_CASE("allowed ips: longest prefix wins across peers", "[wireguard]") {
  allowed_ips t;
  t.insert(C("10.0.0.0/8"), 1);
  t.insert(C("10.1.0.0/16"), 2);
  t.insert(C("10.1.2.0/24"), 3);
  t.insert(C("10.1.2.3/32"), 4);
  CHECK(L(t, "10.9.9.9") == 1u);
  CHECK(L(t, "10.1.9.9") == 2u);
  CHECK(L(t, "10.1.2.9") == 3u);
  CHECK(L(t, "10.1.2.3") == 4u);
  CHECK_FALSE(L(t, "11.0.0.1").has_value());
  CHECK_FALSE(L(t, "fd00::1").has_value()); // families are separate
  CHECK(t.size() == 4);

  // Raw packet bytes: IPv4 destination at offset 16.
  std::array<std::uint8_t, 20> header{};
  header[0] = 0x45;
  header[16] = 10, header[17] = 1, header[18] = 2, header[19] = 200;
  CHECK(t.lookup(header.data() + 16, ip_address::family::v4) == 3u);
  CHECK(t.lookup_v4(header.data() + 16) == 3u);
}

TEST_CASE("allowed ips: IPv6, /0, /32 and /128", "[wireguard]") {
  allowed_ips t;
  t.insert(C("0.0.0.0/0"), 1);
  t.insert(C("::/0"), 2);
  CHECK(L(t, "1.2.3.4") == 1u);
  CHECK(L(t, "255.255.255.255") == 1u);
  CHECK(L(t, "2001:db8::1") == 2u);
  t.insert(C("fd00::/8"), 3);
  t.insert(C("fd00:1::/32"), 4);
  t.insert(C("fd00:1::7/128"), 5);
  t.insert(C("192.168.1.1/32"), 6);
  CHECK(L(t, "fd12::1") == 3u);
  CHECK(L(t, "fd00:1:2::1") == 4u);
  CHECK(L(t, "fd00:1::7") == 5u);
  CHECK(L(t, "fd00:1::8") == 4u);
  CHECK(L(t, "192.168.1.1") == 6u);
  CHECK(L(t, "192.168.1.2") == 1u);
  CHECK(L(t, "::") == 2u);
  CHECK(L(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") == 2u);

  std::array<std::uint8_t, 40> header{};
  header[0] = 0x60;
  header[24] = 0xfd, header[27] = 0x01, header[39] = 0x07; // fd00:1::7
  CHECK(t.lookup(header.data() + 24, ip_address::family::v6) == 5u);

  CHECK(t.remove(C("::/0"), 2));
  CHECK_FALSE(L(t, "2001:db8::1").has_value());
  CHECK(L(t, "1.2.3.4") == 1u);
}

TEST_CASE("allowed ips: host bits are masked on insert", "[wireguard]") {
  allowed_ips t;
  t.insert(C("10.1.0.5/24"), 1);
  t.insert(C("fd00::1:2:3/64"), 1);
  CHECK(strings(t.entries_of(1)) == std::vector<std::string>{"10.1.0.0/24", "fd00::/64"});
  CHECK(L(t, "10.1.0.200") == 1u);
  // Removal masks the same way.
  CHECK(t.remove(C("10.1.0.77/24"), 1));
  CHECK_FALSE(L(t, "10.1.0.200").has_value());
  // A prefix length no parser would produce is refused, not stored.
  CHECK_FALSE(t.insert(cidr{*ip_address::parse("10.0.0.1"), 33}, 1));
  CHECK_FALSE(t.remove(cidr{*ip_address::parse("fd00::1"), 129}, 1));
  CHECK(t.size() == 1);
}

TEST_CASE("allowed ips: an exact prefix moves to the new peer", "[wireguard]") {
  allowed_ips t;
  t.insert(C("10.1.0.0/24"), 1);
  t.insert(C("10.2.0.0/16"), 1);
  t.insert(C("10.3.0.0/16"), 2);
  t.insert(C("10.1.0.0/24"), 2);
  CHECK(L(t, "10.1.0.1") == 2u);
  CHECK(strings(t.entries_of(1)) == std::vector<std::string>{"10.2.0.0/16"});
  CHECK(strings(t.entries_of(2)) == std::vector<std::string>{"10.3.0.0/16", "10.1.0.0/24"});
  CHECK(t.size() == 3);
  // Re-inserting for the same owner keeps its place.
  t.insert(C("10.3.0.0/16"), 2);
  CHECK(strings(t.entries_of(2)) == std::vector<std::string>{"10.3.0.0/16", "10.1.0.0/24"});
  // The old owner cannot remove it any more.
  CHECK_FALSE(t.remove(C("10.1.0.0/24"), 1));
  CHECK(L(t, "10.1.0.1") == 2u);
}

TEST_CASE("allowed ips: remove only the owner's exact prefix", "[wireguard]") {
  allowed_ips t;
  t.insert(C("10.0.0.0/8"), 1);
  t.insert(C("10.1.0.0/16"), 2);
  CHECK_FALSE(t.remove(C("10.0.0.0/8"), 2));  // not its owner
  CHECK_FALSE(t.remove(C("10.1.0.0/24"), 2)); // not stored (a longer prefix)
  CHECK_FALSE(t.remove(C("10.0.0.0/7"), 1));  // not stored (a shorter prefix)
  CHECK_FALSE(t.remove(C("fd00::/8"), 1));    // other family, empty trie
  CHECK(t.remove(C("10.1.0.0/16"), 2));
  CHECK_FALSE(t.remove(C("10.1.0.0/16"), 2));
  CHECK(L(t, "10.1.0.1") == 1u);
  CHECK(t.entries_of(2).empty());
  CHECK(t.size() == 1);
}

TEST_CASE("allowed ips: remove_peer drops all of its entries", "[wireguard]") {
  allowed_ips t;
  t.insert(C("10.0.0.0/8"), 1);
  t.insert(C("10.1.0.0/16"), 2);
  t.insert(C("10.1.1.0/24"), 1);
  t.insert(C("fd00::/64"), 2);
  t.insert(C("10.1.1.128/25"), 2);
  CHECK(t.remove_peer(2) == 3);
  CHECK(t.remove_peer(2) == 0);
  CHECK(t.remove_peer(99) == 0);
  CHECK(L(t, "10.1.0.1") == 1u);
  CHECK(L(t, "10.1.1.200") == 1u);
  CHECK_FALSE(L(t, "fd00::1").has_value());
  CHECK(strings(t.entries_of(1)) == std::vector<std::string>{"10.0.0.0/8", "10.1.1.0/24"});
  t.clear();
  CHECK(t.empty());
  CHECK_FALSE(L(t, "10.0.0.1").has_value());
  t.insert(C("10.0.0.0/8"), 5);
  CHECK(L(t, "10.0.0.1") == 5u);
}

TEST_CASE("allowed ips: random operations against a brute-force table", "[wireguard]") {
  SECTION("IPv4") { random_against_reference(true, 0x1a11'0bed'1234ULL); }
  SECTION("IPv6") { random_against_reference(false, 0x1a11'0bed'5678ULL); }
  SECTION("IPv4, few lengths: the hash index answers") {
    random_against_reference(true, 0x1a11'0bed'9abcULL, {0, 8, 16, 24, 26, 32});
  }
  SECTION("IPv6, few lengths: the hash index answers") {
    random_against_reference(false, 0x1a11'0bed'def0ULL, {0, 48, 64, 96, 120, 128});
  }
}
