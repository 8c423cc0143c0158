// Note: g++ 12 miscompiles `co_await` inside an if condition (it crashed at run time); every
// awaited value is stored in a local before it is tested.
#include "proxy/session.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <array>
#include <cstring>

#include "base/strings.h"
#include "proxy/chunk_sinks.h"
#include "proxy/exchange/forward.h"
#include "proxy/forward_headers.h"
#include "proxy/http2/h2_connection.h"
#include "proxy/interrupt.h"
#include "proxy/proxy_protocol.h"
#include "proxy/status_text.h"
#include "proxy/worker.h"

namespace gatehouse::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

Session::Session(Worker& worker, tcp::socket socket, SSL* ssl, const tcp::endpoint& peer,
                 std::uint16_t local_port, bool proxy_protocol)
    : worker_(worker),
      client_(std::move(socket)),
      timer_(worker.io()),
      event_(worker.io(), Clock::time_point::max()),
      in_(new char[worker.options().buffer_size]) {
  if (ssl) client_.use_tls(ssl);
  set_client_address(peer.address());
  local_port_ = local_port;
  proxy_protocol_ = proxy_protocol;
  path_.reserve(256);
  head_.reserve(4096);
  worker_.add_session(this);
}

Session::~Session() { worker_.remove_session(this); }

void Session::set_client_address(asio::ip::address address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  client_ip_ = address.to_string();
}

// The header is read exactly, never a byte of what follows it: on a TLS listener the handshake
// reads the socket itself. A load balancer sends the header in one segment, so a peek sees it
// whole and one read takes it; a header in pieces is read as proxy_protocol.h says.
asio::awaitable<bool> Session::read_proxy_header() {
  char* buf = in_.get();
  const std::size_t most = std::min(worker_.options().buffer_size, kMaxProxyV2Header);
  auto [pec, peeked] = co_await client_.socket().async_receive(
      asio::buffer(buf, most), asio::socket_base::message_peek, kTuple);
  if (pec) co_return false;
  ProxyHeader header = parse_proxy_header({buf, peeked});
  std::size_t have = 0;
  if (header.status == ProxyHeaderStatus::kComplete) {
    auto [ec, n] = co_await asio::async_read(client_.socket(), asio::buffer(buf, header.consumed),
                                             kTuple);
    if (ec) co_return false;
  } else {
    for (;;) {
      const std::size_t need = proxy_header_bytes_needed({buf, have});
      if (need == 0 || have + need > most) break;
      auto [ec, n] = co_await asio::async_read(client_.socket(), asio::buffer(buf + have, need),
                                               kTuple);
      if (ec) co_return false;
      have += n;
    }
    header = parse_proxy_header({buf, have});
  }
  if (header.status != ProxyHeaderStatus::kComplete) {
    ++worker_.stats().proxy_headers_refused;  // spec §2: an invalid header aborts the connection
    co_return false;
  }
  if (!header.local) set_client_address(header.source.address());
  co_return true;
}

asio::awaitable<void> Session::start(std::shared_ptr<Session> self) {
  self->deadline_ = self->armed_ = Clock::now() + self->worker_.options().timeouts.idle;
  asio::co_spawn(self->worker_.io(), self->watchdog(self), asio::detached);
  if (self->proxy_protocol_) {
    // Before anything else, TLS included; bounded like a handshake.
    self->set_phase_deadline(Phase::kHandshake, self->worker_.options().timeouts.handshake);
    const bool ok = co_await self->read_proxy_header();
    if (!ok) {
      self->phase_ = Phase::kClosed;
      boost::system::error_code ec;
      self->client_.close(ec);
      self->timer_.cancel();
      co_return;
    }
  }
  if (self->client_.tls()) {
    // TLS writes several small records per exchange (the session ticket, close_notify): with
    // Nagle on, each after the first waits for the client's delayed ACK (40 ms). A setsockopt
    // is nothing beside a handshake.
    self->ensure_nodelay();
    self->set_phase_deadline(Phase::kHandshake, self->worker_.options().timeouts.handshake);
    auto [ec] = co_await self->client_.handshake(asio::ssl::stream_base::server);
    if (!ec) {
      if (self->client_.alpn() == "h2")
        co_await self->run_http2(0);
      else
        co_await self->run();
      // close_notify tells the client the response was not cut short (it matters for a body
      // that ends with the connection); a client that does not answer costs a second at most.
      if (self->client_.is_open() && !self->timed_out_) {
        self->set_phase_deadline(Phase::kResponse, std::chrono::seconds(1));
        auto [shutdown_ec] = co_await self->client_.shutdown();
        (void)shutdown_ec;
      }
    }
  } else {
    co_await self->run();
    if (self->h2c_)
      co_await self->run_http2(self->in_end_);
    else if (self->linger_ && self->client_.is_open() && !self->timed_out_)
      co_await self->linger();
  }
  self->phase_ = Phase::kClosed;
  boost::system::error_code ec;
  self->client_.close(ec);
  self->timer_.cancel();
}

void Session::close_if_idle() {
  if (h2_) {
    h2_->shutdown();
    return;
  }
  if (phase_ == Phase::kIdle || phase_ == Phase::kHandshake) interrupt(client_.socket());
}

// One timer per connection, re-armed lazily: an I/O step only moves deadline_, and the timer
// re-checks it when it fires, so the request path does not touch the timer queue.
asio::awaitable<void> Session::watchdog(std::shared_ptr<Session> self) {
  (void)self;  // held only to keep the session alive while the timer waits
  while (phase_ != Phase::kClosed) {
    timer_.expires_at(armed_ = deadline_);
    co_await timer_.async_wait(kTuple);
    if (phase_ == Phase::kClosed) break;
    if (Clock::now() >= deadline_) {
      on_timeout();
      deadline_ = Clock::now() + std::chrono::hours(24);
    }
  }
}

void Session::set_phase_deadline(Phase phase, std::chrono::milliseconds timeout) {
  phase_ = phase;
  deadline_ = Clock::now() + timeout;
  if (deadline_ < armed_) timer_.cancel();  // the watchdog re-arms for the earlier deadline
}

void Session::set_deadline(Stage stage, std::chrono::milliseconds timeout) {
  switch (stage) {
    case Stage::kConnect: return set_phase_deadline(Phase::kConnect, timeout);
    case Stage::kRequestBody: return set_phase_deadline(Phase::kRequest, timeout);
    case Stage::kResponseHead: return set_phase_deadline(Phase::kUpstreamHead, timeout);
    case Stage::kResponseBody: return set_phase_deadline(Phase::kResponse, timeout);
  }
}

void Session::on_timeout() {
  timed_out_ = true;
  event_.cancel();  // an h2c pod's exchange waits on it
  if (watched_) {
    watched_->cut();
    // Still waiting for the pod: forward() answers 504.
    if (phase_ == Phase::kConnect || phase_ == Phase::kUpstreamHead) return;
  }
  client_failed_ = true;
  interrupt(client_.socket());
}

void Session::ensure_nodelay() {
  if (nodelay_) return;
  nodelay_ = true;
  boost::system::error_code ignored;
  client_.socket().set_option(tcp::no_delay(true), ignored);
}

void Session::compact_input() {
  if (in_start_ == in_end_) {
    in_start_ = in_end_ = 0;
  } else if (in_start_ > 0) {
    std::memmove(in_.get(), in_.get() + in_start_, in_end_ - in_start_);
    in_end_ -= in_start_;
    in_start_ = 0;
  }
}

// After an error reply that closes the connection the client may still be sending (the body of
// a request we refused): closing with unread bytes makes the kernel answer RST, which can
// destroy the reply before the client read it. Half-close, then drop what comes (1 MiB, 2 s at
// most), as nginx's lingering close does.
asio::awaitable<void> Session::linger() {
  boost::system::error_code ignored;
  client_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  set_phase_deadline(Phase::kResponse, std::chrono::seconds(2));
  const std::size_t capacity = worker_.options().buffer_size;
  for (std::size_t dropped = 0; dropped < (1u << 20);) {
    auto [ec, n] = co_await client_.read_some(asio::buffer(in_.get(), capacity));
    if (ec) break;
    dropped += n;
  }
}

asio::awaitable<bool> Session::write_client(std::string_view bytes) {
  auto [ec, n] = co_await client_.write(asio::buffer(bytes));
  // Body timeouts bound each step, not the whole transfer: a 10 GiB body may take minutes.
  deadline_ = Clock::now() + worker_.options().timeouts.body_io;
  if (ec) client_failed_ = true;
  co_return !ec;
}

asio::awaitable<void> Session::run() {
  const ProxyOptions& options = worker_.options();
  const std::size_t capacity = options.buffer_size;
  http1::Limits limits;
  limits.max_head = capacity;
  for (;;) {
    // Read until a whole request head is buffered.
    http1::ParseResult parsed;
    for (;;) {
      // HTTP/2 with prior knowledge (h2c) begins with the preface, not a request.
      bool preface_so_far = false;
      if (in_end_ > in_start_ && requests_ == 0 && in_start_ == 0) {
        const std::size_t n = std::min(in_end_, kHttp2Preface.size());
        preface_so_far = std::string_view(in_.get(), n) == kHttp2Preface.substr(0, n);
        if (preface_so_far && n == kHttp2Preface.size()) {
          h2c_ = true;
          co_return;
        }
      }
      if (in_end_ > in_start_ && !preface_so_far) {
        parsed = http1::parse_request({in_.get() + in_start_, in_end_ - in_start_}, request_,
                                      limits);
        if (parsed.status != http1::ParseStatus::kNeedMore) break;
      }
      if (worker_.draining() && in_start_ == in_end_) co_return;
      compact_input();
      if (in_end_ == capacity) {  // cannot happen within limits; defensive
        co_await reply_now(431, true);
        co_return;
      }
      if (in_start_ == in_end_)
        set_phase_deadline(Phase::kIdle, options.timeouts.idle);
      else if (phase_ != Phase::kRequest)
        set_phase_deadline(Phase::kRequest, options.timeouts.request);
      auto [ec, n] = co_await client_.read_some(
          asio::buffer(in_.get() + in_end_, capacity - in_end_));
      if (ec) co_return;  // closed by the client, or a timeout
      if (phase_ == Phase::kIdle) set_phase_deadline(Phase::kRequest, options.timeouts.request);
      in_end_ += n;
    }
    if (parsed.status == http1::ParseStatus::kError) {
      co_await reply_now(parsed.http_status, true, parsed.reason);
      co_return;
    }
    ++worker_.stats().requests;
    if (requests_++ > 0) ensure_nodelay();
    answering_head_ = request_.method_id == http1::Method::kHead;
    Outcome outcome = co_await handle(parsed.consumed);
    answering_head_ = false;
    if (outcome == Outcome::kClose || worker_.draining()) co_return;
  }
}

asio::awaitable<void> Session::run_http2(std::size_t initial) {
  set_phase_deadline(Phase::kHttp2, std::chrono::hours(24 * 365));  // the connection keeps its own
  ensure_nodelay();  // frames of many streams interleave: none may wait for an ACK
  H2Connection connection(worker_, client_, client_ip_, local_port_, in_.get(),
                          worker_.options().buffer_size);
  h2_ = &connection;
  if (worker_.draining()) connection.shutdown();
  co_await connection.run(initial);
  h2_ = nullptr;
}

asio::awaitable<Session::Outcome> Session::handle(std::size_t head_size) {
  const http1::Request& req = request_;
  in_start_ += head_size;
  body_remaining_ = req.content_length;
  body_decoder_.reset();
  body_done_ = req.body_kind == http1::BodyKind::kNone ||
               (req.body_kind == http1::BodyKind::kContentLength && req.content_length == 0);
  close_ = false;
  chunked_out_ = false;
  if (req.target_form == http1::TargetForm::kAuthority) co_return co_await reply_now(405, true);
  if (req.target_form == http1::TargetForm::kAsterisk) co_return co_await reply_now(404, true);
  describe_request();
  ExchangeRecord record;
  co_await forward(*this, record);
  watched_ = nullptr;
  co_return close_ || client_failed_ || worker_.draining() ? Outcome::kClose : Outcome::kKeepAlive;
}

void Session::describe_request() {
  http1::Request& req = request_;
  using T = http1::HeaderToken;
  RequestHead& x = exchange_;
  x = RequestHead{};
  x.method = req.method;
  x.method_id = req.method_id;
  // RFC 9112 §3.2.2: an absolute-form target's authority replaces Host.
  x.authority = req.target_form == http1::TargetForm::kAbsolute ? req.authority : req.host;
  x.routing_host = req.routing_host;
  x.raw_path = req.path;
  x.query = req.query;
  x.has_query = req.has_query;
  x.expect_continue = req.expect_continue;
  // Only WebSocket is tunnelled: an upgrade to h2c (or anything else) would let the client speak
  // a protocol gatehouse does not parse, past the path rules, to every path of the pod.
  x.upgrade = req.upgrade && http1::list_contains(req.upgrade_protocols, "websocket");
  x.upgrade_protocols = req.upgrade_protocols;
  x.client_tls = client_.tls();
  switch (req.body_kind) {
    case http1::BodyKind::kContentLength:
      x.framing = Framing::kLength;
      x.content_length = req.content_length;
      break;
    case http1::BodyKind::kChunked:
      x.framing = Framing::kStream;
      break;
    default:
      x.framing = Framing::kNone;
  }
  // The end-to-end fields, compacted in place: no copy, no allocation.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < req.headers.count; ++i) {
    const http1::Header& h = req.headers.items[i];
    if (h.token == T::kTe) x.wants_trailers |= http1::list_contains(h.value, "trailers");
    if (h.token == T::kHost || h.token == T::kExpect || h.token == T::kContentLength ||
        http1::is_hop_by_hop(h.token))
      continue;
    if (req.connection.count && h.token == T::kUnknown && req.connection.names(h.name)) continue;
    req.headers.items[kept++] = h;
  }
  req.headers.count = kept;
  x.fields = std::span<const Field>(req.headers.items.data(), kept);
}

Forwarding Session::forwarding() const {
  Forwarding f;
  f.client_ip = client_ip_;
  f.https = client_.tls();
  f.host = exchange_.authority;
  f.port = local_port_;
  f.trusted = &worker_.options().trusted_forwarders;
  return f;
}

void Session::buffered_body(Pieces& out, bool& last) {
  out.clear();
  last = body_done_;
  if (body_done_) return;
  if (request_.body_kind == http1::BodyKind::kContentLength) {
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(body_remaining_, in_end_ - in_start_));
    if (n > 0) out.emplace_back(in_.get() + in_start_, n);
    in_start_ += n;
    body_remaining_ -= n;
    last = body_done_ = body_remaining_ == 0;
    return;
  }
  // Chunked: what is buffered is decoded here; a malformed body shows on the next read_body.
  if (in_end_ == in_start_) return;
  PieceSink sink(out);
  const http1::ChunkedResult r = body_decoder_.feed({in_.get() + in_start_, in_end_ - in_start_},
                                                    sink);
  if (r.status == http1::ChunkedStatus::kError) {
    out.clear();
    return;
  }
  in_start_ += r.consumed;
  last = body_done_ = r.status == http1::ChunkedStatus::kDone;
}

asio::awaitable<BodyStatus> Session::read_body(Pieces& out) {
  out.clear();
  if (body_done_) co_return BodyStatus::kEnd;
  const std::size_t capacity = worker_.options().buffer_size;
  const auto body_io = worker_.options().timeouts.body_io;
  if (request_.body_kind == http1::BodyKind::kContentLength) {
    if (in_start_ == in_end_) {
      in_start_ = in_end_ = 0;
      auto [ec, n] = co_await client_.read_some(asio::buffer(in_.get(), capacity));
      if (ec) {
        client_failed_ = true;
        co_return BodyStatus::kGone;
      }
      in_end_ = n;
      deadline_ = Clock::now() + body_io;
    }
    bool last = false;
    buffered_body(out, last);
    co_return last ? BodyStatus::kEnd : BodyStatus::kMore;
  }
  // Chunked: decode what is buffered; read more until some data or the end comes.
  for (;;) {
    if (in_start_ < in_end_) {
      PieceSink sink(out);
      const http1::ChunkedResult r =
          body_decoder_.feed({in_.get() + in_start_, in_end_ - in_start_}, sink);
      if (r.status == http1::ChunkedStatus::kError) co_return BodyStatus::kError;
      in_start_ += r.consumed;
      if (r.status == http1::ChunkedStatus::kDone) {
        body_done_ = true;
        co_return BodyStatus::kEnd;
      }
      if (!out.empty()) co_return BodyStatus::kMore;
    }
    compact_input();
    if (in_end_ == capacity) co_return BodyStatus::kError;  // a line over the buffer
    auto [ec, n] = co_await client_.read_some(
        asio::buffer(in_.get() + in_end_, capacity - in_end_));
    if (ec) {
      client_failed_ = true;
      co_return BodyStatus::kGone;
    }
    deadline_ = Clock::now() + body_io;
    in_end_ += n;
  }
}

asio::awaitable<bool> Session::send_continue() {
  const bool ok = co_await write_client("HTTP/1.1 100 Continue\r\n\r\n");
  co_return ok;
}

void Session::build_response_head(const ResponseHead& r) {
  head_.clear();
  head_.append("HTTP/1.1 ");
  append_decimal(head_, static_cast<std::uint64_t>(r.status));
  head_ += ' ';
  head_.append(r.reason.empty() ? status_text(r.status) : r.reason);
  head_.append("\r\n");
  for (const Field& f : r.fields) {
    head_.append(f.name);
    head_.append(": ");
    head_.append(f.value);
    head_.append("\r\n");
  }
  const bool http10 = request_.version_minor == 0;
  if (r.status == 101) {
    head_.append("Upgrade: ");
    head_.append(r.upgrade_protocols);
    head_.append("\r\nConnection: upgrade\r\n\r\n");
    return;
  }
  // The framing, from what the pod's side decided; a body of unknown length goes chunked to an
  // HTTP/1.1 client, and to an HTTP/1.0 one until the connection closes.
  if (r.framing == Framing::kLength) {
    head_.append("Content-Length: ");
    append_decimal(head_, r.content_length);
    head_.append("\r\n");
  } else if (chunked_out_) {
    head_.append("Transfer-Encoding: chunked\r\n");
  } else if (r.framing == Framing::kNone) {
    // Without a body: the fields of the body a GET would get (HEAD, 304), else a length of 0
    // where the status has a body, so the client does not wait for the connection to close.
    if (r.describes_length) {
      head_.append("Content-Length: ");
      append_decimal(head_, r.described_length);
      head_.append("\r\n");
    } else if (r.describes_chunked) {
      if (!http10) head_.append("Transfer-Encoding: chunked\r\n");
    } else if (!answering_head_ && r.status >= 200 && r.status != 204 && r.status != 304) {
      head_.append("Content-Length: 0\r\n");
    }
  }
  if (close_)
    head_.append("Connection: close\r\n");
  else if (http10)
    head_.append("Connection: keep-alive\r\n");
  head_.append("\r\n");
}

std::size_t Session::frame_body(bool with_head, const Pieces& pieces, bool last,
                               std::span<const Field> trailers, std::size_t& next) {
  // The head, a chunk line, the pieces, the chunk's end and, last, the terminating chunk with
  // the trailers (the text built after the head, in the same buffer).
  if (!with_head) head_.clear();
  const std::size_t head_end = head_.size();
  const std::size_t size = total_size(pieces);
  std::size_t line_at = 0, line_size = 0;
  if (chunked_out_ && size > 0) {
    line_at = head_.size();
    append_hex(head_, size);
    head_.append("\r\n");
    line_size = head_.size() - line_at;
  }
  tail_at_ = tail_size_ = 0;
  if (chunked_out_ && last) {
    tail_at_ = head_.size();
    head_.append("0\r\n");
    // Trailer fields only for a client that said it takes them (TE: trailers).
    if (exchange_.wants_trailers)
      for (const Field& f : trailers) {
        head_.append(f.name);
        head_.append(": ");
        head_.append(f.value);
        head_.append("\r\n");
      }
    head_.append("\r\n");
    tail_size_ = head_.size() - tail_at_;
  }
  // head_ is final now: views into it are taken only here (appending may have moved it).
  std::size_t used = 0;
  if (head_end > 0) out_[used++] = asio::buffer(head_.data(), head_end);
  if (line_size > 0) out_[used++] = asio::buffer(head_.data() + line_at, line_size);
  next = 0;
  return used + frame_more(pieces, next, used);
}

std::size_t Session::frame_more(const Pieces& pieces, std::size_t& next, std::size_t used) {
  const std::size_t start = used;
  for (; next < pieces.size() && used + 2 < out_.size(); ++next)
    if (pieces[next].size() > 0) out_[used++] = pieces[next];
  if (next == pieces.size()) {
    if (chunked_out_ && total_size(pieces) > 0) out_[used++] = asio::buffer("\r\n", 2);
    if (tail_size_ > 0) out_[used++] = asio::buffer(head_.data() + tail_at_, tail_size_);
  }
  return used - start;
}

asio::awaitable<bool> Session::write_out(std::size_t used) {
  if (used == 0) co_return true;
  auto [ec, n] = co_await client_.write_gathered(out_.data(), used);
  deadline_ = Clock::now() + worker_.options().timeouts.body_io;
  if (ec) client_failed_ = true;
  co_return !ec;
}

asio::awaitable<bool> Session::write_body(const Pieces& pieces, std::size_t used,
                                          std::size_t next) {
  for (;;) {
    const bool ok = co_await write_out(used);
    if (!ok) co_return false;
    if (next == pieces.size()) co_return true;
    // Many pieces (a pod's chunks decoded): the rest a few at a time.
    used = frame_more(pieces, next, 0);
  }
}

asio::awaitable<bool> Session::send_head(const ResponseHead& r, const Pieces& first, bool last,
                                         std::span<const Field> trailers) {
  const bool http10 = request_.version_minor == 0;
  if (r.status != 101) {
    chunked_out_ = r.framing == Framing::kStream && !http10 && !answering_head_;
    // The connection ends after this response when the client asked, when the request body
    // was not read to its end (the pod stopped reading it), or when only the close can end it.
    close_ |= !request_.keep_alive || !body_done_ || worker_.draining() ||
              (r.framing == Framing::kStream && http10);
  }
  build_response_head(r);
  if (r.framing != Framing::kNone && (!last || r.framing == Framing::kStream))
    ensure_nodelay();  // more writes follow: the last small one must not wait for an ACK
  std::size_t next = 0;
  const std::size_t used = frame_body(true, first, last, trailers, next);
  if (next == first.size()) {  // the usual case: one write, no further coroutine
    auto [ec, n] = co_await client_.write_gathered(out_.data(), used);
    deadline_ = Clock::now() + worker_.options().timeouts.body_io;
    if (ec) client_failed_ = true;
    co_return !ec;
  }
  const bool ok = co_await write_body(first, used, next);
  co_return ok;
}

asio::awaitable<bool> Session::send_body(const Pieces& pieces, bool last,
                                         std::span<const Field> trailers) {
  if (pieces.empty() && !(last && chunked_out_)) co_return true;
  std::size_t next = 0;
  const std::size_t used = frame_body(false, pieces, last, trailers, next);
  const bool ok = co_await write_body(pieces, used, next);
  co_return ok;
}

asio::awaitable<void> Session::tunnel(UpstreamConnection& upstream, std::size_t up_start,
                                      std::size_t up_end) {
  close_ = true;
  ensure_nodelay();
  set_phase_deadline(Phase::kTunnel, worker_.options().timeouts.idle);
  // Bytes that arrived with the 101 or behind the request head go first.
  if (up_end > up_start) {
    const bool written =
        co_await write_client({upstream.buffer.get() + up_start, up_end - up_start});
    if (!written) co_return;
  }
  if (in_end_ > in_start_) {
    auto [ec, n] = co_await upstream.write(asio::buffer(in_.get() + in_start_, in_end_ - in_start_));
    if (ec) co_return;
    in_start_ = in_end_ = 0;
  }
  const std::size_t capacity = worker_.options().buffer_size;
  // Moves bytes one way, client to pod or pod to client alike, then half-closes the receiver.
  auto pump = [this, capacity](Transport& from, Transport& to,
                               char* buffer) -> asio::awaitable<void> {
    for (;;) {
      auto [ec, n] = co_await from.read_some(asio::buffer(buffer, capacity));
      if (ec) break;
      deadline_ = Clock::now() + worker_.options().timeouts.idle;
      auto [wec, w] = co_await to.write(asio::buffer(buffer, n));
      if (wec) break;
    }
    boost::system::error_code ignored;
    to.socket().shutdown(tcp::socket::shutdown_send, ignored);
  };
  // Pod → client runs beside; client → pod runs here. Both end when either side closes.
  bool other_done = false;
  asio::co_spawn(worker_.io(),
                 [&, pump]() -> asio::awaitable<void> {
                   co_await pump(upstream, client_, upstream.buffer.get());
                   other_done = true;
                   timer_.cancel();
                 },
                 asio::detached);
  co_await pump(client_, upstream, in_.get());
  while (!other_done) {
    asio::steady_timer wait(worker_.io(), std::chrono::milliseconds(100));
    co_await wait.async_wait(kTuple);
    if (Clock::now() > deadline_) break;
  }
  interrupt(upstream.socket());
  while (!other_done) {  // the pump must not outlive the upstream it reads
    asio::steady_timer wait(worker_.io(), std::chrono::milliseconds(10));
    co_await wait.async_wait(kTuple);
  }
}

asio::awaitable<void> Session::reply(int status, std::string_view detail,
                                     std::string_view location, bool close) {
  // A request body not read to its end leaves the connection's framing unknown.
  close_ |= close || !request_.keep_alive || !body_done_;
  const Outcome outcome = co_await reply_now(status, close_, detail, location);
  if (outcome == Outcome::kClose) close_ = true;
}

asio::awaitable<Session::Outcome> Session::reply_now(int status, bool close,
                                                     std::string_view detail,
                                                     std::string_view location) {
  head_.clear();
  std::string_view text = status_text(status);
  head_.append("HTTP/1.1 ");
  append_decimal(head_, static_cast<std::uint64_t>(status));
  head_ += ' ';
  head_.append(text);
  head_.append("\r\nServer: gatehouse\r\nContent-Type: text/plain; charset=utf-8\r\n");
  if (!location.empty()) {
    head_.append("Location: ");
    head_.append(location);
    head_.append("\r\n");
  }
  std::size_t body_size = 3 + 1 + text.size() + 1 + (detail.empty() ? 0 : detail.size() + 1);
  head_.append("Content-Length: ");
  append_decimal(head_, body_size);
  head_.append(close ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n");
  // A response to HEAD has no body (RFC 9110 §9.3.2); its Content-Length is still the GET's.
  if (!answering_head_) {
    append_decimal(head_, static_cast<std::uint64_t>(status));
    head_ += ' ';
    head_.append(text);
    head_ += '\n';
    if (!detail.empty()) {
      head_.append(detail);
      head_ += '\n';
    }
  }
  ++worker_.stats().responses[status / 100 % 6];
  linger_ |= close && status >= 400;
  set_phase_deadline(Phase::kResponse, worker_.options().timeouts.body_io);
  const bool ok = co_await write_client(head_);
  if (!ok || close) co_return Outcome::kClose;
  co_return Outcome::kKeepAlive;
}

}  // namespace gatehouse::proxy
