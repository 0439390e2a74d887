// attachment_recovery: the attachments actor's start after a restart or a
// crash. The ipam loaded the records of the last run (and holds their
// addresses as leased); the bridge manager checks them against the host:
// a confirmed record whose veths exist is adopted (back in memory, so its
// detach or the global teardown reverts it), any other is reverted (its
// veths deleted, its record forgotten, its addresses given back). Orders
// that arrive meanwhile wait for the end.
#pragma once

#include <functional>

#include "actors/attachments_state.hpp"

namespace overlayd {

void recover_attachments(attachments_pointer self);

// Runs `order` now, or once the recovery is over.
void when_recovered(attachments_pointer self, std::function<void()> order);

} // namespace overlayd
