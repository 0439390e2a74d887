// JSON text <-> value, behaving like serde_json (contract section 2): the
// original daemon speaks serde_json, so we parse what it accepts, reject
// what it rejects with the same words, and print byte for byte what it
// prints.
#pragma once

#include <string>
#include <string_view>

#include "messages/document_limits.hpp"
#include "messages/value.hpp"
#include "net/base/result.hpp"

namespace overlayd::msg {

// Strict RFC 8259 with serde_json's choices: duplicate keys are kept in
// order (the binder reports them), strings must be valid UTF-8 and \u
// surrogates must pair up, integers without fraction or exponent become
// unsigned_integer (signed_integer when negative; out of u64/i64 range is
// "number out of range"), other numbers floating. Errors read like
// serde_json's: "expected value at line 1 column 1".
// Nesting beyond limits.max_depth and more than limits.max_elements values
// are errors too.
result<value> parse_json(std::string_view text, document_limits limits = {});

// Compact output, exactly serde_json::to_vec: no whitespace, only `"`, `\`
// and control characters escaped, non-ASCII raw, floats in shortest
// round-trip form, non-finite floats as null.
std::string to_json(const value& v);
void append_json(std::string& out, const value& v);

// serde_json's PrettyFormatter: 2-space indent, `"key": value`, `{}` and
// `[]` when empty, no trailing newline.
std::string to_json_pretty(const value& v);

// A float the way serde_json prints it (ryu): "1.0", "0.1", "1e-7",
// "1.5e300", "-0.0"; "NaN" / "inf" / "-inf" for non-finite values (which
// to_json writes as null).
std::string format_float(double d);

// Well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view bytes) noexcept;

} // namespace overlayd::msg
