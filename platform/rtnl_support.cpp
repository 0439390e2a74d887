#include "platform/rtnl_support.hpp"

#include <net/if.h>
#include <netlink/errno.h>
#include <sys/socket.h>

namespace overlayd::platform::rtnl {

error failure(std::string_view operation, std::string_view object, std::string_view reason) {
  std::string text(operation);
  text += "(";
  text += object;
  text += "): ";
  text += reason;
  return make_error(std::move(text));
}

error failure(std::string_view operation, std::string_view object, int nl_error) {
  return failure(operation, object, std::string_view(nl_geterror(nl_error)));
}

error link_not_found(std::string_view operation, std::string_view object, std::string_view name) {
  return failure(operation, object,
                 "link '" + std::string(name) + "' not found in current netns");
}

bool is_missing_link(int nl_error) {
  return nl_error == -NLE_NODEV || nl_error == -NLE_OBJ_NOTFOUND;
}

result<void> check_link_name(std::string_view operation, std::string_view object,
                             const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ)
    return failure(operation, object,
                   "invalid link name '" + name + "' (1 to 15 bytes)");
  return {};
}

result<nl::socket_ptr> open_route_socket(std::string_view operation, std::string_view object) {
  nl::socket_ptr sock(nl_socket_alloc());
  if (!sock)
    return failure(operation, object, "out of memory");
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0)
    return failure(operation, object, err);
  return sock;
}

result<nl::link_ptr> find_link_if_present(nl_sock* sock, std::string_view operation,
                                          std::string_view object, const std::string& name) {
  if (auto valid = check_link_name(operation, object, name); !valid)
    return valid.err();
  rtnl_link* link = nullptr;
  const int err = rtnl_link_get_kernel(sock, 0, name.c_str(), &link);
  if (err < 0 && !is_missing_link(err))
    return failure(operation, object, err);
  return nl::link_ptr(err < 0 ? nullptr : link);
}

result<nl::link_ptr> find_link(nl_sock* sock, std::string_view operation, std::string_view object,
                               const std::string& name) {
  auto link = find_link_if_present(sock, operation, object, name);
  if (link && !*link)
    return link_not_found(operation, object, name);
  return link;
}

result<opened_link> open_link(std::string_view operation, std::string_view object,
                              const std::string& name) {
  auto sock = open_route_socket(operation, object);
  if (!sock)
    return sock.err();
  auto link = find_link(sock->get(), operation, object, name);
  if (!link)
    return link.err();
  return opened_link{std::move(*sock), std::move(*link)};
}

nl::addr_ptr to_nl_addr(const net::ip_address& ip, unsigned prefix) {
  const int family = ip.is_v4() ? AF_INET : AF_INET6;
  const unsigned size = ip.is_v4() ? 4 : 16;
  nl::addr_ptr a(nl_addr_build(family, ip.bytes().data(), size));
  if (a)
    nl_addr_set_prefixlen(a.get(), static_cast<int>(prefix));
  return a;
}

} // namespace overlayd::platform::rtnl
