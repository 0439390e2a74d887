#include "platform/bridge.hpp"

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <sys/socket.h>

#include <cstring>

#include "platform/rtnl_support.hpp"

namespace overlayd::platform {

namespace {

bool is_bridge(rtnl_link* link) {
  const char* kind = rtnl_link_get_type(link);
  return kind != nullptr && std::strcmp(kind, "bridge") == 0;
}

// RTM_NEWLINK on an existing bridge with IFLA_INFO_DATA/IFLA_BR_STP_STATE:
// the kernel's changelink, what `ip link set <br> type bridge stp_state N`
// sends. libnl-route has no setter for it, so the message is built here.
int send_stp_state(nl_sock* sock, int ifindex, bool on) {
  rtnl::message_ptr msg(nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK));
  if (!msg)
    return -NLE_NOMEM;
  ifinfomsg header{};
  header.ifi_family = AF_UNSPEC;
  header.ifi_index = ifindex;
  if (nlmsg_append(msg.get(), &header, sizeof header, NLMSG_ALIGNTO) < 0)
    return -NLE_MSGSIZE;
  nlattr* info = nla_nest_start(msg.get(), IFLA_LINKINFO);
  if (info == nullptr || nla_put_string(msg.get(), IFLA_INFO_KIND, "bridge") < 0)
    return -NLE_MSGSIZE;
  nlattr* data = nla_nest_start(msg.get(), IFLA_INFO_DATA);
  if (data == nullptr || nla_put_u32(msg.get(), IFLA_BR_STP_STATE, on ? 1 : 0) < 0)
    return -NLE_MSGSIZE;
  nla_nest_end(msg.get(), data);
  nla_nest_end(msg.get(), info);
  return nl_send_sync(sock, msg.release()); // frees the message
}

} // namespace

result<void> create_bridge(const std::string& name) {
  constexpr const char* op = "create_bridge";
  if (auto valid = rtnl::check_link_name(op, name, name); !valid)
    return valid;
  auto sock = rtnl::open_route_socket(op, name);
  if (!sock)
    return sock.err();
  nl::link_ptr link(rtnl_link_alloc());
  if (!link)
    return rtnl::failure(op, name, -NLE_NOMEM);
  if (int err = rtnl_link_set_type(link.get(), "bridge"); err < 0)
    return rtnl::failure(op, name, err);
  rtnl_link_set_name(link.get(), name.c_str());
  const int err = rtnl_link_add(sock->get(), link.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err < 0 && err != -NLE_EXIST)
    return rtnl::failure(op, name, err);
  return {};
}

result<void> set_bridge_stp(const std::string& name, bool on) {
  constexpr const char* op = "set_bridge_stp";
  auto link = rtnl::open_link(op, name, name);
  if (!link)
    return link.err();
  if (!is_bridge(link->get()))
    return rtnl::failure(op, name, "link '" + name + "' is not a bridge");
  if (int err = send_stp_state(link->socket(), rtnl_link_get_ifindex(link->get()), on); err < 0)
    return rtnl::failure(op, name, err);
  return {};
}

result<void> add_link_to_bridge(const std::string& link_name, const std::string& bridge_name) {
  constexpr const char* op = "add_link_to_bridge";
  const std::string object = link_name + ", " + bridge_name;
  auto link = rtnl::open_link(op, object, link_name);
  if (!link)
    return link.err();
  auto bridge = rtnl::find_link(link->socket(), op, object, bridge_name);
  if (!bridge)
    return bridge.err();
  nl::link_ptr change(rtnl_link_alloc());
  if (!change)
    return rtnl::failure(op, object, -NLE_NOMEM);
  rtnl_link_set_master(change.get(), rtnl_link_get_ifindex(bridge->get()));
  if (int err = rtnl_link_change(link->socket(), link->get(), change.get(), 0); err < 0)
    return rtnl::failure(op, object, err);
  return {};
}

std::size_t bridge_member_count(const std::string& name) {
  constexpr const char* op = "bridge_member_count";
  auto sock = rtnl::open_route_socket(op, name);
  if (!sock)
    return 0;
  auto bridge = rtnl::find_link(sock->get(), op, name, name);
  if (!bridge || !is_bridge(bridge->get()))
    return 0; // the original: no /sys/class/net/<name>/brif
  nl_cache* raw = nullptr;
  if (rtnl_link_alloc_cache(sock->get(), AF_UNSPEC, &raw) < 0)
    return 0;
  nl::cache_ptr links(raw);
  const int index = rtnl_link_get_ifindex(bridge->get());
  std::size_t members = 0;
  for (auto* o = nl_cache_get_first(links.get()); o != nullptr; o = nl_cache_get_next(o))
    if (rtnl_link_get_master(reinterpret_cast<rtnl_link*>(o)) == index)
      ++members;
  return members;
}

} // namespace overlayd::platform
