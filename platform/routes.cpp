#include "platform/routes.hpp"

#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <sys/socket.h>

#include "net/base/cidr.hpp"
#include "platform/rtnl_support.hpp"

namespace overlayd::platform {

namespace {

std::string route_object(const net::ip_address& dest, unsigned prefix, const std::string& dev) {
  return dest.to_string() + "/" + std::to_string(prefix) + " dev " + dev;
}

// A route of the main table toward dest/prefix (host bits cleared, as the
// kernel insists on for IPv4).
result<rtnl::route_ptr> main_table_route(const char* op, const std::string& object,
                                         const net::ip_address& dest, unsigned prefix) {
  if (prefix > dest.max_prefix())
    return rtnl::failure(op, object, "invalid prefix length " + std::to_string(prefix));
  auto dst = rtnl::to_nl_addr(net::cidr(dest, prefix).network(), prefix);
  rtnl::route_ptr route(rtnl_route_alloc());
  if (!dst || !route)
    return rtnl::failure(op, object, -NLE_NOMEM);
  rtnl_route_set_family(route.get(), dest.is_v4() ? AF_INET : AF_INET6);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  if (int err = rtnl_route_set_dst(route.get(), dst.get()); err < 0)
    return rtnl::failure(op, object, err);
  return route;
}

} // namespace

result<void> add_default_route_via_gateway(const net::ip_address& gateway) {
  constexpr const char* op = "add_default_route_via_gateway";
  const std::string object = gateway.to_string();
  auto sock = rtnl::open_route_socket(op, object);
  if (!sock)
    return sock.err();
  const auto any = gateway.is_v4() ? net::ip_address::v4(0) : net::ip_address::v6({});
  auto route = main_table_route(op, object, any, 0);
  if (!route)
    return route.err();
  auto via = rtnl::to_nl_addr(gateway, gateway.max_prefix());
  if (!via)
    return rtnl::failure(op, object, -NLE_NOMEM);
  rtnl_nexthop* hop = rtnl_route_nh_alloc();
  if (hop == nullptr)
    return rtnl::failure(op, object, -NLE_NOMEM);
  rtnl_route_set_scope(route->get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_protocol(route->get(), RTPROT_BOOT);
  rtnl_route_nh_set_gateway(hop, via.get());
  rtnl_route_add_nexthop(route->get(), hop); // the route owns it now
  if (int err = rtnl_route_add(sock->get(), route->get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return rtnl::failure(op, object, err);
  return {};
}

result<void> replace_route_via_dev(const net::ip_address& dest, unsigned prefix,
                                   const std::string& dev,
                                   const std::optional<net::ip_address>& source) {
  constexpr const char* op = "replace_route_via_dev";
  if (source && source->fam() != dest.fam())
    return make_error("address family mismatch: dest=" + dest.to_string()
                      + " src=" + source->to_string());
  const std::string object = route_object(dest, prefix, dev);
  auto link = rtnl::open_link(op, object, dev);
  if (!link)
    return link.err();
  auto route = main_table_route(op, object, dest, prefix);
  if (!route)
    return route.err();
  rtnl_route_set_scope(route->get(), RT_SCOPE_LINK);
  rtnl_route_set_protocol(route->get(), RTPROT_BOOT);
  if (source) {
    auto src = rtnl::to_nl_addr(*source, source->max_prefix());
    if (!src)
      return rtnl::failure(op, object, -NLE_NOMEM);
    if (int err = rtnl_route_set_pref_src(route->get(), src.get()); err < 0)
      return rtnl::failure(op, object, err);
  }
  rtnl_nexthop* hop = rtnl_route_nh_alloc();
  if (hop == nullptr)
    return rtnl::failure(op, object, -NLE_NOMEM);
  rtnl_route_nh_set_ifindex(hop, rtnl_link_get_ifindex(link->get()));
  rtnl_route_add_nexthop(route->get(), hop);
  if (int err = rtnl_route_add(link->socket(), route->get(), NLM_F_CREATE | NLM_F_REPLACE); err < 0)
    return rtnl::failure(op, object, err);
  return {};
}

result<void> delete_route_via_dev(const net::ip_address& dest, unsigned prefix,
                                  const std::string& dev) {
  constexpr const char* op = "delete_route_via_dev";
  const std::string object = route_object(dest, prefix, dev);
  auto sock = rtnl::open_route_socket(op, object);
  if (!sock)
    return sock.err();
  auto link = rtnl::find_link_if_present(sock->get(), op, object, dev);
  if (!link)
    return link.err();
  if (!*link)
    return {}; // the device went and took its routes with it
  auto route = main_table_route(op, object, dest, prefix);
  if (!route)
    return route.err();
  // Wildcards for what the match should not depend on: any scope and any
  // protocol, so a route made by the original daemon or by `ip` matches.
  rtnl_route_set_scope(route->get(), RT_SCOPE_NOWHERE);
  rtnl_route_set_protocol(route->get(), RTPROT_UNSPEC);
  rtnl_nexthop* hop = rtnl_route_nh_alloc();
  if (hop == nullptr)
    return rtnl::failure(op, object, -NLE_NOMEM);
  rtnl_route_nh_set_ifindex(hop, rtnl_link_get_ifindex(link->get()));
  rtnl_route_add_nexthop(route->get(), hop);
  const int err = rtnl_route_delete(sock->get(), route->get(), 0);
  if (err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NOADDR)
    return rtnl::failure(op, object, err);
  return {};
}

} // namespace overlayd::platform
