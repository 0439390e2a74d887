#include "platform/veth.hpp"

#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "platform/rtnl_support.hpp"

namespace overlayd::platform {

result<void> create_veth_pair(const std::string& host, const std::string& peer,
                              std::optional<int> peer_netns_fd) {
  constexpr const char* op = "create_veth_pair";
  const std::string object = host + ", " + peer;
  if (auto valid = rtnl::check_link_name(op, object, host); !valid)
    return valid;
  if (auto valid = rtnl::check_link_name(op, object, peer); !valid)
    return valid;
  auto sock = rtnl::open_route_socket(op, object);
  if (!sock)
    return sock.err();
  nl::link_ptr link(rtnl_link_veth_alloc());
  if (!link)
    return rtnl::failure(op, object, -NLE_NOMEM);
  rtnl_link_set_name(link.get(), host.c_str());
  // No namespace on the peer (rtnl_link_veth_add would set the *process's*
  // pid, whose namespace is not this thread's after a setns): the kernel
  // then creates it beside the host end, in the socket's namespace.
  nl::link_ptr peer_link(rtnl_link_veth_get_peer(link.get()));
  if (!peer_link)
    return rtnl::failure(op, object, -NLE_NOMEM);
  rtnl_link_set_name(peer_link.get(), peer.c_str());
  if (peer_netns_fd)
    rtnl_link_set_ns_fd(peer_link.get(), *peer_netns_fd);
  const int err = rtnl_link_add(sock->get(), link.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err == -NLE_EXIST)
    return make_error("veth pair already exists: host=" + host + " peer=" + peer);
  if (err < 0)
    return rtnl::failure(op, object, err);
  return {};
}

result<void> move_link_into_netns_and_rename(const std::string& link, int netns_fd,
                                             const std::string& new_name) {
  constexpr const char* op = "move_link_into_netns_and_rename";
  const std::string object = link + ", " + new_name;
  if (auto valid = rtnl::check_link_name(op, object, new_name); !valid)
    return valid;
  auto current = rtnl::open_link(op, object, link);
  if (!current)
    return current.err();
  nl::link_ptr change(rtnl_link_alloc());
  if (!change)
    return rtnl::failure(op, object, -NLE_NOMEM);
  rtnl_link_set_ns_fd(change.get(), netns_fd);
  rtnl_link_set_name(change.get(), new_name.c_str());
  nl_msg* raw = nullptr;
  if (int err = rtnl_link_build_change_request(current->get(), change.get(), 0, &raw); err < 0)
    return rtnl::failure(op, object, err);
  // libnl builds RTM_NEWLINK (and rtnl_link_change would retry as
  // RTM_SETLINK only on EOPNOTSUPP); the spec's one message is RTM_SETLINK.
  nlmsg_hdr(raw)->nlmsg_type = RTM_SETLINK;
  if (int err = nl_send_sync(current->socket(), raw); err < 0) // frees the message
    return rtnl::failure(op, object, err);
  return {};
}

} // namespace overlayd::platform
