// One HTTP/2 client connection (flow f1 spoken as h2 over TLS, or h2c with prior knowledge),
// served with nghttp2; each request stream is forwarded by forward() through its H2Downstream.
//
// Everything runs on the worker's thread. nghttp2 never does I/O: the reader coroutine feeds it
// what the socket delivers (mem_recv), the writer coroutine sends what it produces (mem_send),
// and each request stream runs its own exchange coroutine. nghttp2's callbacks only record
// state and wake coroutines; nothing calls back into nghttp2 from inside a callback.
//
// Bounded memory: a stream's request body waits in a buffer no larger than the stream's flow
// control window, which reopens (WINDOW_UPDATE) only once the pod has taken the bytes; response
// bytes are handed to nghttp2 only as the client's window lets them out, and the pod is read
// again only when they have gone. Abuse limits (options.h Http2Limits) close the connection.
#pragma once

#include <nghttp2/nghttp2.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/forward_headers.h"
#include "proxy/http2/h2_upstream.h"
#include "proxy/transport.h"
#include "proxy/upstream_pool.h"

namespace gatehouse::proxy {

class Worker;
struct Generation;

// The 24 bytes an HTTP/2 client sends first (RFC 9113 §3.4): how a plain listener recognizes h2c.
inline constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

class H2Connection {
 public:
  // `buffer` (of `capacity` bytes) is the session's input buffer, reused for reading.
  H2Connection(Worker& worker, Transport& client, std::string_view client_ip,
               std::uint16_t local_port, char* buffer, std::size_t capacity);
  ~H2Connection();
  H2Connection(const H2Connection&) = delete;
  H2Connection& operator=(const H2Connection&) = delete;

  // Serves the connection until it ends. `initial`: bytes already read from the client (for
  // h2c, the preface and whatever followed it), at the start of `buffer`.
  boost::asio::awaitable<void> run(std::size_t initial);
  // Graceful shutdown: GOAWAY now; the connection ends when its streams have.
  void shutdown();

 private:
  struct Stream;
  using Clock = std::chrono::steady_clock;

  // ---- nghttp2 callbacks (static trampolines in h2_connection.cpp)
  friend struct Callbacks;
  int on_begin_headers(const nghttp2_frame* frame);
  int on_header(const nghttp2_frame* frame, std::string_view name, std::string_view value);
  int on_frame_recv(const nghttp2_frame* frame);
  int on_data_chunk(std::int32_t stream_id, const std::uint8_t* data, std::size_t length);
  int on_stream_close(std::int32_t stream_id, std::uint32_t error_code);
  ssize_t read_body(Stream& stream, std::uint8_t* out, std::size_t length, std::uint32_t* flags);

  // ---- connection
  boost::asio::awaitable<void> reader();
  boost::asio::awaitable<void> writer();
  boost::asio::awaitable<void> sweeper();
  void wake_writer();
  // Stops reading, flushes what nghttp2 still has to send, and ends the connection.
  void close_connection();
  bool count_control_frame();

  // ---- one request (h2_exchange.cpp): the stream's H2Downstream, through forward()
  friend class H2Downstream;
  boost::asio::awaitable<void> exchange(std::shared_ptr<Stream> stream);
  // Answers with gatehouse's own response (404, 502, 308, ...).
  void reply(Stream& s, int status, std::string_view detail = {}, std::string_view location = {});
  // Waits until the stream is woken (data, window, reset, deadline, shutdown).
  boost::asio::awaitable<void> wait(Stream& s);
  // Hands the stream's pending response bytes to nghttp2.
  void resume(Stream& s);
  bool gone(const Stream& s) const;
  // nghttp2's data source callback for every response body: reads the stream's pieces.
  static ssize_t provide(nghttp2_session* session, std::int32_t stream_id, std::uint8_t* buf,
                         std::size_t length, std::uint32_t* flags, nghttp2_data_source* source,
                         void* user_data);

  Worker& worker_;
  Transport& client_;
  std::string_view client_ip_;
  std::uint16_t local_port_;
  char* in_;
  std::size_t capacity_;
  nghttp2_session* session_ = nullptr;

  std::unordered_map<std::int32_t, std::shared_ptr<Stream>> streams_;  // open in nghttp2
  std::size_t live_exchanges_ = 0;      // exchange coroutines still running
  std::size_t detached_exchanges_ = 0;  // ... of those, whose stream is closed (e.g. reset)
  std::string out_;                 // frames waiting for the socket
  boost::asio::steady_timer write_wake_;
  boost::asio::steady_timer done_wake_;  // wakes run() when the writer or an exchange ends
  boost::asio::steady_timer sweep_timer_;
  bool writer_waiting_ = false;
  bool writer_done_ = false;
  bool sweeper_done_ = false;
  bool closing_ = false;   // no more reading; the writer flushes, then the socket closes
  bool calm_down_ = false;  // a flood was seen inside a callback: GOAWAY after mem_recv
  std::uint32_t control_frames_ = 0;
  Clock::time_point control_window_start_;
  Clock::time_point idle_since_;
};

}  // namespace gatehouse::proxy
