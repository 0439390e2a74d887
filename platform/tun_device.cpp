#include "platform/tun_device.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

// Linux 6.2's UDP segmentation offload flags; older headers lack them.
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

namespace overlayd::platform {

namespace {

int open_tun(const std::string& name, short flags, std::string& error) {
  int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    error = "create_tun(" + name + "): open /dev/net/tun: " + std::strerror(errno);
    return -1;
  }
  ifreq request{};
  request.ifr_flags = flags;
  std::memcpy(request.ifr_name, name.data(), name.size());
  if (::ioctl(fd, TUNSETIFF, &request) < 0) {
    error = "create_tun(" + name + "): " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

} // namespace

result<tun_device> tun_device::create(const std::string& name, bool offloads) {
  if (name.empty() || name.size() >= IFNAMSIZ)
    return make_error("Interface name '" + name + "' exceeds 15 character limit");
  std::string error;
  tun_device device;
  device.name_ = name;
  if (offloads) {
    // Checksum and TCP (and, from Linux 6.2, UDP) segmentation offload: the
    // kernel may then give us unchecksummed packets and 64 KiB TCP or UDP
    // super-packets, which we finish.
    device.fd_.reset(open_tun(name, IFF_TUN | IFF_NO_PI | IFF_VNET_HDR, error));
    const unsigned features = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
    if (device.fd_.valid()
        && (::ioctl(device.fd_.get(), TUNSETOFFLOAD, features | TUN_F_USO4 | TUN_F_USO6) == 0
            || ::ioctl(device.fd_.get(), TUNSETOFFLOAD, features) == 0)) {
      device.offloads_ = true;
      return device;
    }
    device.close(); // a kernel without them: the plain device below
  }
  device.fd_.reset(open_tun(name, IFF_TUN | IFF_NO_PI, error));
  if (!device.fd_.valid())
    return make_error(error);
  return device;
}

long tun_device::read_packet(std::uint8_t* buffer, std::size_t capacity) noexcept {
  return ::read(fd_.get(), buffer, capacity);
}

long tun_device::write_packet(const std::uint8_t* packet, std::size_t length) noexcept {
  return ::write(fd_.get(), packet, length);
}

void tun_device::close() noexcept {
  fd_.reset();
}

} // namespace overlayd::platform
