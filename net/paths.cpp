#include "net/paths.hpp"

#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

#include "net/fnv1a.hpp"

namespace overlayd::net {
namespace {

constexpr std::string_view root_data_dir = "/var/lib/zlayer";
// sun_path is 108 bytes on Linux; zlayer-paths keeps 103 as its limit.
constexpr std::size_t sun_path_max = 103;
// 103 - len("/zl-0123456789-g.sock") (21): a 15-byte interface socket still fits.
constexpr std::size_t uapi_dir_max = sun_path_max - 21;

// Path components as Rust's Path::components() sees them on Unix: repeated
// and trailing slashes vanish, and "." is dropped except as the first
// component of a relative path. ".." is kept (no filesystem access).
std::vector<std::string_view> components(std::string_view p) {
  std::vector<std::string_view> out;
  const bool absolute = !p.empty() && p.front() == '/';
  if (absolute)
    out.push_back("/");
  std::size_t i = 0;
  while (i < p.size()) {
    std::size_t j = p.find('/', i);
    if (j == std::string_view::npos)
      j = p.size();
    std::string_view part = p.substr(i, j - i);
    if (!part.empty() && !(part == "." && (absolute || !out.empty() || i != 0)))
      out.push_back(part);
    i = j + 1;
  }
  return out;
}

// Component-wise equality, like Rust's `Path == Path`; a plain string compare
// would treat "/var/lib/zlayer/" as a different (non-default) data dir.
bool same_path(std::string_view a, std::string_view b) {
  return components(a) == components(b);
}

// Rust's PathBuf::join: no separator is added when the base is empty or
// already ends in '/', so "/srv/zl/" gives "/srv/zl/run", not "/srv/zl//run".
std::string join(const std::string& base, std::string_view rel) {
  std::string out = base;
  if (!out.empty() && out.back() != '/')
    out += '/';
  out.append(rel);
  return out;
}

std::string hex16(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

} // namespace

std::string default_data_dir(const std::string& zlayer_data_dir_env, bool is_root,
                             const std::string& home_env) {
  if (!zlayer_data_dir_env.empty())
    return zlayer_data_dir_env;
  if (is_root)
    return std::string(root_data_dir);
  // An empty HOME is treated as unset (the caller cannot tell them apart here).
  return join(home_env.empty() ? std::string(root_data_dir) : home_env, ".zlayer");
}

std::string default_socket_path_for(const std::string& data_dir,
                                    const std::string& platform_default_data_dir) {
  if (same_path(data_dir, platform_default_data_dir))
    return "/var/run/zlayer-overlayd.sock";
  std::string path = join(data_dir, "run/zlayer-overlayd.sock");
  if (path.size() <= sun_path_max)
    return path;
  return "/tmp/zlayer-overlayd-" + hex16(fnv1a64(data_dir, "overlayd")) + ".sock";
}

std::string default_uapi_dir_for(const std::string& data_dir,
                                 const std::string& platform_default_data_dir) {
  if (same_path(data_dir, platform_default_data_dir))
    return "/var/run/wireguard";
  std::string dir = join(data_dir, "run/wireguard");
  if (dir.size() <= uapi_dir_max)
    return dir;
  return "/tmp/zlayer-wg-" + hex16(fnv1a64(data_dir, "wg"));
}

} // namespace overlayd::net
