// Must not compile: net/ reaching up into platform/.
#include "platform/udp_socket.hpp"
