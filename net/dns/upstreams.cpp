#include "net/dns/upstreams.hpp"

#include <algorithm>
#include <sstream>
#include <string>

namespace overlayd::net::dns {

std::optional<endpoint> parse_upstream(std::string_view text) {
  if (auto bare = ip_address::parse(text))
    return endpoint{*bare, dns_port};
  auto full = parse_endpoint(text);
  if (!full || full->port == 0)
    return std::nullopt;
  return full;
}

namespace {

bool is_loopback(const ip_address& ip) {
  if (ip.is_v4())
    return ip.bytes()[0] == 127;
  return ip == *ip_address::parse("::1");
}

} // namespace

std::vector<endpoint> upstreams_from_resolv_conf(std::string_view text) {
  std::vector<endpoint> out;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string keyword, value;
    if (!(words >> keyword >> value) || keyword != "nameserver")
      continue;
    value = value.substr(0, value.find('%'));
    auto ip = ip_address::parse(value);
    if (!ip || ip->is_unspecified() || is_loopback(*ip))
      continue;
    endpoint e{*ip, dns_port};
    if (std::find(out.begin(), out.end(), e) == out.end())
      out.push_back(e);
  }
  return out;
}

} // namespace overlayd::net::dns
