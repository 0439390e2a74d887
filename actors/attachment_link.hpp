// attachment_link: the coordinator's side of the attachments actor. Each
// attach and detach goes there with what of the coordinator's state it
// needs, read when it is forwarded; the coordinator keeps what the answer
// changes of its own state: the service each attachment names (for the
// request lanes), guests as global peers, and the ephemeral last-leaver
// rule, since the service's bridge and overlay are its own.
#pragma once

#include "actors/dedicated_overlay.hpp"

namespace overlayd {

// Answers attach_result, guest_overlay_config or the spec's error.
void forward_attach(coordinator_pointer self, const msg::attach_container& request,
                    response_promise rp);

// Always answers ok, after an ephemeral last leaver's service is torn down.
void forward_detach(coordinator_pointer self, const msg::attach_handle& handle,
                    response_promise rp);

} // namespace overlayd
