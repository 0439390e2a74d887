#include "platform/netlink.hpp"

#include <linux/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include <memory>

#include "platform/netlink_handles.hpp"

namespace overlayd::platform {

namespace {

using nl::addr_ptr;
using nl::link_ptr;
using nl::socket_ptr;

error failure(const char* operation, const std::string& object, int nl_error) {
  return make_error(std::string(operation) + "(" + object + "): " + nl_geterror(nl_error));
}

result<socket_ptr> open_route_socket(const char* operation, const std::string& object) {
  socket_ptr sock(nl_socket_alloc());
  if (!sock)
    return make_error(std::string(operation) + "(" + object + "): out of memory");
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0)
    return failure(operation, object, err);
  return sock;
}

result<link_ptr> find_link(nl_sock* sock, const char* operation, const std::string& name) {
  rtnl_link* link = nullptr;
  if (int err = rtnl_link_get_kernel(sock, 0, name.c_str(), &link); err < 0)
    return failure(operation, name, err);
  return link_ptr(link);
}

addr_ptr to_nl_addr(const net::ip_address& ip, unsigned prefix) {
  const int family = ip.is_v4() ? AF_INET : AF_INET6;
  const unsigned size = ip.is_v4() ? 4 : 16;
  addr_ptr a(nl_addr_build(family, ip.bytes().data(), size));
  if (a)
    nl_addr_set_prefixlen(a.get(), static_cast<int>(prefix));
  return a;
}

// Applies `change` (a link object carrying only the new attributes) to
// the link called `name`.
result<void> change_link(const char* operation, const std::string& name,
                         void (*fill)(rtnl_link*, unsigned), unsigned value) {
  auto sock = open_route_socket(operation, name);
  if (!sock)
    return sock.err();
  auto link = find_link(sock->get(), operation, name);
  if (!link)
    return link.err();
  link_ptr change(rtnl_link_alloc());
  fill(change.get(), value);
  if (int err = rtnl_link_change(sock->get(), link->get(), change.get(), 0); err < 0)
    return failure(operation, name, err);
  return {};
}

} // namespace

bool link_exists(const std::string& name) {
  auto sock = open_route_socket("link_exists", name);
  return sock && find_link(sock->get(), "link_exists", name).ok();
}

result<void> delete_link(const std::string& name) {
  auto sock = open_route_socket("delete_link", name);
  if (!sock)
    return sock.err();
  link_ptr link(rtnl_link_alloc());
  rtnl_link_set_name(link.get(), name.c_str());
  int err = rtnl_link_delete(sock->get(), link.get());
  if (err < 0 && err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND)
    return failure("delete_link", name, err);
  return {};
}

result<void> set_link_up(const std::string& name) {
  return change_link(
    "set_link_up", name, [](rtnl_link* l, unsigned) { rtnl_link_set_flags(l, IFF_UP); }, 0);
}

result<void> set_link_mtu(const std::string& name, unsigned mtu) {
  return change_link(
    "set_link_mtu", name, [](rtnl_link* l, unsigned v) { rtnl_link_set_mtu(l, v); }, mtu);
}

result<void> add_address(const std::string& name, const net::cidr& address) {
  const std::string object = name + " " + address.to_address_string();
  auto sock = open_route_socket("add_address", object);
  if (!sock)
    return sock.err();
  auto link = find_link(sock->get(), "add_address", name);
  if (!link)
    return link.err();
  auto local = to_nl_addr(address.address(), address.prefix());
  std::unique_ptr<rtnl_addr, void (*)(rtnl_addr*)> addr(rtnl_addr_alloc(), rtnl_addr_put);
  rtnl_addr_set_ifindex(addr.get(), rtnl_link_get_ifindex(link->get()));
  rtnl_addr_set_family(addr.get(), address.is_v4() ? AF_INET : AF_INET6);
  rtnl_addr_set_local(addr.get(), local.get());
  rtnl_addr_set_prefixlen(addr.get(), static_cast<int>(address.prefix()));
  int err = rtnl_addr_add(sock->get(), addr.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err < 0 && err != -NLE_EXIST)
    return failure("add_address", object, err);
  return {};
}

result<void> add_link_route(const std::string& name, const net::cidr& destination) {
  const std::string object = name + " " + destination.to_string();
  auto sock = open_route_socket("add_link_route", object);
  if (!sock)
    return sock.err();
  auto link = find_link(sock->get(), "add_link_route", name);
  if (!link)
    return link.err();
  auto dst = to_nl_addr(destination.network(), destination.prefix());
  std::unique_ptr<rtnl_route, void (*)(rtnl_route*)> route(rtnl_route_alloc(), rtnl_route_put);
  rtnl_route_set_family(route.get(), destination.is_v4() ? AF_INET : AF_INET6);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_scope(route.get(), RT_SCOPE_LINK);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  rtnl_route_set_dst(route.get(), dst.get());
  rtnl_nexthop* hop = rtnl_route_nh_alloc();
  rtnl_route_nh_set_ifindex(hop, rtnl_link_get_ifindex(link->get()));
  rtnl_route_add_nexthop(route.get(), hop); // the route owns it now
  int err = rtnl_route_add(sock->get(), route.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err < 0 && err != -NLE_EXIST)
    return failure("add_link_route", object, err);
  return {};
}

} // namespace overlayd::platform
