#include "platform/state_file_json.hpp"

#include <limits>

#include "messages/json.hpp"
#include "messages/value.hpp"

namespace overlayd::platform {

using msg::value;
using net::network_entry;
using net::network_state;

// -- writing -----------------------------------------------------------------

std::string to_state_json(const network_state& state) {
  value::array_type networks;
  for (const auto& e : state.networks) {
    auto entry = value::make_object();
    entry.add("owner", e.owner);
    entry.add("kind", e.kind);
    entry.add("name", e.name);
    entry.add("id", e.id);
    entry.add("subnet", e.subnet);
    if (e.wg_port)
      entry.add("wg_port", std::uint64_t{*e.wg_port});
    if (e.wg_private_key)
      entry.add("wg_private_key", *e.wg_private_key);
    if (e.wg_public_key)
      entry.add("wg_public_key", *e.wg_public_key);
    if (e.interface)
      entry.add("interface", *e.interface);
    networks.push_back(std::move(entry));
  }
  auto root = value::make_object();
  root.add("version", std::uint64_t{state.version});
  root.add("networks", std::move(networks));
  return msg::to_json_pretty(root);
}

// -- reading -----------------------------------------------------------------

namespace {

// Like value::describe(), but a string's content is never shown: the file
// holds private keys and problems end up in logs.
std::string describe_safely(const value& v) {
  return v.is_string() ? "string" : v.describe();
}

std::string invalid_type(const value& v, const char* expected) {
  return "invalid type: " + describe_safely(v) + ", expected " + expected;
}

// The first member named `key`; a second one is an error, as in serde.
const value* unique_member(const value& object, const char* key, std::string& problem) {
  const value* found = nullptr;
  for (const auto& [name, member] : object.as_object()) {
    if (name != key)
      continue;
    if (found != nullptr) {
      problem = std::string("duplicate field `") + key + "`";
      return found;
    }
    found = &member;
  }
  return found;
}

// Decodes one entry; on failure returns false with `problem` naming the
// field (".owner: missing field"), or ": ..." when it is not an object.
bool read_entry(const value& v, network_entry& out, std::string& problem) {
  if (!v.is_object()) {
    problem = ": " + invalid_type(v, "struct NetworkEntry");
    return false;
  }
  auto field = [&](const char* key, const value*& member) {
    std::string duplicate;
    member = unique_member(v, key, duplicate);
    if (!duplicate.empty())
      problem = "." + std::string(key) + ": " + duplicate;
    return duplicate.empty();
  };
  auto required = [&](const char* key, std::string& dest) {
    const value* member = nullptr;
    if (!field(key, member))
      return false;
    if (member == nullptr) {
      problem = "." + std::string(key) + ": missing field";
      return false;
    }
    if (!member->is_string()) {
      problem = "." + std::string(key) + ": " + invalid_type(*member, "a string");
      return false;
    }
    dest = member->as_string();
    return true;
  };
  auto optional = [&](const char* key, std::optional<std::string>& dest) {
    const value* member = nullptr;
    if (!field(key, member))
      return false;
    if (member == nullptr || member->is_null())
      return true;
    if (!member->is_string()) {
      problem = "." + std::string(key) + ": " + invalid_type(*member, "a string");
      return false;
    }
    dest = member->as_string();
    return true;
  };
  auto port = [&](const char* key, std::optional<std::uint16_t>& dest) {
    const value* member = nullptr;
    if (!field(key, member))
      return false;
    if (member == nullptr || member->is_null())
      return true;
    if (member->type() == value::kind::unsigned_integer
        && member->as_uint() <= std::numeric_limits<std::uint16_t>::max()) {
      dest = static_cast<std::uint16_t>(member->as_uint());
      return true;
    }
    bool is_integer = member->type() == value::kind::unsigned_integer
                      || member->type() == value::kind::signed_integer;
    problem = "." + std::string(key) + ": "
              + (is_integer ? "invalid value: " + member->describe() + ", expected u16"
                            : invalid_type(*member, "u16"));
    return false;
  };
  return required("owner", out.owner) && required("kind", out.kind)
         && required("name", out.name) && required("id", out.id)
         && required("subnet", out.subnet) && port("wg_port", out.wg_port)
         && optional("wg_private_key", out.wg_private_key)
         && optional("wg_public_key", out.wg_public_key)
         && optional("interface", out.interface);
}

void read_version(const value& root, state_parse& out) {
  std::string duplicate;
  const value* v = unique_member(root, "version", duplicate);
  if (!duplicate.empty())
    out.problems.push_back(duplicate);
  if (v == nullptr)
    return; // missing: 1
  if (v->type() == value::kind::unsigned_integer
      && v->as_uint() <= std::numeric_limits<std::uint32_t>::max()) {
    out.state.version = static_cast<std::uint32_t>(v->as_uint());
    return;
  }
  out.problems.push_back("version: " + invalid_type(*v, "u32") + " (using 1)");
}

} // namespace

state_parse parse_state_json(std::string_view text) {
  state_parse out;
  auto doc = msg::parse_json(text);
  if (!doc) {
    out.problems.push_back("not valid JSON: " + doc.error_message());
    return out;
  }
  const value& root = *doc;
  if (!root.is_object()) {
    out.problems.push_back(invalid_type(root, "struct NetworkState"));
    return out;
  }
  read_version(root, out);

  std::string duplicate;
  const value* networks = unique_member(root, "networks", duplicate);
  if (!duplicate.empty())
    out.problems.push_back(duplicate);
  if (networks == nullptr)
    return out; // missing: []
  if (!networks->is_array()) {
    out.problems.push_back("networks: " + invalid_type(*networks, "a sequence"));
    return out;
  }
  const auto& items = networks->as_array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    network_entry entry;
    std::string problem;
    if (read_entry(items[i], entry, problem))
      out.state.networks.push_back(std::move(entry));
    else
      out.problems.push_back("networks[" + std::to_string(i) + "]" + problem);
  }
  return out;
}

} // namespace overlayd::platform
