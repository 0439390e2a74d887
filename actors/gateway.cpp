#include "actors/gateway.hpp"

#include <spdlog/spdlog.h>

#include <caf/actor_cast.hpp>
#include <caf/actor_companion.hpp>
#include <caf/actor_system.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/scoped_execution_unit.hpp>
#include <caf/send.hpp>

#include <pthread.h>

#include <optional>
#include <vector>

#include "actors/ask.hpp"

namespace overlayd {

namespace {

// Answers requests the coordinator has not answered in time.
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

// How often waiting requests are checked against wait_for::coordinator.
constexpr std::chrono::seconds sweep_interval{5};

std::string framed(const std::string& body) {
  std::string out;
  msg::append_frame(out, body);
  return out;
}

std::string framed_error(std::uint64_t id, const std::string& message, msg::body_codec codec) {
  return framed(msg::encode_response(id, msg::make_error_response(message), codec));
}

caf::actor_companion* as_companion(const caf::actor& handle) {
  return static_cast<caf::actor_companion*>(caf::actor_cast<caf::abstract_actor*>(handle));
}

// Hidden: the actor system does not wait for it when it stops. CAF names
// the spawning thread "companion"; the name is put back so that the daemon
// (its main thread) still shows as itself in ps and top.
caf::actor spawn_companion(caf::actor_system& system) {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  auto companion = system.spawn<caf::actor_companion, caf::hidden>();
  pthread_setname_np(pthread_self(), name);
  return companion;
}

} // namespace

std::string oversized_frame_answer(std::uint32_t declared_len) {
  return framed_error(0,
                      "frame too large: " + std::to_string(declared_len) + " bytes (max "
                        + std::to_string(msg::max_frame_bytes) + ")",
                      msg::body_codec::json);
}

std::string refused_connection_answer(std::size_t max_connections) {
  return framed_error(0,
                      "too many connections: " + std::to_string(max_connections)
                        + " are open (the limit); try again later",
                      msg::body_codec::json);
}

gateway::gateway(caf::actor_system& system, std::shared_ptr<platform::unix_socket_server> server,
                 coordinator_actor coordinator, msg::document_limits limits,
                 std::shared_ptr<request_metrics> metrics, std::function<void()> on_shutdown)
  : server_(std::move(server)), coordinator_(std::move(coordinator)), limits_(limits),
    metrics_(std::move(metrics)), on_shutdown_(std::move(on_shutdown)), companion_(spawn_companion(system)),
    decoder_(std::make_unique<serial_worker>("frame-decoder")) {
  as_companion(companion_)->on_enqueue([this](caf::mailbox_element_ptr m) { on_reply(*m); });
  caf::delayed_anon_send(companion_, sweep_interval, sweep_atom::value);
}

gateway::~gateway() {
  decoder_.reset(); // no decode task runs from here on
  // Replacing the handler waits for an on_reply in progress; later
  // messages are dropped. (actor_companion::disconnect is not in 0.17.6.)
  auto* self = as_companion(companion_);
  self->on_enqueue(nullptr);
  caf::scoped_execution_unit unit{&self->home_system()};
  self->cleanup(caf::make_error(caf::exit_reason::user_shutdown), &unit);
}

platform::frame_handling gateway::on_frame(platform::connection_id conn, std::string body) {
  if (body.size() <= inline_decode_bytes) {
    decode_and_dispatch(conn, body);
    return platform::frame_handling::done;
  }
  decoder_->post([this, conn, body = std::move(body)] {
    decode_and_dispatch(conn, body);
    server_->frame_finished(conn);
  });
  return platform::frame_handling::deferred;
}

void gateway::decode_and_dispatch(platform::connection_id conn, const std::string& body) {
  auto codec = msg::detect_codec(body);
  auto decoded = msg::decode_frame(body, codec, limits_);
  if (!decoded.decoded) {
    // DECISIONS.md 2: answer with what was wrong; the connection stays.
    spdlog::warn("connection {}: undecodable frame: {}", conn,
                 msg::loggable_decode_error(decoded.error));
    metrics_->undecodable();
    server_->send(conn, framed_error(decoded.id, decoded.error, codec), true, false);
    return;
  }
  auto* request = std::get_if<msg::request_frame>(&*decoded.decoded);
  if (request == nullptr) {
    // A response or event sent to the server is ignored (contract 1.6).
    spdlog::warn("connection {}: ignoring a non-request frame", conn);
    server_->send(conn, {}, true, false);
    return;
  }
  // A request as the companion's, as `request(...)` would send it. No CAF
  // timeout: each would wake CAF's clock thread twice per request; the
  // sweep stands in for it.
  auto* self = as_companion(companion_);
  bool is_shutdown = std::holds_alternative<msg::shutdown>(request->request);
  auto now = std::chrono::steady_clock::now();
  caf::message_id mid;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    mid = self->new_request_id(caf::message_priority::normal);
    waiting_.emplace(mid.request_id().integer_value(),
                     waiting_request{conn, request->id, codec, is_shutdown,
                                     request->request.index(), now, now + wait_for::coordinator});
  }
  caf::actor_cast<caf::abstract_actor*>(coordinator_)
    ->enqueue(caf::make_mailbox_element(caf::actor_cast<caf::strong_actor_ptr>(companion_), mid,
                                        {}, std::move(request->request)),
              nullptr);
}

void gateway::on_reply(caf::mailbox_element& reply) {
  const auto& content = reply.content();
  if (content.match_elements<sweep_atom>()) {
    sweep();
    return;
  }
  if (!reply.mid.is_response())
    return;
  std::optional<waiting_request> request;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    auto it = waiting_.find(reply.mid.request_id().integer_value());
    if (it == waiting_.end())
      return; // the sweep answered it already
    request = it->second;
    waiting_.erase(it);
  }
  if (content.match_elements<msg::response>())
    answer(*request, content.get_as<msg::response>(0));
  else if (content.match_elements<caf::error>())
    fail(*request, content.get_as<caf::error>(0));
  else
    fail(*request, caf::make_error(caf::sec::unexpected_response));
}

void gateway::answer(const waiting_request& request, const msg::response& r) {
  metrics_->answered(request.op, !msg::is_error(r),
                     std::chrono::steady_clock::now() - request.arrived);
  bool exiting = request.is_shutdown && !msg::is_error(r);
  server_->send(request.conn, framed(msg::encode_response(request.id, r, request.codec)), true,
                exiting);
  if (exiting && on_shutdown_)
    on_shutdown_();
}

void gateway::fail(const waiting_request& request, const caf::error& e) {
  auto message = from_caf_error(e, "the coordinator", wait_for::coordinator).message;
  spdlog::error("connection {}: request {}: {}", request.conn, request.id, message);
  metrics_->answered(request.op, false, std::chrono::steady_clock::now() - request.arrived);
  server_->send(request.conn, framed_error(request.id, message, request.codec), true, false);
}

void gateway::sweep() {
  std::vector<waiting_request> late;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    auto now = std::chrono::steady_clock::now();
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->second.deadline <= now) {
        late.push_back(it->second);
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& request : late)
    fail(request, caf::make_error(caf::sec::request_timeout));
  caf::delayed_anon_send(companion_, sweep_interval, sweep_atom::value);
}

} // namespace overlayd
