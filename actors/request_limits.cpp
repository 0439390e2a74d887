#include "actors/request_limits.hpp"

#include <initializer_list>
#include <type_traits>

namespace overlayd {

namespace {

result<void> within(const char* what, const std::string& name) {
  if (name.size() > max_name_bytes)
    return make_error(error_code::invalid_argument,
                      std::string(what) + " too long (" + std::to_string(name.size())
                        + " bytes, at most " + std::to_string(max_name_bytes) + ")");
  for (char c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) // a forged log line, a broken file
      return make_error(error_code::invalid_argument,
                        std::string(what) + " contains a control character");
  return {};
}

result<void> within(const char* what, const std::optional<std::string>& name) {
  return name ? within(what, *name) : result<void>{};
}

result<void> handle_within(const msg::attach_handle& handle) {
  if (auto* shared = std::get_if<msg::host_shared_handle>(&handle))
    return within("container id", shared->id);
  if (auto* guest = std::get_if<msg::guest_managed_handle>(&handle))
    return within("guest id", guest->id);
  return {};
}

result<void> scope_within(const msg::peer_scope& scope) {
  if (auto* service = std::get_if<msg::service_scope>(&scope))
    return within("service name", service->service);
  return {};
}

// The first failure among the checks (all cheap, so all are made).
result<void> first_failure(std::initializer_list<result<void>> checks) {
  for (const auto& check : checks)
    if (!check)
      return check;
  return {};
}

} // namespace

result<void> check_name_lengths(const msg::request& request) {
  return std::visit(
    [](const auto& r) -> result<void> {
      using T = std::decay_t<decltype(r)>;
      if constexpr (std::is_same_v<T, msg::setup_global_overlay>)
        return first_failure(
          {within("deployment", r.deployment), within("instance id", r.instance_id)});
      else if constexpr (std::is_same_v<T, msg::setup_service_overlay>
                         || std::is_same_v<T, msg::teardown_service_overlay>
                         || std::is_same_v<T, msg::allocate_ip>)
        return within("service name", r.service);
      else if constexpr (std::is_same_v<T, msg::attach_container>)
        return first_failure({within("service name", r.service), handle_within(r.handle),
                              within("isolation network", r.isolation_network),
                              within("DNS domain", r.dns_domain)});
      else if constexpr (std::is_same_v<T, msg::detach_container>)
        return handle_within(r.handle);
      else if constexpr (std::is_same_v<T, msg::add_peer> || std::is_same_v<T, msg::remove_peer>
                         || std::is_same_v<T, msg::add_allowed_ip>
                         || std::is_same_v<T, msg::remove_allowed_ip>)
        return scope_within(r.scope);
      else if constexpr (std::is_same_v<T, msg::register_dns>
                         || std::is_same_v<T, msg::unregister_dns>)
        return within("DNS name", r.name);
      else
        return {};
    },
    request);
}

} // namespace overlayd
