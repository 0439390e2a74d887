// request_lanes: mutations of one resource in arrival order, one at a time;
// mutations of different resources side by side; "*" waits for all.
#include <catch2/catch.hpp>

#include "actors/request_lanes.hpp"

using overlayd::request_lanes;
using ids = std::vector<request_lanes::job_id>;

TEST_CASE("lanes: one resource runs its jobs one at a time, in order", "[lanes]") {
  request_lanes lanes;
  auto first = lanes.enqueue({"service:web"});
  auto second = lanes.enqueue({"service:web"});
  CHECK(lanes.startable() == ids{first});
  CHECK(lanes.startable().empty());
  lanes.finish(first);
  CHECK(lanes.startable() == ids{second});
  lanes.finish(second);
  CHECK(lanes.running() == 0);
  CHECK(lanes.queued() == 0);
}

TEST_CASE("lanes: different resources run side by side", "[lanes]") {
  request_lanes lanes;
  auto web = lanes.enqueue({"service:web"});
  auto db = lanes.enqueue({"service:db"});
  auto peers = lanes.enqueue({"global-peers"});
  CHECK(lanes.startable() == ids{web, db, peers});
}

TEST_CASE("lanes: everything waits for '*' and '*' waits for everything", "[lanes]") {
  request_lanes lanes;
  auto web = lanes.enqueue({"service:web"});
  auto global = lanes.enqueue({overlayd::every_resource});
  auto db = lanes.enqueue({"service:db"});
  // db may not overtake the global job queued before it.
  CHECK(lanes.startable() == ids{web});
  lanes.finish(web);
  CHECK(lanes.startable() == ids{global});
  lanes.finish(global);
  CHECK(lanes.startable() == ids{db});
}

TEST_CASE("lanes: a job with two resources waits for both", "[lanes]") {
  request_lanes lanes;
  auto web = lanes.enqueue({"service:web"});
  auto pid = lanes.enqueue({"pid:7"});
  auto attach = lanes.enqueue({"service:web", "pid:7"});
  auto other = lanes.enqueue({"pid:8"});
  CHECK(lanes.startable() == ids{web, pid, other});
  lanes.finish(web);
  CHECK(lanes.startable().empty());
  lanes.finish(pid);
  CHECK(lanes.startable() == ids{attach});
}

TEST_CASE("lanes: a job that names nothing is ordered with every other", "[lanes]") {
  request_lanes lanes;
  auto web = lanes.enqueue({"service:web"});
  auto unnamed = lanes.enqueue({});
  CHECK(lanes.startable() == ids{web});
  lanes.finish(web);
  CHECK(lanes.startable() == ids{unnamed});
  lanes.finish(unnamed);
  lanes.finish(unnamed); // finishing twice changes nothing
  CHECK(lanes.running() == 0);
}
