#include <catch2/catch.hpp>

#include <random>

#include "net/dns/ldns_handles.hpp"
#include "net/dns/answer_cache.hpp"
#include "net/dns/query_handler.hpp"

using namespace overlayd::net;
using namespace overlayd::net::dns;

namespace {

ip_address ip(const char* text) {
  return *ip_address::parse(text);
}

zone sample_zone(std::uint32_t serial = 1) {
  return zone({"overlay.local.", 300},
              {{"web", ip("10.200.0.5")},
               {"db.backend", ip("fd00::7")},
               {"alias.overlay.local.", ip("10.200.0.5")},
               {"elsewhere.example.", ip("10.9.9.9")}},
              serial);
}

std::vector<std::uint8_t> query(const char* name, ldns_rr_type type, int edns_size = -1,
                                std::uint16_t id = 0x1234) {
  ldns_pkt* p = nullptr;
  REQUIRE(ldns_pkt_query_new_frm_str(&p, name, type, LDNS_RR_CLASS_IN, LDNS_RD)
          == LDNS_STATUS_OK);
  pkt_handle q(p);
  ldns_pkt_set_id(p, id);
  if (edns_size >= 0)
    ldns_pkt_set_edns_udp_size(p, static_cast<std::uint16_t>(edns_size));
  return to_wire(p);
}

handled ask(const zone& z, const std::vector<std::uint8_t>& wire,
            transport via = transport::udp, bool can_forward = true) {
  return handle_query(z, wire.data(), wire.size(), via, can_forward);
}

pkt_handle parsed(const handled& h) {
  auto p = parse_message(h.reply.data(), h.reply.size());
  REQUIRE(p);
  return p;
}

std::string rdata_text(const ldns_pkt* p, ldns_pkt_section section, std::size_t i = 0,
                       std::size_t field = 0) {
  ldns_rr_list* list = ldns_pkt_get_section_clone(p, section);
  REQUIRE(list != nullptr);
  REQUIRE(ldns_rr_list_rr_count(list) > i);
  char* text = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(list, i), field));
  std::string out = text;
  LDNS_FREE(text);
  ldns_rr_list_deep_free(list);
  return out;
}

std::uint32_t soa_serial(const ldns_pkt* p, ldns_pkt_section section) {
  return static_cast<std::uint32_t>(std::stoul(rdata_text(p, section, 0, 2)));
}

} // namespace

TEST_CASE("dns: a registered name answers A with the TTL, authoritative", "[dns]") {
  auto z = sample_zone();
  auto h = ask(z, query("web.overlay.local.", LDNS_RR_TYPE_A));
  REQUIRE(h.result == outcome::answered);
  auto r = parsed(h);
  CHECK(ldns_pkt_id(r.get()) == 0x1234);
  CHECK(ldns_pkt_qr(r.get()));
  CHECK(ldns_pkt_aa(r.get()));
  CHECK(ldns_pkt_rd(r.get()));
  CHECK(ldns_pkt_get_rcode(r.get()) == LDNS_RCODE_NOERROR);
  REQUIRE(ldns_pkt_ancount(r.get()) == 1);
  CHECK(rdata_text(r.get(), LDNS_SECTION_ANSWER) == "10.200.0.5");
  CHECK(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(r.get()), 0)) == 300);
}

TEST_CASE("dns: names are case-insensitive and echo the question's case", "[dns]") {
  auto z = sample_zone();
  auto h = ask(z, query("WeB.OVERLAY.local.", LDNS_RR_TYPE_A));
  REQUIRE(h.result == outcome::answered);
  auto r = parsed(h);
  char* owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(r.get()), 0)));
  CHECK(std::string(owner) == "WeB.OVERLAY.local.");
  LDNS_FREE(owner);
}

TEST_CASE("dns: AAAA for an IPv6 record; a name without a trailing dot got the zone", "[dns]") {
  auto z = sample_zone();
  auto h = ask(z, query("db.backend.overlay.local.", LDNS_RR_TYPE_AAAA));
  REQUIRE(h.result == outcome::answered);
  CHECK(rdata_text(parsed(h).get(), LDNS_SECTION_ANSWER) == "fd00::7");
  // A name registered with the trailing dot is taken as it is.
  CHECK(ask(z, query("alias.overlay.local.", LDNS_RR_TYPE_A)).result == outcome::answered);
  // One registered outside the zone is not served from it.
  CHECK(ask(z, query("elsewhere.example.", LDNS_RR_TYPE_A)).result == outcome::forward);
}

TEST_CASE("dns: NODATA with the SOA for a name that exists without that type", "[dns]") {
  auto z = sample_zone(7);
  for (auto type : {LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_MX, LDNS_RR_TYPE_TXT}) {
    auto h = ask(z, query("web.overlay.local.", type));
    REQUIRE(h.result == outcome::nodata);
    auto r = parsed(h);
    CHECK(ldns_pkt_get_rcode(r.get()) == LDNS_RCODE_NOERROR);
    CHECK(ldns_pkt_ancount(r.get()) == 0);
    REQUIRE(ldns_pkt_nscount(r.get()) == 1);
    CHECK(soa_serial(r.get(), LDNS_SECTION_AUTHORITY) == 7);
  }
  // "backend.overlay.local." has a name below it: it exists.
  CHECK(ask(z, query("backend.overlay.local.", LDNS_RR_TYPE_A)).result == outcome::nodata);
  // The apex has a SOA, no address.
  CHECK(ask(z, query("overlay.local.", LDNS_RR_TYPE_A)).result == outcome::nodata);
}

TEST_CASE("dns: NXDOMAIN with the SOA for an unknown name in the zone", "[dns]") {
  auto z = sample_zone(3);
  auto h = ask(z, query("nobody.overlay.local.", LDNS_RR_TYPE_A), transport::udp, false);
  REQUIRE(h.result == outcome::nxdomain);
  auto r = parsed(h);
  CHECK(ldns_pkt_get_rcode(r.get()) == LDNS_RCODE_NXDOMAIN);
  CHECK(ldns_pkt_aa(r.get()));
  CHECK_FALSE(ldns_pkt_ra(r.get())); // no upstream: no recursion available
  CHECK(soa_serial(r.get(), LDNS_SECTION_AUTHORITY) == 3);
}

TEST_CASE("dns: the SOA at the apex carries the serial, which grows with each change",
          "[dns]") {
  for (std::uint32_t serial : {1u, 2u, 42u}) {
    auto h = ask(sample_zone(serial), query("overlay.local.", LDNS_RR_TYPE_SOA));
    REQUIRE(h.result == outcome::answered);
    auto r = parsed(h);
    CHECK(soa_serial(r.get(), LDNS_SECTION_ANSWER) == serial);
    CHECK(rdata_text(r.get(), LDNS_SECTION_ANSWER, 0, 0) == "ns.overlay.local.");
  }
}

TEST_CASE("dns: PTR for registered addresses, v4 and v6", "[dns]") {
  auto z = sample_zone();
  auto h = ask(z, query("5.0.200.10.in-addr.arpa.", LDNS_RR_TYPE_PTR));
  REQUIRE(h.result == outcome::answered);
  auto r = parsed(h);
  REQUIRE(ldns_pkt_ancount(r.get()) == 2); // web and alias share the address
  CHECK(rdata_text(r.get(), LDNS_SECTION_ANSWER, 0) == "alias.overlay.local.");
  CHECK(rdata_text(r.get(), LDNS_SECTION_ANSWER, 1) == "web.overlay.local.");
  auto v6 = reverse_name(ip("fd00::7"));
  CHECK(v6 == "7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.");
  auto h6 = ask(z, query(v6.c_str(), LDNS_RR_TYPE_PTR));
  REQUIRE(h6.result == outcome::answered);
  CHECK(rdata_text(parsed(h6).get(), LDNS_SECTION_ANSWER) == "db.backend.overlay.local.");
  // An address nobody registered is someone else's question.
  CHECK(ask(z, query("9.9.9.10.in-addr.arpa.", LDNS_RR_TYPE_PTR)).result == outcome::forward);
}

TEST_CASE("dns: out of the zone: forward with an upstream, REFUSED without", "[dns]") {
  auto z = sample_zone();
  auto q = query("example.com.", LDNS_RR_TYPE_A);
  CHECK(ask(z, q, transport::udp, true).result == outcome::forward);
  auto h = ask(z, q, transport::udp, false);
  REQUIRE(h.result == outcome::refused);
  CHECK(ldns_pkt_get_rcode(parsed(h).get()) == LDNS_RCODE_REFUSED);
}

TEST_CASE("dns: an upstream's answer is relayed with the rcode mapping", "[dns]") {
  auto q = query("example.com.", LDNS_RR_TYPE_A, 1232, 0x4242);
  auto upstream_answer = [&](ldns_pkt_rcode rcode, bool with_record) {
    auto p = parse_message(q.data(), q.size());
    ldns_pkt_set_id(p.get(), 0x9999);
    ldns_pkt_set_qr(p.get(), true);
    ldns_pkt_set_aa(p.get(), true);
    ldns_pkt_set_rcode(p.get(), rcode);
    if (with_record) {
      ldns_rr* rr = nullptr;
      REQUIRE(ldns_rr_new_frm_str(&rr, "example.com. 60 IN A 192.0.2.1", 0, nullptr, nullptr)
              == LDNS_STATUS_OK);
      ldns_pkt_push_rr(p.get(), LDNS_SECTION_ANSWER, rr);
    }
    return to_wire(p.get());
  };
  auto relay = [&](const std::vector<std::uint8_t>& a) {
    return relay_upstream_answer(q.data(), q.size(), a.data(), a.size(), transport::udp);
  };
  auto found = relay(upstream_answer(LDNS_RCODE_NOERROR, true));
  REQUIRE(found.result == outcome::forwarded);
  auto r = parsed(found);
  CHECK(ldns_pkt_id(r.get()) == 0x4242);
  CHECK_FALSE(ldns_pkt_aa(r.get()));
  CHECK(ldns_pkt_ra(r.get()));
  CHECK(rdata_text(r.get(), LDNS_SECTION_ANSWER) == "192.0.2.1");
  CHECK(ldns_pkt_edns(r.get()));

  auto empty = parsed(relay(upstream_answer(LDNS_RCODE_NOERROR, false)));
  CHECK(ldns_pkt_get_rcode(empty.get()) == LDNS_RCODE_NOERROR);
  CHECK(ldns_pkt_ancount(empty.get()) == 0);
  auto missing = parsed(relay(upstream_answer(LDNS_RCODE_NXDOMAIN, false)));
  CHECK(ldns_pkt_get_rcode(missing.get()) == LDNS_RCODE_NXDOMAIN);
  auto refused = relay(upstream_answer(LDNS_RCODE_REFUSED, false));
  CHECK(refused.result == outcome::servfail);
  CHECK(ldns_pkt_get_rcode(parsed(refused).get()) == LDNS_RCODE_SERVFAIL);
  auto nothing = relay_upstream_answer(q.data(), q.size(), nullptr, 0, transport::udp);
  CHECK(nothing.result == outcome::servfail);
  std::vector<std::uint8_t> garbage{1, 2, 3};
  CHECK(relay(garbage).result == outcome::servfail);
}

TEST_CASE("dns: EDNS0 is answered with an OPT, DO copied", "[dns]") {
  auto z = sample_zone();
  auto plain = parsed(ask(z, query("web.overlay.local.", LDNS_RR_TYPE_A)));
  CHECK_FALSE(ldns_pkt_edns(plain.get()));
  auto with_edns = parsed(ask(z, query("web.overlay.local.", LDNS_RR_TYPE_A, 4096)));
  REQUIRE(ldns_pkt_edns(with_edns.get()));
  CHECK(ldns_pkt_edns_udp_size(with_edns.get()) == advertised_udp_payload);
  // An EDNS version we do not speak: BADVERS.
  auto q = query("web.overlay.local.", LDNS_RR_TYPE_A, 1232);
  auto p = parse_message(q.data(), q.size());
  ldns_pkt_set_edns_version(p.get(), 1);
  auto v1 = to_wire(p.get());
  auto h = ask(z, v1);
  CHECK(h.result == outcome::formerr);
  CHECK(ldns_pkt_edns_extended_rcode(parsed(h).get()) == 1);
}

TEST_CASE("dns: an answer larger than the client's UDP size is truncated (TC)", "[dns]") {
  std::map<std::string, ip_address> many;
  for (int i = 0; i < 40; ++i)
    many["a-rather-long-service-name-number-" + std::to_string(i)] = ip("10.200.0.9");
  zone z({"overlay.local.", 300}, many, 1);
  const char* reverse = "9.0.200.10.in-addr.arpa.";
  auto small = ask(z, query(reverse, LDNS_RR_TYPE_PTR));
  REQUIRE(small.result == outcome::truncated);
  CHECK(small.reply.size() <= 512);
  auto cut = parsed(small);
  CHECK(ldns_pkt_tc(cut.get()));
  CHECK(ldns_pkt_ancount(cut.get()) == 0);
  CHECK(ldns_pkt_qdcount(cut.get()) == 1);
  // The client's EDNS0 size is honoured...
  auto large = ask(z, query(reverse, LDNS_RR_TYPE_PTR, 4096));
  REQUIRE(large.result == outcome::answered);
  CHECK(large.reply.size() > 512);
  CHECK(ldns_pkt_ancount(parsed(large).get()) == 40);
  // ...and a size below 512 counts as 512.
  CHECK(ask(z, query(reverse, LDNS_RR_TYPE_PTR, 100)).result == outcome::truncated);
  // TCP takes it all.
  CHECK(ask(z, query(reverse, LDNS_RR_TYPE_PTR), transport::tcp).result == outcome::answered);
}

TEST_CASE("dns: malformed queries are dropped or answered FORMERR", "[dns]") {
  auto z = sample_zone();
  // Too short for a header: nothing to answer to.
  std::vector<std::uint8_t> tiny{0x12, 0x34, 0x01};
  CHECK(ask(z, tiny).result == outcome::dropped);
  // A response (QR set) is never answered.
  auto q = query("web.overlay.local.", LDNS_RR_TYPE_A);
  auto response = q;
  response[2] |= 0x80;
  CHECK(ask(z, response).result == outcome::dropped);
  // A header whose counts lie: FORMERR with the id.
  auto lying = q;
  lying[5] = 5; // qdcount 5
  auto h = ask(z, lying);
  REQUIRE(h.result == outcome::formerr);
  CHECK(h.reply.size() == 12);
  CHECK(message_id(h.reply.data(), h.reply.size()) == 0x1234);
  CHECK((h.reply[3] & 0x0f) == LDNS_RCODE_FORMERR);
  // No question at all.
  std::vector<std::uint8_t> empty(q.begin(), q.begin() + 12);
  empty[5] = 0;
  CHECK(ask(z, empty).result == outcome::formerr);
  // A compression pointer that loops onto itself.
  std::vector<std::uint8_t> loop(q.begin(), q.begin() + 12);
  for (std::uint8_t b : {0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01})
    loop.push_back(b);
  CHECK(ask(z, loop).result == outcome::formerr);
  // Another opcode: NOTIMP.
  auto notify = q;
  notify[2] = static_cast<std::uint8_t>((notify[2] & 0x87) | (4 << 3));
  CHECK(ask(z, notify).result == outcome::notimp);
  // Every truncation of a valid query and every single-byte change: no crash.
  for (std::size_t n = 0; n <= q.size(); ++n) {
    std::vector<std::uint8_t> cut(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(n));
    (void)ask(z, cut);
  }
  for (std::size_t i = 0; i < q.size(); ++i)
    for (int v : {0x00, 0x3f, 0x40, 0xc0, 0xff}) {
      auto bent = q;
      bent[i] = static_cast<std::uint8_t>(v);
      (void)ask(z, bent);
      (void)ask(z, bent, transport::tcp, false);
    }
}

TEST_CASE("dns: other classes and zone transfers are refused", "[dns]") {
  auto z = sample_zone();
  CHECK(ask(z, query("overlay.local.", LDNS_RR_TYPE_AXFR), transport::tcp).result
        == outcome::refused);
  auto q = query("web.overlay.local.", LDNS_RR_TYPE_A);
  auto chaos = q;
  chaos[chaos.size() - 1] = LDNS_RR_CLASS_CH;
  CHECK(ask(z, chaos).result == outcome::refused);
}

TEST_CASE("dns: the answer cache gives handle_query's answer with the query's id", "[dns]") {
  auto z = std::make_shared<const zone>(sample_zone());
  answer_cache cache;
  for (std::uint16_t id : {1, 2, 0xbeef}) {
    auto q = query("web.overlay.local.", LDNS_RR_TYPE_A, 1232, id);
    auto cached = cache.answer(z, q.data(), q.size(), transport::udp, false);
    auto fresh = handle_query(*z, q.data(), q.size(), transport::udp, false);
    CHECK(cached.result == fresh.result);
    CHECK(cached.reply == fresh.reply);
  }
  CHECK(cache.size() == 1);
  // Another transport is another answer (TC differs); forwarding is never cached.
  auto big = query("example.com.", LDNS_RR_TYPE_A);
  CHECK(cache.answer(z, big.data(), big.size(), transport::udp, true).result == outcome::forward);
  CHECK(cache.size() == 1);
  // A new zone empties it: the change is seen at once.
  auto changed = std::make_shared<const zone>(zone({"overlay.local.", 300}, {}, 2));
  auto q = query("web.overlay.local.", LDNS_RR_TYPE_A);
  CHECK(cache.answer(changed, q.data(), q.size(), transport::udp, false).result
        == outcome::nxdomain);
}

TEST_CASE("dns: random bytes behind a query header never crash the handler", "[dns]") {
  auto z = sample_zone();
  std::mt19937 random(12);
  auto q = query("web.overlay.local.", LDNS_RR_TYPE_A, 1232);
  for (int round = 0; round < 20000; ++round) {
    std::vector<std::uint8_t> bytes(q.begin(), q.begin() + 12);
    bytes[2] &= 0x7f; // a query, so that it is parsed
    bytes.resize(12 + random() % 200);
    for (std::size_t i = 12; i < bytes.size(); ++i)
      bytes[i] = static_cast<std::uint8_t>(random());
    if (round % 2 == 0) // counts that promise records
      bytes[5] = 1, bytes[11] = static_cast<std::uint8_t>(random() % 3);
    auto h = ask(z, bytes, round % 3 == 0 ? transport::tcp : transport::udp, round % 5 == 0);
    if (h.result != outcome::dropped && h.result != outcome::forward)
      CHECK(h.reply.size() >= 12);
  }
}
