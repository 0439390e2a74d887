#include "platform/netlink.hpp"

#include <linux/if.h>
#include <netlink/route/link.h>

#include <memory>

#include "platform/netlink_handles.hpp"
#include "platform/routes.hpp"
#include "platform/rtnl_support.hpp"

namespace overlayd::platform {

namespace {

// Applies `change` (a link object carrying only the new attributes) to
// the link called `name`.
result<void> change_link(const char* operation, const std::string& name,
                         void (*fill)(rtnl_link*, unsigned), unsigned value) {
  auto link = rtnl::open_link(operation, name, name);
  if (!link)
    return link.err();
  nl::link_ptr change(rtnl_link_alloc());
  fill(change.get(), value);
  if (int err = rtnl_link_change(link->socket(), link->get(), change.get(), 0); err < 0)
    return rtnl::failure(operation, name, err);
  return {};
}

} // namespace

bool link_exists(const std::string& name) {
  auto sock = rtnl::open_route_socket("link_exists", name);
  return sock && rtnl::find_link(sock->get(), "link_exists", name, name).ok();
}

result<void> delete_link(const std::string& name) {
  auto sock = rtnl::open_route_socket("delete_link", name);
  if (!sock)
    return sock.err();
  nl::link_ptr link(rtnl_link_alloc());
  rtnl_link_set_name(link.get(), name.c_str());
  int err = rtnl_link_delete(sock->get(), link.get());
  if (err < 0 && !rtnl::is_missing_link(err))
    return rtnl::failure("delete_link", name, err);
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

result<unsigned> link_mtu(const std::string& name) {
  auto link = rtnl::open_link("link_mtu", name, name);
  if (!link)
    return link.err();
  return rtnl_link_get_mtu(link->get());
}

result<void> add_link_route(const std::string& name, const net::cidr& destination) {
  // Replacing leaves the same route as a create that tolerates EEXIST.
  return replace_route_via_dev(destination.network(), destination.prefix(), name, std::nullopt);
}

} // namespace overlayd::platform
