#include "actors/transport_conversions.hpp"

#include <algorithm>
#include <limits>

#include "net/base/endpoint.hpp"
#include "net/wireguard/keys.hpp"

namespace overlayd {

namespace {

std::string trimmed(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return std::string(s);
}

} // namespace

result<net::wg::uapi_peer_config> peer_config_from_spec(const msg::peer_spec& spec) {
  net::wg::uapi_peer_config config;
  auto key = net::wg::key_from_base64(spec.public_key);
  if (!key)
    return key.err();
  config.public_key = *key;
  auto endpoint = net::parse_endpoint(spec.endpoint);
  if (!endpoint)
    return make_error("invalid peer endpoint " + spec.endpoint);
  config.endpoint = *endpoint;
  std::string_view rest = spec.allowed_ips;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto part = trimmed(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (part.empty())
      continue;
    auto prefix = net::cidr::parse(part);
    if (!prefix)
      return make_error("invalid allowed IP " + part + ": " + prefix.error_message());
    config.allowed_ips.push_back(*prefix);
  }
  config.persistent_keepalive_interval = static_cast<std::uint16_t>(std::min<std::uint64_t>(
    spec.persistent_keepalive_secs, std::numeric_limits<std::uint16_t>::max()));
  return config;
}

std::vector<msg::peer_status> peer_statuses(const net::wg::uapi_device_status& device) {
  std::vector<msg::peer_status> out;
  for (const auto& p : device.peers) {
    msg::peer_status s;
    s.public_key = net::wg::key_to_hex(p.public_key);
    if (p.endpoint)
      s.endpoint = p.endpoint->to_string();
    for (const auto& prefix : p.allowed_ips)
      s.allowed_ips += (s.allowed_ips.empty() ? "" : ",") + prefix.to_string();
    s.last_handshake_unix_secs = p.last_handshake_time_sec;
    out.push_back(std::move(s));
  }
  return out;
}

} // namespace overlayd
