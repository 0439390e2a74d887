#include "platform/addresses.hpp"

#include <linux/if_addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <sys/socket.h>

#include <memory>
#include <vector>

#include "platform/rtnl_support.hpp"

namespace overlayd::platform {

namespace {

struct addr_object_releaser {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
using rtnl_addr_ptr = std::unique_ptr<rtnl_addr, addr_object_releaser>;

} // namespace

namespace {

// An address object for `address` on the link called `name`.
result<rtnl_addr_ptr> address_on(nl_sock* sock, const char* op, const std::string& object,
                                 const std::string& name, const net::cidr& address) {
  auto link = rtnl::find_link(sock, op, object, name);
  if (!link)
    return link.err();
  auto local = rtnl::to_nl_addr(address.address(), address.prefix());
  rtnl_addr_ptr addr(rtnl_addr_alloc());
  if (!local || !addr)
    return rtnl::failure(op, object, -NLE_NOMEM);
  rtnl_addr_set_ifindex(addr.get(), rtnl_link_get_ifindex(link->get()));
  rtnl_addr_set_family(addr.get(), address.is_v4() ? AF_INET : AF_INET6);
  rtnl_addr_set_local(addr.get(), local.get());
  rtnl_addr_set_prefixlen(addr.get(), static_cast<int>(address.prefix()));
  // No duplicate address detection: overlayd's allocator owns these
  // addresses, and DAD would keep a fresh container's address (and its
  // gateway's) tentative, unusable, for a second or two after the attach.
  if (!address.is_v4())
    rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
  return addr;
}

} // namespace

namespace {

result<void> add(const char* op, const std::string& name, const net::cidr& address,
                 bool existing_is_added) {
  const std::string object = name + " " + address.to_address_string();
  auto sock = rtnl::open_route_socket(op, object);
  if (!sock)
    return sock.err();
  auto addr = address_on(sock->get(), op, object, name, address);
  if (!addr)
    return addr.err();
  const int err = rtnl_addr_add(sock->get(), addr->get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err < 0 && !(existing_is_added && err == -NLE_EXIST))
    return rtnl::failure(op, object, err);
  return {};
}

} // namespace

result<void> add_address(const std::string& name, const net::cidr& address) {
  return add("add_address", name, address, true);
}

result<void> add_address_strict(const std::string& name, const net::cidr& address) {
  return add("add_address_strict", name, address, false);
}

result<void> delete_address(const std::string& name, const net::cidr& address) {
  constexpr const char* op = "delete_address";
  const std::string object = name + " " + address.to_address_string();
  auto sock = rtnl::open_route_socket(op, object);
  if (!sock)
    return sock.err();
  auto addr = address_on(sock->get(), op, object, name, address);
  if (!addr)
    return {}; // no link, no address
  const int err = rtnl_addr_delete(sock->get(), addr->get(), 0);
  if (err < 0 && err != -NLE_NOADDR && err != -NLE_OBJ_NOTFOUND)
    return rtnl::failure(op, object, err);
  return {};
}

result<void> flush_addresses(const std::string& name) {
  constexpr const char* op = "flush_addresses";
  auto link = rtnl::open_link(op, name, name);
  if (!link)
    return link.err();
  nl_cache* raw = nullptr;
  if (int err = rtnl_addr_alloc_cache(link->socket(), &raw); err < 0)
    return rtnl::failure(op, name, err);
  nl::cache_ptr cache(raw);
  const int index = rtnl_link_get_ifindex(link->get());
  for (auto* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_ifindex(a) != index)
      continue;
    const int err = rtnl_addr_delete(link->socket(), a, 0);
    // Removing an IPv4 primary also removes its secondaries: those are
    // gone by the time their turn comes.
    if (err < 0 && err != -NLE_NOADDR && err != -NLE_OBJ_NOTFOUND)
      return rtnl::failure(op, name, err);
  }
  return {};
}

} // namespace overlayd::platform
