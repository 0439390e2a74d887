#include "net/base/endpoint.hpp"

namespace overlayd::net {

namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5)
    return std::nullopt;
  std::uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

} // namespace

std::string endpoint::to_string() const {
  if (address.is_v6())
    return "[" + address.to_string() + "]:" + std::to_string(port);
  return address.to_string() + ":" + std::to_string(port);
}

std::optional<endpoint> parse_endpoint(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    auto address = ip_address::parse(host);
    if (!address || !address->is_v6())
      return std::nullopt;
    auto p = parse_port(port);
    if (!p)
      return std::nullopt;
    return endpoint{*address, *p};
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return std::nullopt;
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  auto address = ip_address::parse(host);
  // An unbracketed IPv6 address ("::1:80") is ambiguous and Rust rejects it.
  if (!address || !address->is_v4())
    return std::nullopt;
  auto p = parse_port(port);
  if (!p)
    return std::nullopt;
  return endpoint{*address, *p};
}

} // namespace overlayd::net
