// The connection side of H2Connection: nghttp2 set-up and limits, its callbacks, the reader,
// the writer and the once-a-second sweep. The per-request side is in h2_exchange.cpp.
// g++ 12: awaited values are stored in locals before they are tested (see session.cpp).
#include "proxy/http2/h2_connection.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "base/strings.h"
#include "proxy/http2/fields.h"
#include "proxy/http2/h2_stream.h"
#include "proxy/interrupt.h"
#include "proxy/worker.h"

namespace gatehouse::proxy {

namespace asio = boost::asio;
namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kWriteHighWater = 64 * 1024;  // frames gathered into one socket write
}  // namespace

// nghttp2 calls plain functions; these forward to the connection in user_data.
struct Callbacks {
  static H2Connection& of(void* user_data) { return *static_cast<H2Connection*>(user_data); }

  static int begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    return of(user_data).on_begin_headers(frame);
  }
  static int header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                    std::size_t name_length, const std::uint8_t* value, std::size_t value_length,
                    std::uint8_t, void* user_data) {
    return of(user_data).on_header(
        frame, {reinterpret_cast<const char*>(name), name_length},
        {reinterpret_cast<const char*>(value), value_length});
  }
  static int frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    return of(user_data).on_frame_recv(frame);
  }
  static int data_chunk(nghttp2_session*, std::uint8_t, std::int32_t stream_id,
                        const std::uint8_t* data, std::size_t length, void* user_data) {
    return of(user_data).on_data_chunk(stream_id, data, length);
  }
  static int stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                          void* user_data) {
    return of(user_data).on_stream_close(stream_id, error_code);
  }
};

H2Connection::H2Connection(Worker& worker, Transport& client, std::string_view client_ip,
                           std::uint16_t local_port, char* buffer, std::size_t capacity)
    : worker_(worker),
      client_(client),
      client_ip_(client_ip),
      local_port_(local_port),
      in_(buffer),
      capacity_(capacity),
      write_wake_(worker.io()),
      done_wake_(worker.io()),
      sweep_timer_(worker.io()) {
  const Http2Limits& limits = worker.options().http2;
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_option* option = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0 || nghttp2_option_new(&option) != 0)
    throw std::bad_alloc();
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, Callbacks::begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, Callbacks::header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Callbacks::frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Callbacks::data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Callbacks::stream_close);
  // Request bodies: the window reopens only when the pod has taken the bytes (consume()).
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_option_set_no_closed_streams(option, 1);
  nghttp2_option_set_max_settings(option, limits.max_settings);
  nghttp2_option_set_max_outbound_ack(option, limits.max_outbound_ack);
  nghttp2_option_set_max_deflate_dynamic_table_size(option, 4096);
  nghttp2_option_set_server_fallback_rfc7540_priorities(option, 0);
  // Debian's 1.52 carries these as security backports (CVE-2023-44487, CVE-2024-28182); CMake
  // refuses to build without them.
  nghttp2_option_set_stream_reset_rate_limit(option, limits.reset_burst, limits.resets_per_second);
  nghttp2_option_set_max_continuations(option, limits.max_continuations);
  const int made = nghttp2_session_server_new2(&session_, callbacks, this, option);
  nghttp2_session_callbacks_del(callbacks);
  nghttp2_option_del(option);
  if (made != 0) throw std::bad_alloc();

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(limits.max_header_list)},
      {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, limits.connection_window);
  control_window_start_ = idle_since_ = Clock::now();
}

H2Connection::~H2Connection() { nghttp2_session_del(session_); }

asio::awaitable<void> H2Connection::run(std::size_t initial) {
  if (initial > 0) {
    const ssize_t fed = nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(in_),
                                                 initial);
    if (fed < 0) closing_ = true;
  }
  asio::co_spawn(worker_.io(), writer(), asio::detached);
  asio::co_spawn(worker_.io(), sweeper(), asio::detached);
  if (!closing_) co_await reader();
  close_connection();
  sweep_timer_.cancel();
  // The writer, the sweeper and the exchanges reference this object: wait for all of them.
  while (!writer_done_ || !sweeper_done_ || live_exchanges_ > 0) {
    done_wake_.expires_at(Clock::time_point::max());
    co_await done_wake_.async_wait(kTuple);
  }
}

void H2Connection::shutdown() {
  if (closing_) return;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  wake_writer();
}

asio::awaitable<void> H2Connection::reader() {
  for (;;) {
    auto [ec, n] = co_await client_.read_some(asio::buffer(in_, capacity_));
    if (ec || closing_) co_return;
    const ssize_t fed =
        nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(in_), n);
    if (fed < 0) {
      // A connection error: nghttp2 queued a GOAWAY where the protocol has one (FLOODED has
      // none: the client does not read). Flush and close.
      if (fed != NGHTTP2_ERR_FLOODED) wake_writer();
      co_return;
    }
    if (calm_down_) {
      nghttp2_session_terminate_session(session_, NGHTTP2_ENHANCE_YOUR_CALM);
      co_return;
    }
    wake_writer();
    if (!nghttp2_session_want_read(session_)) co_return;
  }
}

void H2Connection::wake_writer() {
  if (writer_waiting_) write_wake_.cancel();
}

asio::awaitable<void> H2Connection::writer() {
  for (;;) {
    // Gather frames: nghttp2's bytes are valid only until its next call.
    while (out_.size() < kWriteHighWater) {
      const std::uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n <= 0) {
        if (n < 0) closing_ = true;
        break;
      }
      out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
    if (!out_.empty()) {
      auto [ec, n] = co_await client_.write(asio::buffer(out_));
      out_.clear();
      if (ec) break;
      continue;
    }
    const bool wants = nghttp2_session_want_read(session_) || nghttp2_session_want_write(session_);
    if (closing_ || !wants) break;
    writer_waiting_ = true;
    write_wake_.expires_at(Clock::time_point::max());
    co_await write_wake_.async_wait(kTuple);
    writer_waiting_ = false;
  }
  writer_done_ = true;
  close_connection();
  done_wake_.cancel();
}

void H2Connection::close_connection() {
  if (!closing_) closing_ = true;
  if (writer_done_) {
    interrupt(client_.socket());  // the session closes it once the reader is out
  } else {
    wake_writer();  // flushes what is queued (a GOAWAY), then closes
  }
  // Every exchange stops: its pod connection is cut and it is woken.
  for (auto& [id, stream] : streams_) {
    stream->reset = true;
    if (stream->watched) stream->watched->cut();
    stream->wake.cancel();
  }
}

// Once a second: expired stream deadlines, the idle connection, the control-frame budget.
asio::awaitable<void> H2Connection::sweeper() {
  const auto& timeouts = worker_.options().timeouts;
  struct Done {
    H2Connection& c;
    ~Done() {
      c.sweeper_done_ = true;
      c.done_wake_.cancel();
    }
  } done{*this};
  while (!closing_) {
    sweep_timer_.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await sweep_timer_.async_wait(kTuple);
    if (ec || closing_) co_return;
    const auto now = Clock::now();
    for (auto& [id, stream] : streams_) {
      Stream& s = *stream;
      if (now < s.deadline || s.closed) continue;
      s.timed_out = true;
      s.deadline = Clock::time_point::max();
      if (s.watched) s.watched->cut();
      if (s.responded) {
        // Too late for a 504: the response is under way (a client that stopped reading, a pod
        // that stopped sending). The stream ends here, whatever its exchange waits for.
        s.reset = true;
        nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_CANCEL);
      } else if (!s.watched) {
        nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_CANCEL);
      }
      // Otherwise the exchange answers 504 once the interrupted pod read returns.
      s.wake.cancel();
    }
    if (streams_.empty() && live_exchanges_ == 0 && now - idle_since_ >= timeouts.idle) {
      nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
      close_connection();
    }
    wake_writer();
  }
}

// PING, SETTINGS, PRIORITY and empty DATA frames cost the server work and move no request
// forward: past the budget the client is told to calm down and the connection ends.
// WINDOW_UPDATE is not counted: a client reading a long response (a gRPC stream) sends one for
// every few DATA frames, and nghttp2 handles them without allocating.
bool H2Connection::count_control_frame() {
  const Http2Limits& limits = worker_.options().http2;
  const auto now = Clock::now();
  if (now - control_window_start_ >= limits.control_frame_window) {
    control_window_start_ = now;
    control_frames_ = 0;
  }
  if (++control_frames_ > limits.max_control_frames) calm_down_ = true;
  return calm_down_;
}

int H2Connection::on_begin_headers(const nghttp2_frame* frame) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  // Streams whose exchange still runs count, even after the client reset them: resetting
  // streams cannot make the pods do unbounded work (CVE-2023-44487).
  if (streams_.size() + detached_exchanges_ >= worker_.options().http2.max_concurrent_streams ||
      closing_) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                              NGHTTP2_REFUSED_STREAM);
    return 0;
  }
  auto stream = std::make_shared<Stream>(worker_.io().get_executor(), frame->hd.stream_id);
  stream->deadline = Clock::now() + worker_.options().timeouts.request;
  nghttp2_session_set_stream_user_data(session_, frame->hd.stream_id, stream.get());
  streams_.emplace(frame->hd.stream_id, std::move(stream));
  return 0;
}

int H2Connection::on_header(const nghttp2_frame* frame, std::string_view name,
                            std::string_view value) {
  auto* s = static_cast<Stream*>(
      nghttp2_session_get_stream_user_data(session_, frame->hd.stream_id));
  if (!s || frame->hd.type != NGHTTP2_HEADERS || s->headers_done) return 0;  // trailers: dropped
  s->header_bytes += name.size() + value.size() + 32;
  if (s->header_bytes > worker_.options().http2.max_header_list) {
    s->too_large = true;
    s->headers.clear();
    return 0;
  }
  if (s->too_large) return 0;
  if (!name.empty() && name.front() == ':') {
    if (name == ":method") s->method = value;
    else if (name == ":scheme") s->scheme = value;
    else if (name == ":authority") s->authority = value;
    else if (name == ":path") s->path = value;
    return 0;  // nghttp2 has checked the pseudo-header set (RFC 9113 §8.3)
  }
  s->headers.emplace_back(name, value);  // nghttp2 has checked the name is lower-case
  return 0;
}

int H2Connection::on_frame_recv(const nghttp2_frame* frame) {
  switch (frame->hd.type) {
    case NGHTTP2_PING:
    case NGHTTP2_SETTINGS:
      if (!(frame->hd.flags & NGHTTP2_FLAG_ACK)) count_control_frame();
      return 0;
    case NGHTTP2_PRIORITY:
      count_control_frame();
      return 0;
    case NGHTTP2_WINDOW_UPDATE:  // a client receiving a long stream sends many: not counted
      return 0;
    case NGHTTP2_DATA:
      if (frame->hd.length == 0 && !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
        count_control_frame();
      break;
    case NGHTTP2_HEADERS:
      break;
    default:
      return 0;
  }
  auto* s = static_cast<Stream*>(
      nghttp2_session_get_stream_user_data(session_, frame->hd.stream_id));
  if (!s) return 0;
  idle_since_ = Clock::now();
  if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) s->end_stream = true;
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    s->headers_done = true;
    ++live_exchanges_;
    ++worker_.stats().requests;
    auto it = streams_.find(s->id);
    asio::co_spawn(worker_.io(), exchange(it->second), asio::detached);
    return 0;
  }
  s->wake.cancel();
  return 0;
}

int H2Connection::on_data_chunk(std::int32_t stream_id, const std::uint8_t* data,
                                std::size_t length) {
  auto* s = static_cast<Stream*>(nghttp2_session_get_stream_user_data(session_, stream_id));
  if (!s) {
    // A refused or finished stream: its bytes still count against the connection window.
    nghttp2_session_consume_connection(session_, length);
    return 0;
  }
  if (s->discard_body) {
    nghttp2_session_consume(session_, stream_id, length);
    return 0;
  }
  // Within the stream's window: at most 64 KiB wait here.
  s->body.append(reinterpret_cast<const char*>(data), length);
  s->wake.cancel();
  return 0;
}

int H2Connection::on_stream_close(std::int32_t stream_id, std::uint32_t error_code) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return 0;
  Stream& s = *it->second;
  s.closed = true;
  if (error_code != NGHTTP2_NO_ERROR || !s.responded || !s.eof_sent) {
    // Reset (by the client, a limit, or us) before the exchange ended: cut the pod connection.
    s.reset = true;
    if (s.watched) s.watched->cut();
  }
  s.wake.cancel();
  // An exchange still running for a stream that did not end whole may still make the pod work:
  // it counts against new streams. One that ended whole is only finishing its bookkeeping.
  if (s.exchange_running && s.reset) {
    s.detached = true;
    ++detached_exchanges_;
  }
  // Unconsumed request bytes would keep the connection window shut.
  if (!s.body.empty()) nghttp2_session_consume_connection(session_, s.body.size());
  s.body.clear();
  streams_.erase(it);
  idle_since_ = Clock::now();
  return 0;
}

ssize_t H2Connection::provide(nghttp2_session*, std::int32_t, std::uint8_t* buf,
                              std::size_t length, std::uint32_t* flags,
                              nghttp2_data_source* source, void* user_data) {
  return static_cast<H2Connection*>(user_data)->read_body(*static_cast<Stream*>(source->ptr), buf,
                                                          length, flags);
}

ssize_t H2Connection::read_body(Stream& s, std::uint8_t* out, std::size_t length,
                                std::uint32_t* flags) {
  std::size_t n = 0;
  while (n < length && s.piece < s.pieces.size()) {
    asio::const_buffer& p = s.pieces[s.piece];
    const std::size_t take = std::min(length - n, p.size());
    std::memcpy(out + n, p.data(), take);
    n += take;
    p += take;
    if (p.size() == 0) ++s.piece;
  }
  if (s.pieces_drained()) {
    if (s.body_eof) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (!s.trailers.empty()) {
        // The body ends with a HEADERS frame (allowed from inside this callback). HTTP/1.1
        // pods' names may have capitals: lower-cased into the stream's head buffer.
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        std::size_t bytes = 0;
        for (const Field& f : s.trailers) bytes += f.name.size();
        s.head.clear();
        s.head.reserve(bytes);  // no reallocation below: the views stay valid
        std::vector<nghttp2_nv> nv;
        nv.reserve(s.trailers.size());
        for (const Field& f : s.trailers) {
          const std::size_t at = s.head.size();
          for (char c : f.name) s.head += ascii_lower(c);
          nv.push_back(field(std::string_view(s.head).substr(at, f.name.size()), f.value));
        }
        nghttp2_submit_trailer(session_, s.id, nv.data(), nv.size());
      }
      s.eof_sent = true;
      s.wake.cancel();
      return static_cast<ssize_t>(n);
    }
    s.wake.cancel();  // the exchange reads the pod again
    if (n == 0) {
      s.deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
  }
  return static_cast<ssize_t>(n);
}

}  // namespace gatehouse::proxy
