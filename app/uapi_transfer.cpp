#include "app/uapi_transfer.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include "net/base/decimal.hpp"

namespace overlayd::app {

std::map<std::string, transfer> parse_transfer(const std::string& get_answer) {
  std::map<std::string, transfer> out;
  std::istringstream lines(get_answer);
  std::string line;
  transfer* current = nullptr;
  while (std::getline(lines, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos)
      continue;
    std::string key = line.substr(0, eq);
    std::string value = line.substr(eq + 1);
    if (key == "public_key")
      current = &out[value];
    else if (current != nullptr && (key == "rx_bytes" || key == "tx_bytes"))
      (key == "rx_bytes" ? current->rx_bytes : current->tx_bytes) =
        parse_decimal(value, UINT64_MAX).value_or(0);
  }
  return out;
}

std::map<std::string, transfer> read_transfer(const std::string& uapi_dir,
                                              const std::string& interface) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return {};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = uapi_dir + "/" + interface + ".sock";
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0
      && ::send(fd, "get=1\n\n", 7, MSG_NOSIGNAL) == 7) {
    char buffer[65536];
    pollfd p{fd, POLLIN, 0};
    // The answer ends with an empty line after errno=; 2 s at most.
    while (answer.find("errno=") == std::string::npos && ::poll(&p, 1, 2000) > 0) {
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0)
        break;
      answer.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  auto parsed = parse_transfer(answer);
  std::fill(answer.begin(), answer.end(), '\0'); // it held the private key
  return parsed;
}

} // namespace overlayd::app
