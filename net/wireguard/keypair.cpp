#include "net/wireguard/keypair.hpp"

#include <sodium.h>

namespace overlayd::net::wg {

void keypair::sodium_wipe() noexcept {
  sodium_memzero(&keys, sizeof keys);
}

} // namespace overlayd::net::wg
