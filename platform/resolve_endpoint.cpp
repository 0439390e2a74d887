#include "platform/resolve_endpoint.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <charconv>
#include <memory>


namespace overlayd::platform {

result<net::endpoint> resolve_endpoint(const std::string& text) {
  if (auto literal = net::parse_endpoint(text))
    return *literal;
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return make_error("invalid server address '" + text + "': expected host:port");
  std::string host = text.substr(0, colon);
  std::string port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0
      || port > 65535 || host.find(':') != std::string::npos)
    return make_error("invalid server address '" + text + "': expected host:port");
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), port_text.c_str(), &hints, &found);
  if (rc != 0)
    return make_error("cannot resolve " + host + ": " + ::gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(found, ::freeaddrinfo);
  for (auto* a = found; a != nullptr; a = a->ai_next) {
    char numeric[NI_MAXHOST];
    if (::getnameinfo(a->ai_addr, a->ai_addrlen, numeric, sizeof numeric, nullptr, 0,
                      NI_NUMERICHOST)
        != 0)
      continue;
    if (auto ip = net::ip_address::parse(numeric))
      return net::endpoint{*ip, static_cast<std::uint16_t>(port)};
  }
  return make_error("cannot resolve " + host + ": no address");
}

} // namespace overlayd::platform
