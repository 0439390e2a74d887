// In-memory sysctls for tests: a key that is absent cannot be read or
// written, like /proc/sys; every write attempt is recorded, failed ones too.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "platform/sysctl_access.hpp"

namespace overlayd::testing {

class fake_sysctls final : public platform::sysctl_access {
public:
  std::map<std::string, std::string> values;
  std::vector<std::string> writes; // "key=value"

  result<std::string> read(const std::string& key) override {
    auto v = values.find(key);
    if (v == values.end())
      return make_error("read_sysctl(" + key + "): No such file or directory");
    return v->second;
  }
  result<void> write(const std::string& key, const std::string& value) override {
    writes.push_back(key + "=" + value);
    auto v = values.find(key);
    if (v == values.end())
      return make_error("write_sysctl(" + key + "): No such file or directory");
    v->second = value;
    return {};
  }
};

} // namespace overlayd::testing
