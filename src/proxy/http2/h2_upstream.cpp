// g++ 12: awaited values are stored in locals before they are tested (see session.cpp).
#include "proxy/http2/h2_upstream.h"

#include "proxy/interrupt.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <cstring>

namespace gatehouse::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kWriteHighWater = 64 * 1024;
}  // namespace

struct UpstreamCallbacks {
  static H2Upstream& of(void* user_data) { return *static_cast<H2Upstream*>(user_data); }
  static H2Upstream::Stream* stream(nghttp2_session* session, std::int32_t id) {
    return static_cast<H2Upstream::Stream*>(nghttp2_session_get_stream_user_data(session, id));
  }

  static int header(nghttp2_session* session, const nghttp2_frame* frame, const std::uint8_t* name,
                    std::size_t name_length, const std::uint8_t* value, std::size_t value_length,
                    std::uint8_t, void*) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    H2Upstream::Stream* s = stream(session, frame->hd.stream_id);
    if (!s) return 0;
    std::string_view n(reinterpret_cast<const char*>(name), name_length);
    std::string_view v(reinterpret_cast<const char*>(value), value_length);
    if (frame->headers.cat == NGHTTP2_HCAT_HEADERS && s->head_done) {
      s->trailers.emplace_back(n, v);
    } else if (n == ":status") {
      int status = 0;
      for (char c : v) status = status * 10 + (c - '0');  // nghttp2 checked: three digits
      s->status = status;
    } else if (frame->headers.cat != NGHTTP2_HCAT_HEADERS) {
      s->headers.emplace_back(n, v);
    }
    return 0;
  }

  static int frame_recv(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      of(user_data).going_away_ = true;
      return 0;
    }
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    H2Upstream::Stream* s = stream(session, frame->hd.stream_id);
    if (!s) return 0;
    if (s->status >= 100 && s->status < 200) {  // interim: wait for the final response
      s->status = 0;
      s->headers.clear();
      return 0;
    }
    s->head_done = true;
    if (s->waker) s->waker->cancel();
    return 0;
  }

  static int data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t id,
                        const std::uint8_t* data, std::size_t length, void*) {
    H2Upstream::Stream* s = stream(session, id);
    if (!s) {
      nghttp2_session_consume_connection(session, length);
      return 0;
    }
    s->incoming.append(reinterpret_cast<const char*>(data), length);  // within the window
    if (s->waker) s->waker->cancel();
    return 0;
  }

  // A frame nghttp2 refused (a stream error the pod caused): the connection is not trusted with
  // new streams.
  static int invalid_frame(nghttp2_session*, const nghttp2_frame*, int, void* user_data) {
    of(user_data).misbehaved_ = true;
    return 0;
  }

  static int stream_close(nghttp2_session*, std::int32_t id, std::uint32_t error_code,
                          void* user_data) {
    H2Upstream& self = of(user_data);
    auto it = self.streams_.find(id);
    if (it == self.streams_.end()) return 0;
    it->second->ended = true;
    it->second->error = error_code;
    if (it->second->waker) it->second->waker->cancel();
    self.streams_.erase(it);
    if (self.streams_.empty()) self.idle_since_ = Clock::now();
    return 0;
  }

  static ssize_t read(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length,
                      std::uint32_t* flags, nghttp2_data_source* source, void*) {
    auto* s = static_cast<H2Upstream::Stream*>(source->ptr);
    const std::size_t n = std::min(length, s->outgoing.size() - s->sent);
    std::memcpy(buf, s->outgoing.data() + s->sent, n);
    s->sent += n;
    if (s->sent == s->outgoing.size()) {
      if (s->body_eof) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        return static_cast<ssize_t>(n);
      }
      if (s->waker) s->waker->cancel();  // the exchange hands over more
      if (n == 0) {
        s->deferred = true;
        return NGHTTP2_ERR_DEFERRED;
      }
    }
    return static_cast<ssize_t>(n);
  }
};

std::shared_ptr<H2Upstream> H2Upstream::create(asio::io_context& io, std::size_t buffer_size) {
  return std::make_shared<H2Upstream>(io, buffer_size);
}

H2Upstream::H2Upstream(asio::io_context& io, std::size_t buffer_size)
    : socket_(io), buffer_(new char[buffer_size]), capacity_(buffer_size), write_wake_(io) {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_option* option = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0 || nghttp2_option_new(&option) != 0)
    throw std::bad_alloc();
  nghttp2_session_callbacks_set_on_header_callback(callbacks, UpstreamCallbacks::header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, UpstreamCallbacks::frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks,
                                                            UpstreamCallbacks::data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks,
                                                         UpstreamCallbacks::stream_close);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks,
                                                               UpstreamCallbacks::invalid_frame);
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_option_set_no_closed_streams(option, 1);
  nghttp2_option_set_max_settings(option, 32);
  nghttp2_option_set_max_continuations(option, 8);
  const int made = nghttp2_session_client_new2(&session_, callbacks, this, option);
  nghttp2_session_callbacks_del(callbacks);
  nghttp2_option_del(option);
  if (made != 0) throw std::bad_alloc();
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, 1 << 20);
  idle_since_ = Clock::now();
}

H2Upstream::~H2Upstream() { nghttp2_session_del(session_); }

asio::awaitable<bool> H2Upstream::connect(const tcp::endpoint& pod,
                                          std::chrono::milliseconds timeout) {
  asio::steady_timer timer(socket_.get_executor(), timeout);
  timer.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) {
      boost::system::error_code ignored;
      socket_.cancel(ignored);  // the connect fails; never close under it (interrupt.h)
    }
  });
  auto [ec] = co_await socket_.async_connect(pod, kTuple);
  timer.cancel();
  if (ec) {
    closed_ = true;
    co_return false;
  }
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  asio::co_spawn(socket_.get_executor(), reader(shared_from_this()), asio::detached);
  asio::co_spawn(socket_.get_executor(), writer(shared_from_this()), asio::detached);
  co_return true;
}

bool H2Upstream::usable() const {
  // want_read is 0 once nghttp2 ended the session itself (a connection error it answered with
  // GOAWAY).
  return !closed_ && !going_away_ && !misbehaved_ && nghttp2_session_want_read(session_) != 0 &&
         nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) >
             streams_.size();
}

std::shared_ptr<H2Upstream::Stream> H2Upstream::open(const std::vector<nghttp2_nv>& fields,
                                                     bool has_body, asio::steady_timer& waker,
                                                     std::shared_ptr<void> owner) {
  if (!usable()) return nullptr;
  auto s = std::make_shared<Stream>();
  s->waker = &waker;
  s->waker_owner = std::move(owner);
  nghttp2_data_provider provider{};
  provider.source.ptr = s.get();
  provider.read_callback = UpstreamCallbacks::read;
  const std::int32_t id = nghttp2_submit_request(session_, nullptr, fields.data(), fields.size(),
                                                 has_body ? &provider : nullptr, s.get());
  if (id < 0) return nullptr;
  s->id = id;
  streams_.emplace(id, s);
  wake_writer();
  return s;
}

void H2Upstream::resume(Stream& s) {
  if (s.deferred && !s.ended) {
    s.deferred = false;
    nghttp2_session_resume_data(session_, s.id);
  }
  wake_writer();
}

void H2Upstream::consume(Stream& s, std::size_t n) {
  if (!s.ended) nghttp2_session_consume(session_, s.id, n);
  else nghttp2_session_consume_connection(session_, n);
  wake_writer();
}

void H2Upstream::cancel(Stream& s) {
  if (s.ended || closed_) return;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_CANCEL);
  // DATA already in flight for it is then expected, not a fault of the pod's.
  if (cancelled_.size() == kRememberedCancels) cancelled_.erase(cancelled_.begin());
  cancelled_.push_back(s.id);
  wake_writer();
}

void H2Upstream::close() {
  if (closed_) return;
  closed_ = true;
  interrupt(socket_);  // the descriptor closes with this object, once reader and writer are out
  wake_writer();
  fail_all();
}

void H2Upstream::retire() {
  retired_ = true;
  if (streams_.empty()) close();
}

void H2Upstream::fail_all() {
  for (auto& [id, s] : streams_) {
    s->ended = true;
    if (!s->error) s->error = NGHTTP2_INTERNAL_ERROR;
    if (s->waker) s->waker->cancel();
  }
  streams_.clear();
}

void H2Upstream::wake_writer() {
  if (writer_waiting_) write_wake_.cancel();
}

bool H2Upstream::feed(const std::uint8_t* bytes, std::size_t n) {
  while (n > 0) {
    std::size_t take;
    if (payload_left_ > 0) {
      take = std::min<std::size_t>(payload_left_, n);
      payload_left_ -= take;
    } else {
      take = std::min(kFrameHeader - header_have_, n);
      std::memcpy(header_ + header_have_, bytes, take);
      header_have_ += take;
      if (header_have_ == kFrameHeader) {
        header_have_ = 0;
        payload_left_ =
            std::uint32_t{header_[0]} << 16 | std::uint32_t{header_[1]} << 8 | header_[2];
        const std::int32_t id = static_cast<std::int32_t>(
            std::uint32_t{header_[5] & 0x7fu} << 24 | std::uint32_t{header_[6]} << 16 |
            std::uint32_t{header_[7]} << 8 | header_[8]);
        // Everything before this frame has been fed: the stream's state is current. DATA for a
        // stream whose response ended (END_STREAM came), and that we did not reset, means the
        // pod does not frame its responses as it should (nghttp2 drops it silently).
        const bool open = nghttp2_session_find_stream(session_, id) != nullptr &&
                          nghttp2_session_get_stream_remote_close(session_, id) == 0;
        if (header_[3] == NGHTTP2_DATA && id != 0 && !open &&
            std::find(cancelled_.begin(), cancelled_.end(), id) == cancelled_.end())
          misbehaved_ = true;
      }
    }
    if (nghttp2_session_mem_recv(session_, bytes, take) < 0) return false;
    bytes += take;
    n -= take;
  }
  return true;
}

asio::awaitable<void> H2Upstream::reader(std::shared_ptr<H2Upstream> self) {
  (void)self;  // keeps the connection alive while it reads
  while (!closed_) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buffer_.get(), capacity_), kTuple);
    if (ec) break;
    if (!feed(reinterpret_cast<const std::uint8_t*>(buffer_.get()), n)) break;
    if (retired_ && streams_.empty()) break;
    wake_writer();
  }
  close();
}

asio::awaitable<void> H2Upstream::writer(std::shared_ptr<H2Upstream> self) {
  (void)self;
  while (!closed_) {
    while (out_.size() < kWriteHighWater) {
      const std::uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n <= 0) break;
      out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
    if (!out_.empty()) {
      auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(out_), kTuple);
      out_.clear();
      if (ec) break;
      continue;
    }
    if (retired_ && streams_.empty()) break;  // the last stream's frames are out
    writer_waiting_ = true;
    write_wake_.expires_at(Clock::time_point::max());
    co_await write_wake_.async_wait(kTuple);
    writer_waiting_ = false;
  }
  close();
}

}  // namespace gatehouse::proxy
