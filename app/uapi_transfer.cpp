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

std::string uapi_exchange(const std::string& path, const std::string& request,
                          std::chrono::milliseconds patience) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return {};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  std::string answer;
  bool sent = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  for (std::size_t at = 0; sent && at < request.size();) {
    ssize_t n = ::send(fd, request.data() + at, request.size() - at, MSG_NOSIGNAL);
    sent = n > 0;
    at += sent ? static_cast<std::size_t>(n) : 0;
  }
  if (sent) {
    char buffer[65536];
    pollfd p{fd, POLLIN, 0};
    auto complete = [&] {
      return answer.find("errno=") != std::string::npos && answer.size() >= 2
             && answer.compare(answer.size() - 2, 2, "\n\n") == 0;
    };
    while (!complete() && ::poll(&p, 1, static_cast<int>(patience.count())) > 0) {
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0)
        break;
      answer.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return answer;
}

std::map<std::string, transfer> read_transfer(const std::string& uapi_dir,
                                              const std::string& interface) {
  std::string answer = uapi_exchange(uapi_dir + "/" + interface + ".sock", "get=1\n\n",
                                     std::chrono::milliseconds(2000));
  auto parsed = parse_transfer(answer);
  std::fill(answer.begin(), answer.end(), '\0'); // it held the private key
  return parsed;
}

} // namespace overlayd::app
