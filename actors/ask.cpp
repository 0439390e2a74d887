#include "actors/ask.hpp"

namespace overlayd {

error from_caf_error(const caf::error& e, const std::string& who,
                     std::chrono::milliseconds timeout) {
  if (e == caf::sec::request_timeout) {
    auto ms = timeout.count();
    auto span = ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
    return make_error(error_code::timeout, who + " did not answer within " + span);
  }
  if (e == caf::sec::request_receiver_down)
    return make_error(error_code::unavailable, who + " is gone");
  return make_error(who + ": " + caf::to_string(e));
}

} // namespace overlayd
