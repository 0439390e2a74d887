#include "platform/host_candidates.hpp"

#include <spdlog/spdlog.h>

#include "platform/egress.hpp"

namespace overlayd::platform {

std::vector<net::nat::candidate> gather_host_candidates(std::uint16_t wireguard_port) {
  auto found = detect_physical_egress();
  if (!found)
    spdlog::warn("{}", found.error_message());
  std::vector<net::nat::candidate> out;
  for (auto family : {net::ip_address::family::v4, net::ip_address::family::v6}) {
    std::optional<net::ip_address> ip;
    if (found && found->address.fam() == family)
      ip = found->address;
    else
      ip = kernel_source_toward_public(family);
    if (ip)
      out.push_back(net::nat::candidate::make(net::nat::candidate_type::host,
                                              net::endpoint{*ip, wireguard_port}));
  }
  return out;
}

} // namespace overlayd::platform
