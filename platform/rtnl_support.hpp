// rtnl_support: the pieces every RTNETLINK primitive of platform/ shares
// (mechanics.md 5): a socket per call, link lookup with the spec's
// "not found" text, address conversion and error messages that name the
// operation and the object. Internal to platform/: public headers never
// include it.
#pragma once

#include <netlink/msg.h>
#include <netlink/route/route.h>

#include <memory>
#include <string>
#include <string_view>

#include "net/base/ip_address.hpp"
#include "net/base/result.hpp"
#include "platform/netlink_handles.hpp"

namespace overlayd::platform::rtnl {

struct route_releaser {
  void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct message_releaser {
  void operator()(nl_msg* m) const { nlmsg_free(m); }
};
using route_ptr = std::unique_ptr<rtnl_route, route_releaser>;
using message_ptr = std::unique_ptr<nl_msg, message_releaser>;

// "operation(object): reason".
error failure(std::string_view operation, std::string_view object, std::string_view reason);
// "operation(object): <libnl's text for nl_error>".
error failure(std::string_view operation, std::string_view object, int nl_error);
// "operation(object): link '<name>' not found in current netns" (the
// original's NotFound text, so logs read the same).
error link_not_found(std::string_view operation, std::string_view object, std::string_view name);

// The kernel's "no such link" comes back as ENODEV or ENOENT.
bool is_missing_link(int nl_error);

// libnl silently truncates names to IFNAMSIZ-1, which would act on (or
// create) another link than the one asked for; refuse them instead.
result<void> check_link_name(std::string_view operation, std::string_view object,
                             const std::string& name);

result<nl::socket_ptr> open_route_socket(std::string_view operation, std::string_view object);

// The link called `name` in the socket's namespace.
result<nl::link_ptr> find_link(nl_sock* sock, std::string_view operation, std::string_view object,
                               const std::string& name);

// The same, but a missing link is an empty pointer rather than an error
// (for the operations where missing counts as done).
result<nl::link_ptr> find_link_if_present(nl_sock* sock, std::string_view operation,
                                          std::string_view object, const std::string& name);

// A route socket and the link called `name` on it: how most link
// operations begin.
struct opened_link {
  nl::socket_ptr sock;
  nl::link_ptr link;
  nl_sock* socket() const { return sock.get(); }
  rtnl_link* get() const { return link.get(); }
};
result<opened_link> open_link(std::string_view operation, std::string_view object,
                              const std::string& name);

// The address with its prefix length (host bits kept).
nl::addr_ptr to_nl_addr(const net::ip_address& ip, unsigned prefix);

} // namespace overlayd::platform::rtnl
