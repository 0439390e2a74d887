#include "platform/unix_socket_server.hpp"

#include <grp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "messages/frame_codec.hpp"
#include "platform/filesystem.hpp"

namespace overlayd::platform {

namespace {

using clock = std::chrono::steady_clock;

constexpr std::size_t read_buffer_size = 64 * 1024;

// Repeated warnings (a flood of refused connections, accept failing at
// the descriptor limit) are logged at most this often.
constexpr std::chrono::seconds warning_interval{10};

std::string uv_message(const char* what, const std::string& path, int rc) {
  return std::string(what) + "(" + path + "): " + uv_strerror(rc);
}

// True when something accepts connections on `path` (a live daemon).
bool someone_listens_on(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return live;
}

// max_connections, lowered so that fd_reserve descriptors stay free.
std::size_t connection_cap_for(const connection_limits& limits) {
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_cur == RLIM_INFINITY)
    return limits.max_connections;
  auto usable = nofile.rlim_cur > limits.fd_reserve ? nofile.rlim_cur - limits.fd_reserve : 0;
  return std::max<std::size_t>(1, std::min<std::size_t>(limits.max_connections, usable));
}

// How often the deadlines are checked: a quarter of the shortest one, so
// that a deadline is enforced within 25% of its value.
std::chrono::milliseconds sweep_interval_for(const connection_limits& limits) {
  std::chrono::milliseconds shortest{1000 * 4};
  for (auto t : {limits.write_stall_timeout, limits.partial_frame_timeout, limits.idle_timeout})
    if (t.count() > 0)
      shortest = std::min(shortest, t);
  return std::clamp(shortest / 4, std::chrono::milliseconds{10}, std::chrono::milliseconds{1000});
}

// Logs at most once per warning_interval; says how many were left out.
class rate_limited_warning {
public:
  template <class Format>
  void operator()(const Format& text) {
    auto now = clock::now();
    ++suppressed_;
    if (now < next_)
      return;
    if (suppressed_ > 1)
      spdlog::warn("{} ({} times in the last {} s)", text, suppressed_, warning_interval.count());
    else
      spdlog::warn("{}", text);
    suppressed_ = 0;
    next_ = now + warning_interval;
  }

private:
  clock::time_point next_{};
  std::uint64_t suppressed_ = 0;
};

} // namespace

struct outgoing {
  connection_id conn;
  std::string bytes;
  bool answers_request;
  bool close_after;
  bool finishes_frame; // frame_finished(): no bytes
};

struct connection {
  uv_pipe_t pipe; // first member: the handle's address is the connection's
  connection_id id = 0;
  unix_socket_server::impl* server = nullptr;
  // Guarded by impl::mutex. Any thread may write to `fd` directly, under
  // the mutex, while nothing is queued, being written or held back
  // (try_direct), so that bytes of two frames never interleave.
  int fd = -1;
  std::size_t queued = 0;  // entries of impl::queue for this connection
  bool writing = false;    // bytes handed to libuv and not yet written
  bool held_back = false;  // reading stopped by backpressure: answers go
                           // through the loop, which resumes it
  bool overflowed = false; // unwritten passed max_unwritten_bytes
  std::size_t unwritten = 0; // answer bytes queued or in libuv
  clock::time_point write_progress{}; // last time unwritten bytes moved
  // Raised by the loop without the lock (a frame costs no lock), lowered
  // under it.
  std::atomic<std::size_t> in_flight{0};
  // Loop thread only.
  msg::frame_reader reader;
  bool reading = false;
  bool closing = false;
  bool close_after_write = false;
  bool deferred = false;       // a frame handed off; later ones wait
  bool waiting_budget = false; // its next frame waits for large-frame budget
  std::optional<clock::time_point> frame_started; // a partial frame since then
  clock::time_point last_activity{};
  std::size_t writes_outstanding = 0;
  std::string pending; // replies gathered in one wakeup, written together
  bool touched = false; // has answers in the wakeup being handled
};

struct write_request {
  uv_write_t req;
  std::string data;
  connection_id conn;
  unix_socket_server::impl* server;
  bool close_after;
};

struct unix_socket_server::impl {
  unix_socket_server_config config;
  const connection_limits& limits = config.limits;
  std::size_t cap = 0;
  unix_socket_server_callbacks callbacks;
  unix_socket_server_stats stats;
  uv_loop_t loop{};
  uv_pipe_t listener{};
  uv_async_t wakeup{};
  uv_timer_t stop_deadline{};
  uv_timer_t sweeper{};
  bool listener_open = false;
  bool deadline_open = false;
  bool sweeper_open = false;
  bool sweeping = false;      // loop thread
  bool shutting_down = false; // loop thread
  std::thread thread;
  std::mutex mutex;
  std::vector<outgoing> queue; // guarded by mutex
  std::vector<outgoing> batch; // loop thread: the queue taken in one wakeup
  bool stop_requested = false; // guarded by mutex
  bool stopped = false;        // touched only by stop()
  connection_id next_id = 1;
  // Changed only by the loop thread, under mutex; read by the loop thread
  // freely and by other threads under mutex.
  std::unordered_map<connection_id, connection*> connections;
  // Loop thread only. Reads of every connection land here: each is
  // consumed before the next read, so one buffer serves them all and an
  // idle connection costs no read buffer.
  char read_buffer[read_buffer_size];
  // Large-frame budget (loop thread): what each connection holds, by id,
  // so that a deferred frame's reservation outlives a closed connection
  // until its handler is done; and who waits for budget, in order.
  std::unordered_map<connection_id, std::size_t> reservations;
  std::size_t reserved = 0;
  std::deque<connection_id> budget_waiters;
  rate_limited_warning refusal_warning;
  rate_limited_warning accept_warning;

  // -- loop-thread operations ----------------------------------------------------

  connection* find(connection_id id) {
    auto it = connections.find(id);
    return it == connections.end() ? nullptr : it->second;
  }

  void close_connection(connection* c) {
    if (c->closing)
      return;
    c->closing = true;
    {
      // From here on no other thread writes to the fd uv_close releases.
      std::lock_guard<std::mutex> guard(mutex);
      connections.erase(c->id);
    }
    if (!c->deferred)
      release_budget(c->id);
    uv_close(reinterpret_cast<uv_handle_t*>(&c->pipe),
             [](uv_handle_t* h) { delete reinterpret_cast<connection*>(h); });
    --stats.open;
    on_connection_closed();
  }

  void close_with_warning(connection* c, std::atomic<std::uint64_t>& counter,
                          const std::string& why) {
    spdlog::warn("connection {}: {}: closed", c->id, why);
    ++counter;
    close_connection(c);
  }

  void start_reading(connection* c) {
    if (c->reading || c->closing)
      return;
    c->reading = true;
    if (c->reader.buffered() > 0)
      c->frame_started = clock::now(); // the pause was ours, not the client's
    uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->pipe),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* self = reinterpret_cast<connection*>(h)->server;
        *buf = uv_buf_init(self->read_buffer, sizeof(self->read_buffer));
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t*) {
        auto* conn = reinterpret_cast<connection*>(s);
        conn->server->on_read(conn, n);
      });
  }

  void stop_reading(connection* c) {
    if (!c->reading)
      return;
    c->reading = false;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->pipe));
  }

  // Reads while nothing holds the connection back. Backpressure has
  // hysteresis: it holds until in-flight requests and unwritten bytes
  // are both down to half their limits.
  void update_reading(connection* c) {
    if (c->closing)
      return;
    bool held;
    {
      std::lock_guard<std::mutex> guard(mutex);
      std::size_t divisor = c->held_back ? 2 : 1;
      held = c->in_flight >= std::max<std::size_t>(1, limits.max_in_flight / divisor)
             || c->unwritten >= std::max<std::size_t>(1, limits.pause_unwritten_bytes / divisor);
      c->held_back = held;
    }
    if (held || c->deferred || c->waiting_budget || c->close_after_write || shutting_down)
      stop_reading(c);
    else
      start_reading(c);
  }

  void on_read(connection* c, ssize_t n) {
    if (n < 0) {
      // EOF or a broken connection: nothing more will be answered on it.
      close_connection(c);
      return;
    }
    c->last_activity = clock::now();
    if (n > 0 && c->reader.buffered() == 0)
      c->frame_started = c->last_activity;
    c->reader.feed(read_buffer, static_cast<std::size_t>(n));
    process_frames(c);
    update_reading(c);
    ensure_sweeping();
  }

  // Hands on the complete frames buffered, in order, until one is
  // deferred; budgets the next one when it is large.
  void process_frames(connection* c) {
    std::string body;
    std::uint32_t declared = 0;
    while (!c->deferred && !c->closing && !c->close_after_write) {
      auto status = c->reader.next(body, declared);
      if (status == msg::frame_status::too_large) {
        // The body is never read, so the stream cannot be resynchronised:
        // answer, then close this connection only.
        stop_reading(c);
        send_last(c, callbacks.on_oversized(c->id, declared));
        return;
      }
      if (status == msg::frame_status::need_more) {
        budget_next_frame(c);
        return;
      }
      c->frame_started.reset();
      if (c->reader.buffered() > 0)
        c->frame_started = clock::now();
      ++c->in_flight; // before the answer can come back
      if (callbacks.on_frame(c->id, std::move(body)) == frame_handling::deferred)
        c->deferred = true; // its budget is released by frame_finished
      else
        release_budget(c->id);
      body.clear();
    }
  }

  void budget_next_frame(connection* c) {
    std::size_t length = c->reader.pending_length();
    if (length <= limits.large_frame_bytes || reservations.count(c->id) != 0)
      return;
    if (!c->waiting_budget && try_reserve(c->id, length))
      return;
    if (!c->waiting_budget) {
      c->waiting_budget = true;
      budget_waiters.push_back(c->id);
    }
  }

  // A reservation always succeeds when nothing is reserved, so a budget
  // smaller than one frame only serialises large frames.
  bool try_reserve(connection_id id, std::size_t length) {
    if (reserved != 0 && reserved + length > limits.large_frame_budget)
      return false;
    reservations[id] = length;
    reserved += length;
    return true;
  }

  void release_budget(connection_id id) {
    auto it = reservations.find(id);
    if (it == reservations.end())
      return;
    reserved -= it->second;
    reservations.erase(it);
    while (!budget_waiters.empty()) {
      connection* c = find(budget_waiters.front());
      if (c == nullptr || c->closing) {
        budget_waiters.pop_front();
        continue;
      }
      if (!try_reserve(c->id, c->reader.pending_length()))
        return;
      budget_waiters.pop_front();
      c->waiting_budget = false;
      update_reading(c);
    }
  }

  void frame_finished(connection_id id) {
    release_budget(id);
    connection* c = find(id);
    if (c == nullptr)
      return;
    c->deferred = false;
    process_frames(c);
    update_reading(c);
  }

  // The loop's own last words on a connection, then it closes.
  void send_last(connection* c, std::string bytes) {
    {
      std::lock_guard<std::mutex> guard(mutex);
      c->unwritten += bytes.size();
    }
    c->pending += bytes;
    c->close_after_write = true;
    flush(c);
  }

  void flush(connection* c) {
    if (c->pending.empty()) {
      if (c->close_after_write)
        close_connection(c);
      return;
    }
    {
      std::lock_guard<std::mutex> guard(mutex);
      c->writing = true;
    }
    auto* w = new write_request{};
    w->data = std::move(c->pending);
    c->pending.clear();
    w->conn = c->id;
    w->server = this;
    w->close_after = c->close_after_write;
    ++c->writes_outstanding;
    uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
    int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c->pipe), &buf, 1,
                      [](uv_write_t* req, int status) {
                        auto* w = reinterpret_cast<write_request*>(req);
                        w->server->on_written(w, status);
                      });
    if (rc != 0) {
      delete w;
      close_connection(c);
    }
  }

  void on_written(write_request* w, int status) {
    if (connection* c = find(w->conn)) {
      --c->writes_outstanding;
      bool drained = c->writes_outstanding == 0 && c->pending.empty();
      {
        std::lock_guard<std::mutex> guard(mutex);
        c->unwritten -= w->data.size();
        c->write_progress = clock::now();
        if (drained)
          c->writing = false;
      }
      if (status != 0 || w->close_after || (c->close_after_write && drained))
        close_connection(c);
      else
        update_reading(c);
    }
    delete w;
  }

  void on_wakeup() {
    bool stopping;
    {
      std::lock_guard<std::mutex> guard(mutex);
      batch.swap(queue);
      stopping = stop_requested;
      for (auto& out : batch) {
        auto it = connections.find(out.conn);
        if (it == connections.end() || out.finishes_frame)
          continue;
        connection* c = it->second;
        --c->queued;
        // Marked before the lock is released, so that no direct write
        // slips in ahead of bytes that were queued first.
        if (!out.bytes.empty())
          c->writing = true;
        if (out.answers_request && c->in_flight > 0)
          --c->in_flight;
      }
    }
    std::vector<connection*> touched;
    for (auto& out : batch) {
      if (out.finishes_frame) {
        frame_finished(out.conn);
        continue;
      }
      connection* c = find(out.conn);
      if (c == nullptr || c->closing)
        continue; // the client went away; its answer has nowhere to go
      if (!c->touched) {
        c->touched = true;
        touched.push_back(c);
      }
      c->pending += out.bytes;
      if (out.close_after) {
        c->close_after_write = true;
        stop_reading(c);
      }
    }
    batch.clear(); // keeps its capacity for the next wakeup
    for (connection* c : touched) {
      c->touched = false;
      bool overflowed;
      {
        std::lock_guard<std::mutex> guard(mutex);
        overflowed = c->overflowed;
      }
      if (overflowed) {
        close_with_warning(c, stats.closed_not_reading,
                           "more than " + std::to_string(limits.max_unwritten_bytes)
                             + " bytes of answers unread");
        continue;
      }
      flush(c);
      if (c->closing)
        continue;
      release_if_idle(c);
      update_reading(c);
    }
    ensure_sweeping();
    if (stopping)
      shut_down_loop();
  }

  // A connection whose writes all completed at once (or that had nothing
  // to write) may take direct writes again.
  void release_if_idle(connection* c) {
    if (c->closing || c->writes_outstanding != 0 || !c->pending.empty())
      return;
    std::lock_guard<std::mutex> guard(mutex);
    c->writing = false;
  }

  // Writes `out` on the calling thread when the connection has nothing
  // queued and nothing in libuv: the answer then reaches its client without
  // waking the loop. Whatever the socket does not take at once (and every
  // closing write) goes through the loop. Called with `mutex` held.
  bool try_direct(outgoing& out) {
    if (out.close_after)
      return false;
    auto it = connections.find(out.conn);
    if (it == connections.end())
      return true; // the client went away; its answer has nowhere to go
    connection* c = it->second;
    if (c->queued != 0 || c->writing || c->held_back)
      return false;
    if (out.answers_request && c->in_flight > 0)
      --c->in_flight;
    out.answers_request = false;
    std::size_t sent = 0;
    while (sent < out.bytes.size()) {
      ssize_t n = ::send(c->fd, out.bytes.data() + sent, out.bytes.size() - sent,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break; // full or broken: the loop finishes the frame or finds out
      sent += static_cast<std::size_t>(n);
    }
    if (sent == out.bytes.size())
      return true;
    out.bytes.erase(0, sent);
    return false;
  }

  // Queues what try_direct did not write. Called with `mutex` held.
  void enqueue(outgoing out) {
    if (auto it = connections.find(out.conn); it != connections.end()) {
      connection* c = it->second;
      if (!out.finishes_frame)
        ++c->queued;
      if (c->unwritten == 0)
        c->write_progress = clock::now();
      c->unwritten += out.bytes.size();
      if (c->unwritten > limits.max_unwritten_bytes) {
        c->overflowed = true;
        out.bytes.clear(); // the connection closes; keep nothing for it
      }
    }
    queue.push_back(std::move(out));
  }

  // -- deadlines -----------------------------------------------------------------

  // The sweep runs only while some connection has a deadline running, so
  // an idle daemon has no timer wakeups.
  void ensure_sweeping() {
    if (sweeping || shutting_down || !sweeper_open)
      return;
    sweeping = true;
    auto interval = static_cast<std::uint64_t>(sweep_interval_for(limits).count());
    uv_timer_start(
      &sweeper, [](uv_timer_t* t) { static_cast<impl*>(t->data)->sweep(); }, interval, interval);
  }

  void sweep() {
    auto now = clock::now();
    bool watching = false;
    std::vector<std::pair<connection*, std::string>> half_sent, not_reading, idle;
    {
      std::lock_guard<std::mutex> guard(mutex);
      for (auto& [id, c] : connections) {
        if (c->closing)
          continue;
        if (c->reading && c->frame_started) {
          watching = true;
          if (now - *c->frame_started > limits.partial_frame_timeout)
            half_sent.emplace_back(c, "a frame half-sent (" + std::to_string(c->reader.buffered())
                                        + " bytes) for longer than "
                                        + describe(limits.partial_frame_timeout));
        }
        if (c->unwritten > 0) {
          watching = true;
          if (now - c->write_progress > limits.write_stall_timeout)
            not_reading.emplace_back(c, std::to_string(c->unwritten)
                                          + " bytes of answers unread for longer than "
                                          + describe(limits.write_stall_timeout));
        }
        if (limits.idle_timeout.count() > 0) {
          watching = true;
          if (c->in_flight == 0 && c->unwritten == 0 && c->reader.buffered() == 0
              && now - c->last_activity > limits.idle_timeout)
            idle.emplace_back(c, "idle for longer than " + describe(limits.idle_timeout));
        }
      }
    }
    for (auto& [c, why] : half_sent)
      close_with_warning(c, stats.closed_half_sent, why);
    for (auto& [c, why] : not_reading)
      close_with_warning(c, stats.closed_not_reading, why);
    for (auto& [c, why] : idle)
      close_with_warning(c, stats.closed_idle, why);
    if (!watching) {
      sweeping = false;
      uv_timer_stop(&sweeper);
    }
  }

  static std::string describe(std::chrono::milliseconds t) {
    if (t.count() % 1000 == 0)
      return std::to_string(t.count() / 1000) + " s";
    return std::to_string(t.count()) + " ms";
  }

  // -- accepting -------------------------------------------------------------------

  void on_connection(int status) {
    if (status != 0) {
      // At the descriptor limit libuv itself accepts and closes pending
      // connections with a descriptor it keeps in reserve (so the loop
      // does not spin); only what that cannot handle arrives here.
      ++stats.accept_errors;
      accept_warning(std::string("accept(") + config.path + "): " + uv_strerror(status)
                     + "; connections are refused until descriptors are free");
      return;
    }
    auto* c = new connection{};
    c->server = this;
    uv_pipe_init(&loop, &c->pipe, 0);
    if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener),
                  reinterpret_cast<uv_stream_t*>(&c->pipe))
        != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&c->pipe),
               [](uv_handle_t* h) { delete reinterpret_cast<connection*>(h); });
      return;
    }
    c->id = next_id++;
    c->last_activity = clock::now();
    uv_os_fd_t fd = -1;
    uv_fileno(reinterpret_cast<uv_handle_t*>(&c->pipe), &fd);
    // The descriptor limit may change while we run (prlimit): read it each time.
    cap = connection_cap_for(limits);
    bool over_limit = connections.size() >= cap;
    {
      std::lock_guard<std::mutex> guard(mutex);
      c->fd = fd;
      connections.emplace(c->id, c);
    }
    ++stats.open;
    if (over_limit) {
      ++stats.refused_over_limit;
      refusal_warning("connection refused: the limit of " + std::to_string(cap)
                      + " open connections is reached");
      send_last(c, callbacks.on_refused ? callbacks.on_refused(cap) : std::string());
      return;
    }
    ++stats.accepted;
    start_reading(c);
    ensure_sweeping();
  }

  // -- shutdown --------------------------------------------------------------------

  // Stop accepting and reading; answers already queued are still written
  // (the reply to a Shutdown request must reach its client), then every
  // connection closes. A client that does not read gets two seconds.
  void shut_down_loop() {
    shutting_down = true;
    if (listener_open)
      uv_close(reinterpret_cast<uv_handle_t*>(&listener), nullptr);
    listener_open = false;
    if (sweeper_open)
      uv_close(reinterpret_cast<uv_handle_t*>(&sweeper), nullptr);
    sweeper_open = false;
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&wakeup)))
      uv_close(reinterpret_cast<uv_handle_t*>(&wakeup), nullptr);
    std::vector<connection*> all;
    for (auto& entry : connections)
      all.push_back(entry.second);
    for (connection* c : all) {
      stop_reading(c);
      c->close_after_write = true;
      if (c->writes_outstanding == 0)
        close_connection(c);
    }
    if (connections.empty())
      return;
    uv_timer_init(&loop, &stop_deadline);
    stop_deadline.data = this;
    deadline_open = true;
    uv_timer_start(
      &stop_deadline,
      [](uv_timer_t* t) {
        auto* self = static_cast<impl*>(t->data);
        std::vector<connection*> rest;
        for (auto& entry : self->connections)
          rest.push_back(entry.second);
        for (connection* c : rest)
          self->close_connection(c);
      },
      2000, 0);
  }

  // Called whenever a connection is closed: during shutdown the last one
  // also closes the deadline timer, which lets the loop end.
  void on_connection_closed() {
    if (shutting_down && connections.empty() && deadline_open) {
      deadline_open = false;
      uv_close(reinterpret_cast<uv_handle_t*>(&stop_deadline), nullptr);
    }
  }

  // -- set-up ------------------------------------------------------------------

  result<void> bind_socket() {
    const std::string& path = config.path;
    auto parent = parent_directory(path);
    if (!parent.empty()) {
      auto made = make_directories(parent, 0755);
      if (!made)
        return made;
    }
    if (someone_listens_on(path))
      return make_error("listen(" + path + "): another daemon is already answering on this socket");
    ::unlink(path.c_str()); // a stale socket from an earlier run
    int rc = uv_pipe_init(&loop, &listener, 0);
    if (rc != 0)
      return make_error(uv_message("uv_pipe_init", path, rc));
    listener_open = true;
    rc = uv_pipe_bind(&listener, path.c_str());
    if (rc != 0)
      return make_error(uv_message("bind", path, rc));
    listener.data = this;
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener), 128,
                   [](uv_stream_t* s, int status) {
                     static_cast<impl*>(s->data)->on_connection(status);
                   });
    if (rc != 0)
      return make_error(uv_message("listen", path, rc));
    // The main daemon may run as an unprivileged member of group `zlayer`.
    ::chmod(path.c_str(), 0660);
    if (const group* g = ::getgrnam("zlayer"))
      if (::chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0) {
        // Best effort, as the original: the socket still works for root.
      }
    return {};
  }
};

unix_socket_server::unix_socket_server(std::unique_ptr<impl> self) : self_(std::move(self)) {}

unix_socket_server::~unix_socket_server() {
  stop();
}

result<std::unique_ptr<unix_socket_server>>
unix_socket_server::bind(unix_socket_server_config config) {
  auto self = std::make_unique<impl>();
  self->config = std::move(config);
  self->cap = connection_cap_for(self->limits);
  uv_loop_init(&self->loop);
  uv_async_init(&self->loop, &self->wakeup,
                [](uv_async_t* a) { static_cast<impl*>(a->data)->on_wakeup(); });
  self->wakeup.data = self.get();
  uv_timer_init(&self->loop, &self->sweeper);
  self->sweeper.data = self.get();
  self->sweeper_open = true;
  auto bound = self->bind_socket();
  if (!bound) {
    // Close what was opened so the loop can be released cleanly.
    self->shut_down_loop();
    uv_run(&self->loop, UV_RUN_DEFAULT);
    uv_loop_close(&self->loop);
    return bound.err();
  }
  return std::unique_ptr<unix_socket_server>(new unix_socket_server(std::move(self)));
}

void unix_socket_server::run(unix_socket_server_callbacks callbacks) {
  self_->callbacks = std::move(callbacks);
  impl* raw = self_.get();
  self_->thread = std::thread([raw] {
    uv_run(&raw->loop, UV_RUN_DEFAULT);
    uv_loop_close(&raw->loop);
  });
}

void unix_socket_server::send(connection_id conn, std::string bytes, bool answers_request,
                              bool close_after) {
  outgoing out{conn, std::move(bytes), answers_request, close_after, false};
  {
    std::lock_guard<std::mutex> guard(self_->mutex);
    if (self_->stop_requested || self_->try_direct(out))
      return;
    self_->enqueue(std::move(out));
  }
  uv_async_send(&self_->wakeup);
}

void unix_socket_server::frame_finished(connection_id conn) {
  {
    std::lock_guard<std::mutex> guard(self_->mutex);
    if (self_->stop_requested)
      return;
    self_->queue.push_back(outgoing{conn, {}, false, false, true});
  }
  uv_async_send(&self_->wakeup);
}

void unix_socket_server::stop() {
  if (!self_ || self_->stopped)
    return;
  self_->stopped = true;
  {
    std::lock_guard<std::mutex> guard(self_->mutex);
    self_->stop_requested = true;
  }
  uv_async_send(&self_->wakeup);
  if (self_->thread.joinable()) {
    self_->thread.join();
  } else {
    // Bound but never run: release the loop on this thread.
    self_->shut_down_loop();
    uv_run(&self_->loop, UV_RUN_DEFAULT);
    uv_loop_close(&self_->loop);
  }
}

const std::string& unix_socket_server::path() const noexcept {
  return self_->config.path;
}

std::size_t unix_socket_server::connection_cap() const noexcept {
  return self_->cap;
}

const unix_socket_server_stats& unix_socket_server::stats() const noexcept {
  return self_->stats;
}

} // namespace overlayd::platform
