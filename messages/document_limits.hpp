// How much a decoded document may hold. A frame's bytes are bounded by the
// frame limit, but what they decode to is not: a msgpack nil is one byte
// and a value in the tree about a hundred, so an 8 MiB array of nils used
// to cost ~0.9 GB and seconds. A request of the contract holds a few dozen
// values; the daemon decodes requests with request_document_limits (its
// --max-document-elements and --max-document-depth flags), which caps the
// tree at a few MiB whatever the frame says.
#pragma once

#include <cstddef>
#include <limits>
#include <string>

namespace overlayd::msg {

// Nesting deeper than this is rejected ("recursion limit exceeded"), as
// serde_json does: 127 nested arrays/objects parse, the 128th does not.
constexpr int max_document_depth = 128;

struct document_limits {
  int max_depth = max_document_depth;
  // Values in the whole tree (scalars, arrays and objects, members'
  // values included); more is "document has more than N values".
  std::size_t max_elements = std::numeric_limits<std::size_t>::max();
};

// The daemon's default for client requests: 65,536 values is about 7 MiB
// of tree at most, and a thousand times what any request needs.
constexpr document_limits request_document_limits{max_document_depth, 65536};

// The error both codecs give: "document has more than <max> values".
std::string too_many_values(std::size_t max);

} // namespace overlayd::msg
