// netlink_handles: owning pointers for libnl objects, so every early
// return frees what it allocated.
#pragma once

#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include <memory>

namespace overlayd::platform::nl {

struct socket_closer {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct cache_releaser {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};
struct link_releaser {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct addr_releaser {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};

using socket_ptr = std::unique_ptr<nl_sock, socket_closer>;
using cache_ptr = std::unique_ptr<nl_cache, cache_releaser>;
using link_ptr = std::unique_ptr<rtnl_link, link_releaser>;
using addr_ptr = std::unique_ptr<nl_addr, addr_releaser>;

} // namespace overlayd::platform::nl
