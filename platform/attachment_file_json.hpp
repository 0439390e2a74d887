// attachment_file_json: the JSON form of the attachment records
// (<data dir>/attachments.json), kept apart from the pure data in
// net/attachment_records.hpp so that net/ needs no codec.
//
//   { "version": 1,
//     "attachments": [
//       { "pid": 4242, "service": "web", "service_ip": "10.200.187.130",
//         "global_ip": "10.200.0.2", "ephemeral": false,
//         "isolation_network": "red", "state": "confirmed" } ] }
//
// `global_ip` and `isolation_network` are left out when absent; `state` is
// "intent" (the host change may be half made) or "confirmed".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "net/attachment_records.hpp"

namespace overlayd::platform {

std::string to_attachments_json(const net::attachment_records& records);

struct attachments_parse {
  net::attachment_records records;
  // One line per rejected entry ("attachments[1].service_ip: not an IP
  // address") or one line when the document is unusable.
  std::vector<std::string> problems;
};

// Keeps every good entry; unknown fields are ignored; a pid given twice
// keeps the later entry (a problem).
attachments_parse parse_attachments_json(std::string_view text);

} // namespace overlayd::platform
