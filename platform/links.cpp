#include "platform/links.hpp"

#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <sys/socket.h>

#include "platform/rtnl_support.hpp"

namespace overlayd::platform {

result<std::vector<link_entry>> list_all_links() {
  constexpr const char* op = "list_all_links";
  auto sock = rtnl::open_route_socket(op, "");
  if (!sock)
    return sock.err();
  nl_cache* raw = nullptr;
  if (int err = rtnl_link_alloc_cache(sock->get(), AF_UNSPEC, &raw); err < 0)
    return rtnl::failure(op, "", err);
  nl::cache_ptr cache(raw);
  // The cache keeps the dump's order (it appends as it parses).
  std::vector<link_entry> links;
  for (auto* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
    auto* link = reinterpret_cast<rtnl_link*>(o);
    if (const char* name = rtnl_link_get_name(link))
      links.push_back({rtnl_link_get_ifindex(link), name});
  }
  return links;
}

} // namespace overlayd::platform
