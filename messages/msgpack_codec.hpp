// msgpack bytes <-> value (DECISIONS.md 1): a msgpack frame carries the same
// document as a JSON one, as maps with string keys, so both codecs share
// the value tree and the binding.
#pragma once

#include <string>
#include <string_view>

#include "messages/document_limits.hpp"
#include "messages/value.hpp"
#include "net/base/result.hpp"

namespace overlayd::msg {

// Exactly one msgpack object; trailing bytes, truncation, non-string map
// keys, bin and ext values, invalid UTF-8 in strings, nesting deeper than
// limits.max_depth and more than limits.max_elements values are errors.
// Memory grows with the bytes actually present, never with a declared
// array or map size.
result<value> parse_msgpack(std::string_view bytes, document_limits limits = {});

// Maps in document order, the smallest integer encodings (as
// msgpack::packer), floats always as float64 (also 1.0, which packer would
// shorten to the integer 1).
std::string to_msgpack(const value& v);

} // namespace overlayd::msg
