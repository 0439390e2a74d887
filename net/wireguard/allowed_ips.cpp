#include "net/wireguard/allowed_ips.hpp"

#include <algorithm>
#include <array>

#include "net/base/byte_order.hpp"

namespace overlayd::net::wg {

namespace {

constexpr std::uint64_t ones = ~std::uint64_t{0};

// -- key arithmetic --------------------------------------------------------
// Templates only so that they can take the class's private key type.

template <class K>
K masked(K k, unsigned bits) noexcept {
  if (bits == 0)
    return K{0, 0};
  if (bits < 64)
    return K{k.hi & (ones << (64 - bits)), 0};
  if (bits == 64)
    return K{k.hi, 0};
  if (bits < 128)
    return K{k.hi, k.lo & (ones << (128 - bits))};
  return k;
}

// Whether the first `bits` bits of `a` equal `prefix` (already masked).
template <class K>
bool prefix_match(const K& a, const K& prefix, unsigned bits) noexcept {
  if (bits == 0)
    return true;
  if (bits <= 64)
    return ((a.hi ^ prefix.hi) >> (64 - bits)) == 0;
  return a.hi == prefix.hi && ((a.lo ^ prefix.lo) >> (128 - bits)) == 0;
}

// Leading bits `a` and `b` share, at most `cap`.
template <class K>
unsigned common_bits(const K& a, const K& b, unsigned cap) noexcept {
  unsigned n;
  if (std::uint64_t x = a.hi ^ b.hi)
    n = static_cast<unsigned>(__builtin_clzll(x));
  else if (std::uint64_t y = a.lo ^ b.lo)
    n = 64 + static_cast<unsigned>(__builtin_clzll(y));
  else
    n = 128;
  return std::min(n, cap);
}

// Bit `pos` (0 = most significant), pos < 128.
template <class K>
unsigned bit_at(const K& k, unsigned pos) noexcept {
  return pos < 64 ? static_cast<unsigned>((k.hi >> (63 - pos)) & 1)
                  : static_cast<unsigned>((k.lo >> (127 - pos)) & 1);
}

} // namespace

allowed_ips::key128 allowed_ips::load_v4(const std::uint8_t* a) noexcept {
  std::uint64_t v = (std::uint64_t{a[0]} << 24) | (std::uint64_t{a[1]} << 16)
                    | (std::uint64_t{a[2]} << 8) | std::uint64_t{a[3]};
  return key128{v << 32, 0};
}

allowed_ips::key128 allowed_ips::load_v6(const std::uint8_t* a) noexcept {
  return key128{load_be64(a), load_be64(a + 8)};
}

allowed_ips::key128 allowed_ips::key_of(const cidr& prefix) noexcept {
  const auto& bytes = prefix.address().bytes();
  key128 k = prefix.is_v4() ? load_v4(bytes.data()) : load_v6(bytes.data());
  return masked(k, prefix.prefix());
}

// -- lookup (the data path) -------------------------------------------------

std::optional<peer_id> allowed_ips::find(std::uint32_t index, key128 addr) const noexcept {
  static_assert(sizeof(node) == 32, "two nodes per cache line");
  std::optional<peer_id> best;
  // Every node below extends this node's prefix, so the first node that
  // does not match ends the walk.
  while (index != npos) {
    const node& n = nodes_[index];
    if (!prefix_match(addr, n.key, n.bits))
      break;
    if (n.has_peer)
      best = n.peer;
    if (n.bits >= 128)
      break;
    index = n.child[bit_at(addr, n.bits)];
  }
  return best;
}

std::optional<peer_id> allowed_ips::lookup_key(bool v4, key128 addr) const noexcept {
  if (!index_.usable(v4))
    return find(v4 ? root_v4_ : root_v6_, addr);
  const std::uint32_t index = index_.longest(v4, addr.hi, addr.lo);
  if (index == prefix_index::none)
    return std::nullopt;
  return nodes_[index].peer;
}

std::optional<peer_id> allowed_ips::lookup_v4(const std::uint8_t* addr) const noexcept {
  return lookup_key(true, load_v4(addr));
}

std::optional<peer_id> allowed_ips::lookup_v6(const std::uint8_t* addr) const noexcept {
  return lookup_key(false, load_v6(addr));
}

std::uint32_t allowed_ips::find_exact(std::uint32_t index, key128 key, unsigned bits) const noexcept {
  while (index != npos) {
    const node& n = nodes_[index];
    if (n.bits > bits || !prefix_match(key, n.key, n.bits))
      return npos;
    if (n.bits == bits)
      return index;
    index = n.child[bit_at(key, n.bits)];
  }
  return npos;
}

// -- node pool ---------------------------------------------------------------

std::uint32_t allowed_ips::new_node(key128 key, unsigned bits, bool v4) {
  node n;
  n.key = key;
  n.bits = static_cast<std::uint8_t>(bits);
  links l;
  l.v4 = v4;
  if (!free_.empty()) {
    std::uint32_t index = free_.back();
    free_.pop_back();
    nodes_[index] = n;
    links_[index] = l;
    return index;
  }
  nodes_.push_back(n);
  links_.push_back(l);
  return static_cast<std::uint32_t>(nodes_.size() - 1);
}

void allowed_ips::free_node(std::uint32_t index) {
  nodes_[index] = node{};
  links_[index] = links{};
  free_.push_back(index);
}

void allowed_ips::replace_child(std::uint32_t parent, std::uint32_t old_child,
                                std::uint32_t new_child, bool v4) {
  if (parent == npos) {
    root_of(v4) = new_child;
  } else {
    node& p = nodes_[parent];
    p.child[p.child[0] == old_child ? 0 : 1] = new_child;
  }
  if (new_child != npos)
    links_[new_child].parent = parent;
}

// -- per-peer lists ------------------------------------------------------------

void allowed_ips::link_peer(std::uint32_t index, peer_id peer) {
  peer_list& list = peers_[peer];
  node& n = nodes_[index];
  links& l = links_[index];
  n.peer = peer;
  n.has_peer = true;
  l.peer_prev = list.tail;
  l.peer_next = npos;
  if (list.tail != npos)
    links_[list.tail].peer_next = index;
  else
    list.head = index;
  list.tail = index;
}

void allowed_ips::unlink_peer(std::uint32_t index) {
  node& n = nodes_[index];
  links& l = links_[index];
  auto it = peers_.find(n.peer);
  peer_list& list = it->second;
  if (l.peer_prev != npos)
    links_[l.peer_prev].peer_next = l.peer_next;
  else
    list.head = l.peer_next;
  if (l.peer_next != npos)
    links_[l.peer_next].peer_prev = l.peer_prev;
  else
    list.tail = l.peer_prev;
  if (list.head == npos)
    peers_.erase(it);
  n.has_peer = false;
  l.peer_prev = l.peer_next = npos;
}

void allowed_ips::set_owner(std::uint32_t index, peer_id peer) {
  node& n = nodes_[index];
  if (n.has_peer) {
    if (n.peer == peer)
      return; // keeps its place in the peer's order
    unlink_peer(index);
  } else {
    ++entries_;
    index_.add(links_[index].v4, n.key.hi, n.key.lo, n.bits, index);
  }
  link_peer(index, peer);
}

// -- mutation ------------------------------------------------------------------

bool allowed_ips::insert(const cidr& prefix, peer_id peer) {
  const bool v4 = prefix.is_v4();
  const unsigned bits = prefix.prefix();
  if (bits > prefix.address().max_prefix())
    return false;
  const key128 key = key_of(prefix);

  std::uint32_t index = root_of(v4);
  if (index == npos) {
    std::uint32_t leaf = new_node(key, bits, v4);
    root_of(v4) = leaf;
    set_owner(leaf, peer);
    return true;
  }
  for (;;) {
    // Copies, not references: new_node may grow the vector.
    const key128 here = nodes_[index].key;
    const unsigned here_bits = nodes_[index].bits;
    if (here_bits <= bits && prefix_match(key, here, here_bits)) {
      if (here_bits == bits) {
        set_owner(index, peer);
        return true;
      }
      const unsigned dir = bit_at(key, here_bits);
      const std::uint32_t next = nodes_[index].child[dir];
      if (next == npos) {
        std::uint32_t leaf = new_node(key, bits, v4);
        nodes_[index].child[dir] = leaf;
        links_[leaf].parent = index;
        set_owner(leaf, peer);
        return true;
      }
      index = next;
      continue;
    }
    // `index` is not on the new prefix's path: the new prefix either
    // becomes its parent, or a branching node goes above both.
    const std::uint32_t parent = links_[index].parent;
    const unsigned common = common_bits(key, here, std::min(bits, here_bits));
    if (common == bits) {
      std::uint32_t up = new_node(key, bits, v4);
      replace_child(parent, index, up, v4);
      nodes_[up].child[bit_at(here, bits)] = index;
      links_[index].parent = up;
      set_owner(up, peer);
    } else {
      std::uint32_t fork = new_node(masked(key, common), common, v4);
      std::uint32_t leaf = new_node(key, bits, v4);
      replace_child(parent, index, fork, v4);
      nodes_[fork].child[bit_at(key, common)] = leaf;
      nodes_[fork].child[bit_at(here, common)] = index;
      links_[leaf].parent = fork;
      links_[index].parent = fork;
      set_owner(leaf, peer);
    }
    return true;
  }
}

void allowed_ips::erase_entry(std::uint32_t index) {
  const bool v4 = links_[index].v4;
  index_.remove(v4, nodes_[index].key.hi, nodes_[index].key.lo, nodes_[index].bits);
  unlink_peer(index);
  --entries_;
  // Drop nodes that no longer store or branch: a childless one goes (and
  // its parent is looked at again), a one-child one is spliced out.
  while (index != npos && !nodes_[index].has_peer) {
    const node& n = nodes_[index];
    const std::uint32_t parent = links_[index].parent;
    const bool left = n.child[0] != npos;
    const bool right = n.child[1] != npos;
    if (left && right)
      return;
    const std::uint32_t only = left ? n.child[0] : n.child[1];
    replace_child(parent, index, only, v4);
    free_node(index);
    if (only != npos)
      return;
    index = parent;
  }
}

bool allowed_ips::remove(const cidr& prefix, peer_id peer) {
  if (prefix.prefix() > prefix.address().max_prefix())
    return false;
  std::uint32_t index = find_exact(root_of(prefix.is_v4()), key_of(prefix), prefix.prefix());
  if (index == npos || !nodes_[index].has_peer || nodes_[index].peer != peer)
    return false;
  erase_entry(index);
  return true;
}

std::size_t allowed_ips::remove_peer(peer_id peer) {
  std::size_t removed = 0;
  for (auto it = peers_.find(peer); it != peers_.end(); it = peers_.find(peer)) {
    erase_entry(it->second.head);
    ++removed;
  }
  return removed;
}

void allowed_ips::clear() {
  nodes_.clear();
  links_.clear();
  free_.clear();
  peers_.clear();
  root_v4_ = root_v6_ = npos;
  entries_ = 0;
  index_.clear();
}

std::vector<cidr> allowed_ips::entries_of(peer_id peer) const {
  std::vector<cidr> out;
  auto it = peers_.find(peer);
  if (it == peers_.end())
    return out;
  for (std::uint32_t i = it->second.head; i != npos; i = links_[i].peer_next) {
    const node& n = nodes_[i];
    if (links_[i].v4) {
      out.emplace_back(ip_address::v4(static_cast<std::uint32_t>(n.key.hi >> 32)), n.bits);
    } else {
      std::array<std::uint8_t, 16> bytes{};
      for (int b = 0; b < 8; ++b) {
        bytes[static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(n.key.hi >> (56 - 8 * b));
        bytes[static_cast<std::size_t>(b + 8)] = static_cast<std::uint8_t>(n.key.lo >> (56 - 8 * b));
      }
      out.emplace_back(ip_address::v6(bytes), n.bits);
    }
  }
  return out;
}

} // namespace overlayd::net::wg
