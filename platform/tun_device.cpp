#include "platform/tun_device.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace overlayd::platform {

tun_device::tun_device(tun_device&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), name_(std::move(other.name_)) {}

tun_device& tun_device::operator=(tun_device&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    name_ = std::move(other.name_);
  }
  return *this;
}

tun_device::~tun_device() {
  close();
}

result<tun_device> tun_device::create(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ)
    return make_error("Interface name '" + name + "' exceeds 15 character limit");
  int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return make_error("create_tun(" + name + "): open /dev/net/tun: " + std::strerror(errno));
  ifreq request{};
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::memcpy(request.ifr_name, name.data(), name.size());
  if (::ioctl(fd, TUNSETIFF, &request) < 0) {
    int err = errno;
    ::close(fd);
    return make_error("create_tun(" + name + "): " + std::strerror(err));
  }
  tun_device device;
  device.fd_ = fd;
  device.name_ = request.ifr_name;
  return device;
}

long tun_device::read_packet(std::uint8_t* buffer, std::size_t capacity) noexcept {
  return ::read(fd_, buffer, capacity);
}

long tun_device::write_packet(const std::uint8_t* packet, std::size_t length) noexcept {
  return ::write(fd_, packet, length);
}

void tun_device::close() noexcept {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

} // namespace overlayd::platform
