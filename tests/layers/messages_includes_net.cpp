// Must not compile: messages/ reaching up into net/.
#include "net/wireguard/keys.hpp"
