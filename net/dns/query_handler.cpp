#include "net/dns/query_handler.hpp"

#include <algorithm>

#include "net/dns/ldns_handles.hpp"

namespace overlayd::net::dns {

std::string_view to_string(outcome o) noexcept {
  switch (o) {
    case outcome::answered: return "answered";
    case outcome::nodata: return "nodata";
    case outcome::nxdomain: return "nxdomain";
    case outcome::truncated: return "truncated";
    case outcome::forward: return "forward";
    case outcome::forwarded: return "forwarded";
    case outcome::servfail: return "servfail";
    case outcome::refused: return "refused";
    case outcome::formerr: return "formerr";
    case outcome::notimp: return "notimp";
    case outcome::dropped: return "dropped";
  }
  return "dropped";
}

std::uint16_t message_id(const std::uint8_t* message, std::size_t size) noexcept {
  if (size < 2)
    return 0;
  return static_cast<std::uint16_t>((message[0] << 8) | message[1]);
}

std::vector<std::uint8_t> with_id(const std::uint8_t* message, std::size_t size,
                                  std::uint16_t id) {
  std::vector<std::uint8_t> out(message, message + size);
  if (size >= 2) {
    out[0] = static_cast<std::uint8_t>(id >> 8);
    out[1] = static_cast<std::uint8_t>(id & 0xff);
  }
  return out;
}

namespace {

constexpr std::size_t header_size = 12;
constexpr std::uint16_t plain_udp_size = 512;
constexpr std::uint16_t tcp_size = 65535;
// RFC 6891: BADVERS is extended rcode 16, whose upper 8 bits go in the OPT.
constexpr std::uint8_t badvers_upper_bits = 1;
// SOA timers (refresh, retry, expire): no secondaries ever transfer this
// zone, so only the minimum (the negative-answer TTL) matters; it is the TTL.
constexpr std::uint32_t soa_refresh = 3600;
constexpr std::uint32_t soa_retry = 600;
constexpr std::uint32_t soa_expire = 86400;

std::uint16_t answer_limit(const ldns_pkt* query, transport via) {
  if (via == transport::tcp)
    return tcp_size;
  if (!ldns_pkt_edns(query))
    return plain_udp_size;
  return std::clamp<std::uint16_t>(ldns_pkt_edns_udp_size(query), plain_udp_size,
                                   max_udp_payload);
}

const ldns_rr* question_of(const ldns_pkt* query) {
  const ldns_rr_list* questions = ldns_pkt_question(query);
  return questions != nullptr && ldns_rr_list_rr_count(questions) == 1
           ? ldns_rr_list_rr(questions, 0)
           : nullptr;
}

// The reply's frame: the query's id, opcode, RD, CD and question, QR set,
// and an OPT record when the query had one (RFC 6891; DO copied, RFC 3225).
pkt_handle reply_to(const ldns_pkt* query, bool recursion_available) {
  pkt_handle reply(ldns_pkt_new());
  ldns_pkt* r = reply.get();
  ldns_pkt_set_id(r, ldns_pkt_id(query));
  ldns_pkt_set_qr(r, true);
  ldns_pkt_set_opcode(r, ldns_pkt_get_opcode(query));
  ldns_pkt_set_rd(r, ldns_pkt_rd(query));
  ldns_pkt_set_cd(r, ldns_pkt_cd(query));
  ldns_pkt_set_ra(r, recursion_available);
  if (const ldns_rr* q = question_of(query))
    ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, ldns_rr_clone(q));
  if (ldns_pkt_edns(query)) {
    ldns_pkt_set_edns_udp_size(r, advertised_udp_payload);
    ldns_pkt_set_edns_do(r, ldns_pkt_edns_do(query));
  }
  return reply;
}

// Renders `reply`; over UDP an answer larger than the client takes is sent
// without records and with TC set, so the client asks again over TCP.
handled finish(const ldns_pkt* query, pkt_handle reply, transport via, outcome result) {
  auto wire = to_wire(reply.get());
  if (wire.empty())
    return {outcome::dropped, {}};
  if (wire.size() <= answer_limit(query, via))
    return {result, std::move(wire)};
  if (via == transport::tcp)
    return {outcome::dropped, {}}; // over 64 KiB: cannot be framed at all
  pkt_handle cut = reply_to(query, ldns_pkt_ra(reply.get()));
  ldns_pkt_set_aa(cut.get(), ldns_pkt_aa(reply.get()));
  ldns_pkt_set_rcode(cut.get(), ldns_pkt_get_rcode(reply.get()));
  ldns_pkt_set_tc(cut.get(), true);
  return {outcome::truncated, to_wire(cut.get())};
}

handled rcode_only(const ldns_pkt* query, std::uint8_t rcode, bool recursion_available,
                   outcome result, transport via) {
  pkt_handle reply = reply_to(query, recursion_available);
  ldns_pkt_set_rcode(reply.get(), rcode);
  return finish(query, std::move(reply), via, result);
}

// A query that does not parse still has a header worth answering: its id,
// opcode and RD come back with FORMERR and no sections (RFC 1035 4.1.1).
handled header_formerr(const std::uint8_t* query) {
  std::vector<std::uint8_t> reply(query, query + header_size);
  reply[2] = static_cast<std::uint8_t>(0x80 | (query[2] & 0x79)); // QR, opcode, RD
  reply[3] = LDNS_RCODE_FORMERR;
  std::fill(reply.begin() + 4, reply.end(), 0);
  return {outcome::formerr, std::move(reply)};
}

rr_handle record(const ldns_rdf* owner, ldns_rr_type type, std::uint32_t ttl) {
  rr_handle rr(ldns_rr_new());
  ldns_rr_set_owner(rr.get(), ldns_rdf_clone(owner));
  ldns_rr_set_type(rr.get(), type);
  ldns_rr_set_class(rr.get(), LDNS_RR_CLASS_IN);
  ldns_rr_set_ttl(rr.get(), ttl);
  return rr;
}

rr_handle address_record(const ldns_rdf* owner, const ip_address& ip, std::uint32_t ttl) {
  rr_handle rr = record(owner, ip.is_v4() ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA, ttl);
  ldns_rr_push_rdf(rr.get(), ldns_rdf_new_frm_data(ip.is_v4() ? LDNS_RDF_TYPE_A
                                                               : LDNS_RDF_TYPE_AAAA,
                                                   ip.is_v4() ? 4 : 16, ip.bytes().data()));
  return rr;
}

rr_handle soa_record(const zone& z) {
  rdf_handle apex(ldns_dname_new_frm_str(z.origin().c_str()));
  rr_handle rr = record(apex.get(), LDNS_RR_TYPE_SOA, z.ttl());
  ldns_rr_push_rdf(rr.get(), ldns_dname_new_frm_str(("ns." + z.origin()).c_str()));
  ldns_rr_push_rdf(rr.get(), ldns_dname_new_frm_str(("hostmaster." + z.origin()).c_str()));
  ldns_rr_push_rdf(rr.get(), ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32, z.serial()));
  for (std::uint32_t timer : {soa_refresh, soa_retry, soa_expire, z.ttl()})
    ldns_rr_push_rdf(rr.get(), ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, timer));
  return rr;
}

std::string name_text(const ldns_rdf* name) {
  char* text = ldns_rdf2str(name);
  if (text == nullptr)
    return {};
  std::string out = lowercase(text);
  LDNS_FREE(text);
  return out;
}

handled authoritative(const zone& z, const ldns_pkt* query, const ldns_rr* question,
                      const std::string& name, bool can_forward, transport via) {
  pkt_handle reply = reply_to(query, can_forward);
  ldns_pkt* r = reply.get();
  ldns_pkt_set_aa(r, true);
  const ldns_rr_type type = ldns_rr_get_type(question);
  const ldns_rdf* owner = ldns_rr_owner(question);
  bool any = type == LDNS_RR_TYPE_ANY;
  if (name == z.origin()) {
    if (type == LDNS_RR_TYPE_SOA || any) {
      ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, soa_record(z).release());
      return finish(query, std::move(reply), via, outcome::answered);
    }
  } else if (const ip_address* ip = z.address_of(name)) {
    if (any || (type == LDNS_RR_TYPE_A && ip->is_v4())
        || (type == LDNS_RR_TYPE_AAAA && ip->is_v6())) {
      ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, address_record(owner, *ip, z.ttl()).release());
      return finish(query, std::move(reply), via, outcome::answered);
    }
  } else if (!z.is_empty_non_terminal(name)) {
    ldns_pkt_set_rcode(r, LDNS_RCODE_NXDOMAIN);
    ldns_pkt_push_rr(r, LDNS_SECTION_AUTHORITY, soa_record(z).release());
    return finish(query, std::move(reply), via, outcome::nxdomain);
  }
  ldns_pkt_push_rr(r, LDNS_SECTION_AUTHORITY, soa_record(z).release());
  return finish(query, std::move(reply), via, outcome::nodata);
}

handled pointer_answer(const zone& z, const ldns_pkt* query, const ldns_rr* question,
                       const std::vector<std::string>& names, bool can_forward, transport via) {
  pkt_handle reply = reply_to(query, can_forward);
  ldns_pkt_set_aa(reply.get(), true);
  for (const auto& name : names) {
    rr_handle rr = record(ldns_rr_owner(question), LDNS_RR_TYPE_PTR, z.ttl());
    ldns_rr_push_rdf(rr.get(), ldns_dname_new_frm_str(name.c_str()));
    ldns_pkt_push_rr(reply.get(), LDNS_SECTION_ANSWER, rr.release());
  }
  return finish(query, std::move(reply), via, outcome::answered);
}

void copy_section(const ldns_pkt* from, ldns_pkt* to, ldns_pkt_section section) {
  ldns_rr_list* owned = ldns_pkt_get_section_clone(from, section);
  if (owned == nullptr)
    return;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(owned); ++i)
    ldns_pkt_push_rr(to, section, ldns_rr_list_rr(owned, i));
  ldns_rr_list_free(owned); // the list only: its records now belong to `to`
}

} // namespace

handled handle_query(const zone& z, const std::uint8_t* data, std::size_t size, transport via,
                     bool can_forward) {
  if (data == nullptr || size < header_size || (data[2] & 0x80) != 0)
    return {outcome::dropped, {}}; // no header, or a response: answering could loop
  pkt_handle query = parse_message(data, size);
  if (!query)
    return header_formerr(data);
  const ldns_pkt* q = query.get();
  if (ldns_pkt_get_opcode(q) != LDNS_PACKET_QUERY)
    return rcode_only(q, LDNS_RCODE_NOTIMPL, can_forward, outcome::notimp, via);
  const ldns_rr* question = question_of(q);
  if (question == nullptr || ldns_pkt_qdcount(q) != 1)
    return rcode_only(q, LDNS_RCODE_FORMERR, can_forward, outcome::formerr, via);
  if (ldns_pkt_edns(q) && ldns_pkt_edns_version(q) != 0) {
    pkt_handle reply = reply_to(q, can_forward);
    ldns_pkt_set_edns_extended_rcode(reply.get(), badvers_upper_bits);
    return finish(q, std::move(reply), via, outcome::formerr);
  }
  const ldns_rr_type type = ldns_rr_get_type(question);
  if (ldns_rr_get_class(question) != LDNS_RR_CLASS_IN || type == LDNS_RR_TYPE_AXFR
      || type == LDNS_RR_TYPE_IXFR)
    return rcode_only(q, LDNS_RCODE_REFUSED, can_forward, outcome::refused, via);
  const std::string name = name_text(ldns_rr_owner(question));
  if (z.contains(name))
    return authoritative(z, q, question, name, can_forward, via);
  if (type == LDNS_RR_TYPE_PTR)
    if (const auto* names = z.names_of_reverse(name))
      return pointer_answer(z, q, question, *names, can_forward, via);
  if (can_forward)
    return {outcome::forward, {}};
  return rcode_only(q, LDNS_RCODE_REFUSED, false, outcome::refused, via);
}

handled relay_upstream_answer(const std::uint8_t* query, std::size_t query_size,
                              const std::uint8_t* answer, std::size_t answer_size,
                              transport via) {
  pkt_handle q = parse_message(query, query_size);
  if (!q)
    return {outcome::dropped, {}};
  pkt_handle upstream = answer != nullptr ? parse_message(answer, answer_size) : nullptr;
  const bool usable = upstream && ldns_pkt_qr(upstream.get())
                      && (ldns_pkt_get_rcode(upstream.get()) == LDNS_RCODE_NOERROR
                          || ldns_pkt_get_rcode(upstream.get()) == LDNS_RCODE_NXDOMAIN);
  if (!usable)
    return rcode_only(q.get(), LDNS_RCODE_SERVFAIL, true, outcome::servfail, via);
  pkt_handle reply = reply_to(q.get(), true);
  ldns_pkt* r = reply.get();
  ldns_pkt_set_rcode(r, ldns_pkt_get_rcode(upstream.get()));
  ldns_pkt_set_tc(r, ldns_pkt_tc(upstream.get()));
  copy_section(upstream.get(), r, LDNS_SECTION_ANSWER);
  copy_section(upstream.get(), r, LDNS_SECTION_AUTHORITY);
  copy_section(upstream.get(), r, LDNS_SECTION_ADDITIONAL);
  return finish(q.get(), std::move(reply), via, outcome::forwarded);
}

} // namespace overlayd::net::dns
