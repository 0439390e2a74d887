#include "messages/document_limits.hpp"

namespace overlayd::msg {

std::string too_many_values(std::size_t max) {
  return "document has more than " + std::to_string(max) + " values";
}

} // namespace overlayd::msg
