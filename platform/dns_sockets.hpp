// dns_sockets: binding the responder's UDP and TCP sockets, and socket
// address conversions for its loop.
#pragma once

#include <sys/socket.h>

#include "net/base/endpoint.hpp"
#include "net/base/result.hpp"
#include "net/base/unique_fd.hpp"

namespace overlayd::platform {

struct bound_pair {
  unique_fd udp;
  unique_fd tcp; // listening
  net::endpoint at;
};

// UDP then TCP on the same address and port (the UDP socket's port when
// `at` asks for 0). IPv6 sockets are IPv6 only. `freebind` binds an address
// the host does not have (yet).
result<bound_pair> bind_dns_sockets(const net::endpoint& at, bool freebind);

// Any socket (UDP client) of a family, bound to the unspecified address.
result<unique_fd> unbound_udp_socket(bool v6);

socklen_t to_sockaddr(const net::endpoint& e, sockaddr_storage& out);
net::endpoint from_sockaddr(const sockaddr* a);

} // namespace overlayd::platform
