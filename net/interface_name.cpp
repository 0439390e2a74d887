#include "net/interface_name.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "net/siphash13.hpp"

namespace overlayd::net {
namespace {

constexpr std::string_view prefix = "zl-";
// Without a suffix (or when the suffix eats the whole budget) the name is
// "zl-" + 12 hex chars, as in the original.
constexpr std::size_t bare_hex_len = 12;

// Rust hashes a `str` as its bytes followed by one 0xFF byte, so that
// ("ab","c") and ("a","bc") differ.
void append_rust_str(std::string& stream, std::string_view s) {
  stream.append(s);
  stream.push_back(static_cast<char>(0xFF));
}

// Rust `{:x}`: lower-case, no zero padding, so the result may be < 16 chars.
std::string hex_no_padding(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

} // namespace

std::string make_interface_name(const std::vector<std::string>& parts, std::string_view suffix) {
  std::string candidate(prefix);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i != 0)
      candidate += '-';
    candidate += parts[i];
  }
  if (!suffix.empty()) {
    candidate += '-';
    candidate.append(suffix);
  }
  if (candidate.size() <= max_interface_name)
    return candidate;

  // The suffix is hashed even when empty (then it contributes just 0xFF).
  std::string stream;
  for (const auto& part : parts)
    append_rust_str(stream, part);
  append_rust_str(stream, suffix);
  const std::string hex = hex_no_padding(siphash13(stream));

  const std::size_t fixed = prefix.size() + 1 + suffix.size();
  const std::size_t budget = fixed >= max_interface_name ? 0 : max_interface_name - fixed;
  if (suffix.empty() || budget == 0)
    return std::string(prefix) + hex.substr(0, std::min(bare_hex_len, hex.size()));
  return std::string(prefix) + hex.substr(0, std::min(budget, hex.size())) + "-"
         + std::string(suffix);
}

bool is_orphan_service_bridge(std::string_view name, const std::set<std::string>& live,
                              const std::set<std::string>& protected_names) {
  if (name.substr(0, prefix.size()) != prefix)
    return false;
  if (!ends_with(name, "-b") && !ends_with(name, "-d"))
    return false;
  const std::string key(name);
  return live.count(key) == 0 && protected_names.count(key) == 0;
}

} // namespace overlayd::net
