#include "platform/attachment_file_json.hpp"

#include <limits>

#include "messages/json.hpp"
#include "messages/value.hpp"

namespace overlayd::platform {

using msg::value;
using net::attachment_record;

namespace {

const char* const intent_state = "intent";
const char* const confirmed_state = "confirmed";

} // namespace

std::string to_attachments_json(const net::attachment_records& records) {
  value::array_type items;
  for (const auto& [pid, r] : records) {
    auto entry = value::make_object();
    entry.add("pid", std::uint64_t{r.pid});
    entry.add("service", r.service);
    entry.add("service_ip", r.service_ip.to_string());
    if (r.global_ip)
      entry.add("global_ip", r.global_ip->to_string());
    entry.add("ephemeral", r.ephemeral);
    if (r.isolation_network)
      entry.add("isolation_network", *r.isolation_network);
    entry.add("state", r.confirmed ? confirmed_state : intent_state);
    items.push_back(std::move(entry));
  }
  auto root = value::make_object();
  root.add("version", std::uint64_t{1});
  root.add("attachments", std::move(items));
  return msg::to_json_pretty(root);
}

namespace {

// Decodes one entry; on failure false, with `problem` naming the field.
bool read_entry(const value& v, attachment_record& out, std::string& problem) {
  if (!v.is_object()) {
    problem = ": not an object";
    return false;
  }
  auto fail = [&problem](const char* key, const char* what) {
    problem = "." + std::string(key) + ": " + what;
    return false;
  };
  auto text = [&](const char* key, bool required, std::optional<std::string>& dest) {
    const value* member = v.find(key);
    if (member == nullptr || member->is_null())
      return !required || fail(key, "missing field");
    if (!member->is_string())
      return fail(key, "expected a string");
    dest = member->as_string();
    return true;
  };
  auto address = [&](const char* key, bool required, std::optional<net::ip_address>& dest) {
    std::optional<std::string> raw;
    if (!text(key, required, raw))
      return false;
    if (!raw)
      return true;
    dest = net::ip_address::parse(*raw);
    return dest.has_value() || fail(key, "not an IP address");
  };
  const value* pid = v.find("pid");
  if (pid == nullptr || pid->type() != value::kind::unsigned_integer || pid->as_uint() == 0
      || pid->as_uint() > std::numeric_limits<std::uint32_t>::max())
    return fail("pid", "expected a process id");
  out.pid = static_cast<std::uint32_t>(pid->as_uint());
  std::optional<std::string> service, state;
  std::optional<net::ip_address> service_ip;
  if (!text("service", true, service) || !address("service_ip", true, service_ip)
      || !address("global_ip", false, out.global_ip)
      || !text("isolation_network", false, out.isolation_network)
      || !text("state", true, state))
    return false;
  out.service = *service;
  out.service_ip = *service_ip;
  if (*state != intent_state && *state != confirmed_state)
    return fail("state", "expected \"intent\" or \"confirmed\"");
  out.confirmed = *state == confirmed_state;
  const value* ephemeral = v.find("ephemeral");
  if (ephemeral != nullptr && ephemeral->type() != value::kind::boolean)
    return fail("ephemeral", "expected a bool");
  out.ephemeral = ephemeral != nullptr && ephemeral->as_bool();
  return true;
}

} // namespace

attachments_parse parse_attachments_json(std::string_view text) {
  attachments_parse out;
  auto doc = msg::parse_json(text);
  if (!doc) {
    out.problems.push_back("not valid JSON: " + doc.error_message());
    return out;
  }
  const value* items = doc->is_object() ? doc->find("attachments") : nullptr;
  if (items == nullptr || !items->is_array()) {
    out.problems.push_back("no \"attachments\" array");
    return out;
  }
  const auto& list = items->as_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    attachment_record record;
    std::string problem;
    if (!read_entry(list[i], record, problem)) {
      out.problems.push_back("attachments[" + std::to_string(i) + "]" + problem);
      continue;
    }
    if (out.records.count(record.pid) != 0)
      out.problems.push_back("attachments[" + std::to_string(i) + "]: pid "
                             + std::to_string(record.pid) + " given twice, the later kept");
    out.records[record.pid] = std::move(record);
  }
  return out;
}

} // namespace overlayd::platform
