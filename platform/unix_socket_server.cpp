#include "platform/unix_socket_server.hpp"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "messages/frame_codec.hpp"
#include "platform/filesystem.hpp"

namespace overlayd::platform {

namespace {

constexpr std::size_t read_buffer_size = 64 * 1024;

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

} // namespace

struct outgoing {
  connection_id conn;
  std::string bytes;
  bool answers_request;
  bool close_after;
};

struct connection {
  uv_pipe_t pipe; // first member: the handle's address is the connection's
  connection_id id = 0;
  unix_socket_server::impl* server = nullptr;
  // Guarded by impl::mutex. Any thread may write to `fd` directly, under
  // the mutex, while nothing is queued, being written or paused (try_direct),
  // so that bytes of two frames never interleave.
  int fd = -1;
  std::size_t queued = 0;  // entries of impl::queue for this connection
  bool writing = false;    // bytes handed to libuv and not yet written
  bool paused = false;     // reading stopped until answers catch up
  // Raised by the loop without the lock (a frame costs no lock), lowered
  // under it.
  std::atomic<std::size_t> in_flight{0};
  // Loop thread only.
  msg::frame_reader reader;
  bool reading = false;
  bool closing = false;
  bool close_after_write = false;
  std::size_t writes_outstanding = 0;
  std::string pending; // replies gathered in one wakeup, written together
  char buffer[read_buffer_size];
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
  unix_socket_server_callbacks callbacks;
  uv_loop_t loop{};
  uv_pipe_t listener{};
  uv_async_t wakeup{};
  uv_timer_t stop_deadline{};
  bool listener_open = false;
  bool deadline_open = false;
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

  // -- loop-thread operations ----------------------------------------------------

  void close_connection(connection* c) {
    if (c->closing)
      return;
    c->closing = true;
    {
      // From here on no other thread writes to the fd uv_close releases.
      std::lock_guard<std::mutex> guard(mutex);
      connections.erase(c->id);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&c->pipe),
             [](uv_handle_t* h) { delete reinterpret_cast<connection*>(h); });
    on_connection_closed();
  }

  void start_reading(connection* c) {
    if (c->reading || c->closing)
      return;
    c->reading = true;
    uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->pipe),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* conn = reinterpret_cast<connection*>(h);
        *buf = uv_buf_init(conn->buffer, sizeof(conn->buffer));
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

  void on_read(connection* c, ssize_t n) {
    if (n < 0) {
      // EOF or a broken connection: nothing more will be answered on it.
      close_connection(c);
      return;
    }
    c->reader.feed(c->buffer, static_cast<std::size_t>(n));
    std::string body;
    std::uint32_t declared = 0;
    for (;;) {
      auto status = c->reader.next(body, declared);
      if (status == msg::frame_status::need_more)
        break;
      if (status == msg::frame_status::too_large) {
        // The body is never read, so the stream cannot be resynchronised:
        // answer, then close this connection only.
        stop_reading(c);
        c->pending += callbacks.on_oversized(c->id, declared);
        c->close_after_write = true;
        flush(c);
        return;
      }
      ++c->in_flight; // before the answer can come back
      callbacks.on_frame(c->id, std::move(body));
      body.clear();
    }
    if (c->in_flight < config.max_in_flight_per_connection)
      return;
    // Checked again under the lock: from here on answers go through the
    // loop, which resumes reading.
    std::lock_guard<std::mutex> guard(mutex);
    if (c->in_flight >= config.max_in_flight_per_connection) {
      c->paused = true;
      stop_reading(c);
    }
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
    auto it = connections.find(w->conn);
    if (it != connections.end()) {
      connection* c = it->second;
      --c->writes_outstanding;
      bool drained = c->writes_outstanding == 0 && c->pending.empty();
      if (status != 0 || w->close_after || (c->close_after_write && drained)) {
        close_connection(c);
      } else if (drained) {
        std::lock_guard<std::mutex> guard(mutex);
        c->writing = false;
      }
    }
    delete w;
  }

  void on_wakeup() {
    bool stopping;
    std::vector<connection*> resume;
    {
      std::lock_guard<std::mutex> guard(mutex);
      batch.swap(queue);
      stopping = stop_requested;
      for (auto& out : batch) {
        auto it = connections.find(out.conn);
        if (it == connections.end())
          continue;
        connection* c = it->second;
        --c->queued;
        // Marked before the lock is released, so that no direct write
        // slips in ahead of bytes that were queued first.
        if (!out.bytes.empty())
          c->writing = true;
        if (out.answers_request && c->in_flight > 0) {
          --c->in_flight;
          if (c->paused && c->in_flight < config.max_in_flight_per_connection / 2) {
            c->paused = false;
            resume.push_back(c);
          }
        }
      }
    }
    for (connection* c : resume)
      if (!c->close_after_write)
        start_reading(c);
    std::vector<connection*> touched;
    for (auto& out : batch) {
      auto it = connections.find(out.conn);
      if (it == connections.end())
        continue; // the client went away; its answer has nowhere to go
      connection* c = it->second;
      if (c->pending.empty())
        touched.push_back(c);
      c->pending += out.bytes;
      if (out.close_after) {
        c->close_after_write = true;
        stop_reading(c);
      }
    }
    batch.clear(); // keeps its capacity for the next wakeup
    for (connection* c : touched)
      flush(c);
    for (connection* c : touched)
      release_if_idle(c);
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
    if (c->queued != 0 || c->writing || c->paused)
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

  // Stop accepting and reading; answers already queued are still written
  // (the reply to a Shutdown request must reach its client), then every
  // connection closes. A client that does not read gets two seconds.
  void shut_down_loop() {
    shutting_down = true;
    if (listener_open)
      uv_close(reinterpret_cast<uv_handle_t*>(&listener), nullptr);
    listener_open = false;
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

  void on_connection() {
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
    uv_os_fd_t fd = -1;
    uv_fileno(reinterpret_cast<uv_handle_t*>(&c->pipe), &fd);
    {
      std::lock_guard<std::mutex> guard(mutex);
      c->fd = fd;
      connections.emplace(c->id, c);
    }
    start_reading(c);
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
                     if (status == 0)
                       static_cast<impl*>(s->data)->on_connection();
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
  uv_loop_init(&self->loop);
  uv_async_init(&self->loop, &self->wakeup,
                [](uv_async_t* a) { static_cast<impl*>(a->data)->on_wakeup(); });
  self->wakeup.data = self.get();
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
  outgoing out{conn, std::move(bytes), answers_request, close_after};
  {
    std::lock_guard<std::mutex> guard(self_->mutex);
    if (self_->stop_requested || self_->try_direct(out))
      return;
    if (auto it = self_->connections.find(conn); it != self_->connections.end())
      ++it->second->queued;
    self_->queue.push_back(std::move(out));
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

} // namespace overlayd::platform
