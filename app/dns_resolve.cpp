#include "app/dns_resolve.hpp"

#include <ldns/ldns.h>

#include <memory>

#include "net/dns/zone.hpp"

namespace overlayd::app {

namespace {

struct resolver_free {
  void operator()(ldns_resolver* r) const noexcept { ldns_resolver_deep_free(r); }
};
struct pkt_free {
  void operator()(ldns_pkt* p) const noexcept { ldns_pkt_free(p); }
};
struct rdf_free {
  void operator()(ldns_rdf* r) const noexcept { ldns_rdf_deep_free(r); }
};

std::string owned_text(char* text) {
  std::string out = text != nullptr ? text : "";
  LDNS_FREE(text);
  return out;
}

} // namespace

net::endpoint reachable(const net::endpoint& listen) {
  if (!listen.address.is_unspecified())
    return listen;
  return {*net::ip_address::parse(listen.address.is_v4() ? "127.0.0.1" : "::1"), listen.port};
}

result<resolved> resolve_through(const net::endpoint& server, const std::string& name,
                                 const std::string& type, const std::string& zone) {
  auto address = net::ip_address::parse(name);
  std::string query_name = address ? net::dns::reverse_name(*address)
                                   : net::dns::qualify(name, zone);
  ldns_rr_type query_type = ldns_get_rr_type_by_name(
    !type.empty() ? type.c_str() : (address ? "PTR" : "A"));
  if (query_type == 0)
    return make_error(error_code::invalid_argument, "unknown record type '" + type + "'");
  std::unique_ptr<ldns_rdf, rdf_free> qname(ldns_dname_new_frm_str(query_name.c_str()));
  if (!qname)
    return make_error(error_code::invalid_argument, "not a domain name: '" + name + "'");

  std::unique_ptr<ldns_resolver, resolver_free> res(ldns_resolver_new());
  std::unique_ptr<ldns_rdf, rdf_free> ns(ldns_rdf_new_frm_str(
    server.address.is_v4() ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
    server.address.to_string().c_str()));
  ldns_resolver_push_nameserver(res.get(), ns.get());
  ldns_resolver_set_port(res.get(), server.port);
  ldns_resolver_set_recursive(res.get(), true);
  ldns_resolver_set_retry(res.get(), 1);
  ldns_resolver_set_fallback(res.get(), true); // TC over UDP: again over TCP
  ldns_resolver_set_timeout(res.get(), timeval{2, 0});

  ldns_pkt* raw = nullptr;
  ldns_status status = ldns_resolver_send(&raw, res.get(), qname.get(), query_type,
                                          LDNS_RR_CLASS_IN, LDNS_RD);
  std::unique_ptr<ldns_pkt, pkt_free> answer(raw);
  if (status != LDNS_STATUS_OK || !answer)
    return make_error(error_code::unavailable, "no answer from " + server.to_string() + ": "
                                                 + ldns_get_errorstr_by_id(status));
  resolved out;
  out.rcode = owned_text(ldns_pkt_rcode2str(ldns_pkt_get_rcode(answer.get())));
  out.answer = owned_text(ldns_rr_list2str(ldns_pkt_answer(answer.get())));
  out.authority = owned_text(ldns_rr_list2str(ldns_pkt_authority(answer.get())));
  return out;
}

} // namespace overlayd::app
