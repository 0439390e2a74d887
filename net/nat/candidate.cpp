#include "net/nat/candidate.hpp"

#include <algorithm>
#include <string>

namespace overlayd::net::nat {

std::uint32_t default_priority(candidate_type type) noexcept {
  switch (type) {
  case candidate_type::host:
    return host_priority;
  case candidate_type::server_reflexive:
    return server_reflexive_priority;
  case candidate_type::relay:
    return relay_priority;
  }
  return relay_priority; // cannot happen: every enumerator is handled
}

std::string_view to_wire(candidate_type type) noexcept {
  switch (type) {
  case candidate_type::host:
    return "host";
  case candidate_type::server_reflexive:
    return "server-reflexive";
  case candidate_type::relay:
    return "relay";
  }
  return "relay";
}

std::optional<candidate_type> candidate_type_from_wire(std::string_view text) noexcept {
  // Exact match, as the original's `match`: no case folding.
  if (text == "host")
    return candidate_type::host;
  if (text == "server-reflexive")
    return candidate_type::server_reflexive;
  if (text == "relay")
    return candidate_type::relay;
  return std::nullopt;
}

candidate candidate::make(candidate_type type, const endpoint& address) noexcept {
  return candidate{type, address, default_priority(type)};
}

msg::nat_candidate_wire to_wire(const candidate& c) {
  return msg::nat_candidate_wire{std::string(to_wire(c.type)), c.address.to_string(),
                                 c.priority};
}

result<candidate> candidate_from_wire(const msg::nat_candidate_wire& wire) {
  auto type = candidate_type_from_wire(wire.candidate_type);
  if (!type)
    return make_error("candidate_from_wire(" + wire.address + "): unknown candidate_type \""
                      + wire.candidate_type + "\"");
  auto address = parse_endpoint(wire.address);
  if (!address)
    return make_error("candidate_from_wire(" + wire.candidate_type + "): address \""
                      + wire.address + "\" is not an ip:port socket address");
  return candidate{*type, *address, wire.priority};
}

std::string_view to_string(connection_type type) noexcept {
  switch (type) {
  case connection_type::direct:
    return "direct";
  case connection_type::hole_punched:
    return "hole-punched";
  case connection_type::relayed:
    return "relayed";
  }
  return "direct";
}

connection_type connection_type_for(candidate_type type) noexcept {
  switch (type) {
  case candidate_type::host:
    return connection_type::direct;
  case candidate_type::server_reflexive:
    return connection_type::hole_punched;
  case candidate_type::relay:
    return connection_type::relayed;
  }
  return connection_type::relayed;
}

std::vector<candidate> connection_attempt_order(std::vector<candidate> remote,
                                                std::size_t max_pairs) {
  // Stable: equal priorities keep the advertiser's order.
  std::stable_sort(remote.begin(), remote.end(),
                   [](const candidate& a, const candidate& b) { return a.priority > b.priority; });
  if (remote.size() > max_pairs)
    remote.resize(max_pairs);
  return remote;
}

} // namespace overlayd::net::nat
