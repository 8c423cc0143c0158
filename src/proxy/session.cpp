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
#include "proxy/connect_pod.h"
#include "proxy/forward_headers.h"
#include "proxy/http2/h2_connection.h"
#include "proxy/interrupt.h"
#include "proxy/redirect.h"
#include "proxy/status_text.h"
#include "proxy/upstream_protocol.h"
#include "proxy/worker.h"

namespace gatehouse::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

// Fields gatehouse sets itself, so a client cannot supply them.
bool replaced_by_proxy(http1::HeaderToken t) {
  using T = http1::HeaderToken;
  return t == T::kXForwardedProto || t == T::kXForwardedHost || t == T::kXForwardedPort ||
         t == T::kXRealIp || t == T::kXOriginalForwardedFor;
}

// Methods a request may be sent twice with (RFC 9110 §9.2.2): a stale pooled connection is
// retried only for these.
bool idempotent(http1::Method m) {
  using M = http1::Method;
  return m == M::kGet || m == M::kHead || m == M::kOptions || m == M::kTrace || m == M::kPut ||
         m == M::kDelete;
}

// The method as parse_response needs it (it decides bodies of HEAD and CONNECT responses). A
// static string: the request head's bytes in the input buffer may be overwritten by its body.
std::string_view framing_method(http1::Method m) {
  if (m == http1::Method::kHead) return "HEAD";
  if (m == http1::Method::kConnect) return "CONNECT";
  return "GET";
}

}  // namespace

Session::Session(Worker& worker, tcp::socket socket, SSL* ssl, const tcp::endpoint& peer,
                 std::uint16_t local_port)
    : worker_(worker),
      client_(std::move(socket)),
      timer_(worker.io()),
      in_(new char[worker.options().buffer_size]) {
  if (ssl) client_.use_tls(ssl);
  auto address = peer.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  client_ip_ = address.to_string();
  local_port_ = local_port;
  path_.reserve(256);
  head_.reserve(4096);
  worker_.add_session(this);
}

Session::~Session() { worker_.remove_session(this); }

asio::awaitable<void> Session::start(std::shared_ptr<Session> self) {
  self->deadline_ = self->armed_ = Clock::now() + self->worker_.options().timeouts.idle;
  asio::co_spawn(self->worker_.io(), self->watchdog(self), asio::detached);
  if (self->client_.tls()) {
    // TLS writes several small records per exchange (the session ticket, close_notify): with
    // Nagle on, each after the first waits for the client's delayed ACK (40 ms). A setsockopt
    // is nothing beside a handshake.
    self->ensure_nodelay();
    self->set_deadline(Phase::kHandshake, self->worker_.options().timeouts.handshake);
    auto [ec] = co_await self->client_.handshake(asio::ssl::stream_base::server);
    if (!ec) {
      if (self->client_.alpn() == "h2")
        co_await self->run_http2(0);
      else
        co_await self->run();
      // close_notify tells the client the response was not cut short (it matters for a body
      // that ends with the connection); a client that does not answer costs a second at most.
      if (self->client_.is_open() && !self->timed_out_) {
        self->set_deadline(Phase::kResponse, std::chrono::seconds(1));
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

void Session::set_deadline(Phase phase, std::chrono::milliseconds timeout) {
  phase_ = phase;
  deadline_ = Clock::now() + timeout;
  if (deadline_ < armed_) timer_.cancel();  // the watchdog re-arms for the earlier deadline
}

void Session::on_timeout() {
  timed_out_ = true;
  if (h2_wake_) {  // forward_h2c waits on its event, not on a socket
    h2_wake_->cancel();
    if (phase_ == Phase::kUpstreamHead || phase_ == Phase::kConnect) return;  // answers 504
  }
  if ((phase_ == Phase::kConnect || phase_ == Phase::kUpstreamHead) && upstream_) {
    interrupt(upstream_->socket());  // the request answers 504
    return;
  }
  if (upstream_) interrupt(upstream_->socket());
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
  set_deadline(Phase::kResponse, std::chrono::seconds(2));
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
        co_await reply(431, true);
        co_return;
      }
      if (in_start_ == in_end_)
        set_deadline(Phase::kIdle, options.timeouts.idle);
      else if (phase_ != Phase::kRequest)
        set_deadline(Phase::kRequest, options.timeouts.request);
      auto [ec, n] = co_await client_.read_some(
          asio::buffer(in_.get() + in_end_, capacity - in_end_));
      if (ec) co_return;  // closed by the client, or a timeout
      if (phase_ == Phase::kIdle) set_deadline(Phase::kRequest, options.timeouts.request);
      in_end_ += n;
    }
    if (parsed.status == http1::ParseStatus::kError) {
      co_await reply(parsed.http_status, true, parsed.reason);
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
  set_deadline(Phase::kHttp2, std::chrono::hours(24 * 365));  // the connection keeps its own
  ensure_nodelay();  // frames of many streams interleave: none may wait for an ACK
  H2Connection connection(worker_, client_, client_ip_, local_port_, in_.get(),
                          worker_.options().buffer_size);
  h2_ = &connection;
  if (worker_.draining()) connection.shutdown();
  co_await connection.run(initial);
  h2_ = nullptr;
}

asio::awaitable<Session::Outcome> Session::handle(std::size_t head_size) {
  const ProxyOptions& options = worker_.options();
  const http1::Request& req = request_;
  // Only WebSocket is tunnelled: an upgrade to h2c (or anything else) would let the client speak
  // a protocol gatehouse does not parse, past the path rules, to every path of the pod.
  upgrade_ = req.upgrade && http1::list_contains(req.upgrade_protocols, "websocket");
  if (req.target_form == http1::TargetForm::kAuthority) co_return co_await reply(405, true);
  if (req.target_form == http1::TargetForm::kAsterisk) co_return co_await reply(404, true);
  // The pod receives path_ (build_upstream_head, h1_to_h2c.cpp): the path that is matched.
  if (const routing::PathVerdict verdict =
          routing::normalize_target(req.path, req.query, options.path_policy, path_);
      verdict != routing::PathVerdict::kOk)
    co_return co_await reply(routing::path_refusal_status(verdict), true,
                             routing::path_refusal_reason(verdict));
  const bool has_body = req.body_kind != http1::BodyKind::kNone &&
                        !(req.body_kind == http1::BodyKind::kContentLength &&
                          req.content_length == 0);
  // Before matching: a host with TLS redirects whatever the path (no rule needed), as
  // ingress-nginx does per server.
  if (options.ssl_redirect && !client_.tls() && worker_.certs() &&
      worker_.certs()->has_tls(req.routing_host) && !path_.starts_with(kAcmeChallengePrefix)) {
    https_location(location_, req.routing_host, options.https_port, req.path, req.query,
                   req.has_query);
    in_start_ += head_size;
    co_return co_await reply(308, has_body || !req.keep_alive, {}, location_);
  }

  Generation* generation = worker_.acquire_generation();
  if (!generation) co_return co_await reply(503, true, "no configuration loaded yet");
  struct Release {
    Worker& w;
    Generation* g;
    ~Release() { w.release_generation(g); }
  } release{worker_, generation};

  routing::MatchResult m = generation->table->match(req.routing_host, path_);
  if (m.kind == routing::MatchKind::kNotFound) {
    in_start_ += head_size;
    co_return co_await reply(404, has_body || !req.keep_alive);
  }
  const std::uint32_t cluster = m.cluster_id;
  if (generation->endpoints_of(cluster).empty()) {
    in_start_ += head_size;
    co_return co_await reply(503, has_body || !req.keep_alive, m.cluster->detail);
  }
  const UpstreamProtocol protocol = upstream_protocol(*m.cluster);
  if (protocol == UpstreamProtocol::kH2c)
    co_return co_await forward_h2c(*generation, cluster, head_size);
  co_return co_await forward(*generation, cluster, head_size,
                             protocol == UpstreamProtocol::kHttp1Tls);
}

void Session::build_upstream_head(std::string_view path, const tcp::endpoint& pod) {
  const http1::Request& req = request_;
  head_.clear();
  head_.append(req.method);
  head_ += ' ';
  head_.append(path);
  if (req.has_query) {
    head_ += '?';
    head_.append(req.query);
  }
  head_.append(" HTTP/1.1\r\n");
  const http1::Header* forwarded_for = nullptr;
  const http1::Header* request_id = nullptr;
  for (const http1::Header& h : req.headers) {
    using T = http1::HeaderToken;
    if (h.token == T::kXForwardedFor) {
      forwarded_for = &h;
      continue;
    }
    if (h.token == T::kXRequestId) request_id = &h;
    if (h.token == T::kHost) continue;  // written below
    if (h.token == T::kExpect) continue;  // gatehouse answered 100-continue itself
    if (replaced_by_proxy(h.token)) continue;
    // Framing is written below from what the parser decided (one Content-Length value, or
    // chunked), never copied: "Content-Length: 5, 5" must reach the pod as one value (RFC 9110
    // §8.6). Upgrade is kept only for upgrade requests.
    if (h.token == T::kContentLength) continue;
    if (http1::is_hop_by_hop(h.token) && !(h.token == T::kUpgrade && upgrade_)) continue;
    if (req.connection.count && h.token == T::kUnknown && req.connection.names(h.name)) continue;
    head_.append(h.name);
    head_.append(": ");
    head_.append(h.value);
    head_.append("\r\n");
  }
  head_.append("Host: ");
  if (req.target_form == http1::TargetForm::kAbsolute)
    head_.append(req.authority);  // RFC 9112 §3.2.2: the target's authority replaces Host
  else if (!req.host.empty())
    head_.append(req.host);
  else
    head_.append(pod.address().to_string() + ":" + std::to_string(pod.port()));
  head_.append("\r\n");
  if (req.body_kind == http1::BodyKind::kContentLength) {
    head_.append("Content-Length: ");
    append_decimal(head_, req.content_length);
    head_.append("\r\n");
  } else if (req.body_kind == http1::BodyKind::kChunked) {
    head_.append("Transfer-Encoding: chunked\r\n");
  }
  append_forwarding_fields(head_, forwarding_of(forwarded_for, request_id != nullptr),
                           [this] { return worker_.next_random(); });
  if (upgrade_) head_.append("Connection: upgrade\r\n");
  head_.append("\r\n");
}

Forwarding Session::forwarding_of(const http1::Header* forwarded_for,
                                  bool has_request_id) const {
  const http1::Request& req = request_;
  Forwarding forwarding;
  forwarding.client_ip = client_ip_;
  if (forwarded_for) {
    forwarding.prior_forwarded_for = forwarded_for->value;
    forwarding.has_prior_forwarded_for = true;
  }
  forwarding.https = client_.tls();
  forwarding.host = req.target_form == http1::TargetForm::kAbsolute ? req.authority : req.host;
  forwarding.port = local_port_;
  forwarding.has_request_id = has_request_id;
  forwarding.trusted = &worker_.options().trusted_forwarders;
  return forwarding;
}

void Session::build_response_head(const http1::Response& resp, bool close) {
  head_.clear();
  head_.append("HTTP/1.1 ");
  append_decimal(head_, static_cast<std::uint64_t>(resp.status));
  head_ += ' ';
  head_.append(resp.reason);
  head_.append("\r\n");
  using T = http1::HeaderToken;
  const bool dechunk = request_.version_minor == 0 && resp.body_kind == http1::BodyKind::kChunked;
  // A body this response has: its framing is written below from what the parser decided, so a
  // pod's "Content-Length: 5, 5" goes out as one value and a Content-Length beside chunked
  // (RFC 9112 §6.3) goes not at all. Without a body (HEAD, 304) the pod's fields describe the
  // body a GET would get and are kept, but a Content-Length that came with chunked is not, nor
  // any on a 204 (RFC 9110 §8.6).
  const bool has_body = resp.body_kind != http1::BodyKind::kNone;
  const bool keep_length = !has_body && !resp.had_both && resp.status != 204;
  for (const http1::Header& h : resp.headers) {
    if (h.token == T::kContentLength && !keep_length) continue;
    if (http1::is_hop_by_hop(h.token)) {
      bool keep = (h.token == T::kTransferEncoding && !has_body && request_.version_minor == 1) ||
                  (h.token == T::kUpgrade && resp.status == 101);
      if (!keep) continue;
    }
    if (resp.connection.count && h.token == T::kUnknown && resp.connection.names(h.name)) continue;
    head_.append(h.name);
    head_.append(": ");
    head_.append(h.value);
    head_.append("\r\n");
  }
  if (resp.body_kind == http1::BodyKind::kContentLength) {
    head_.append("Content-Length: ");
    append_decimal(head_, resp.content_length);
    head_.append("\r\n");
  } else if (resp.body_kind == http1::BodyKind::kChunked && !dechunk) {
    head_.append("Transfer-Encoding: chunked\r\n");
  }
  if (resp.status == 101)
    head_.append("Connection: upgrade\r\n");
  else if (close)
    head_.append("Connection: close\r\n");
  else if (request_.version_minor == 0)
    head_.append("Connection: keep-alive\r\n");
  head_.append("\r\n");
}

asio::awaitable<Session::Outcome> Session::forward(Generation& generation, std::uint32_t cluster,
                                                   std::size_t head_size, bool tls) {
  const ProxyOptions& options = worker_.options();
  const auto endpoints = generation.endpoints_of(cluster);
  UpstreamPtr upstream;
  tcp::endpoint pod;
  EndpointState* state = nullptr;  // pod's health and load record in this worker
  std::uint64_t tried = 0;
  bool sent = false;
  bool connect_timed_out = false;  // the last connect attempt failed by timeout
  ConnectResult connect_result = ConnectResult::kConnectFailed;  // of the last attempt

  for (int attempt = 0; attempt < options.connect_attempts + 1 && !sent; ++attempt) {
    int index = worker_.pick_endpoint(generation, cluster, tried);
    if (index < 0) break;
    if (index < 64) tried |= 1ull << index;
    pod = endpoints[static_cast<std::size_t>(index)];
    state = generation.states_of(cluster)[static_cast<std::size_t>(index)];
    upstream = worker_.pool().acquire(pod, tls, Clock::now(), options.timeouts.idle);
    if (upstream) {
      ++worker_.stats().upstream_reuses;
    } else {
      upstream = make_upstream(tcp::socket(worker_.io()),
                                                      options.buffer_size);
      upstream_ = upstream.get();
      set_deadline(Phase::kConnect, options.timeouts.connect);
      connect_result = co_await connect_pod(worker_, *upstream, pod, tls);
      upstream_ = nullptr;
      if (connect_result != ConnectResult::kConnected) {
        worker_.record_failure(*state);
        upstream.reset();
        connect_timed_out = timed_out_;
        timed_out_ = false;
        if (!client_.is_open()) co_return Outcome::kClose;
        continue;  // nothing was sent: safe to try another endpoint
      }
    }
    sent = true;
  }
  if (!upstream) {
    in_start_ += head_size;
    if (connect_timed_out) co_return co_await reply(504, true, "connecting to the pod timed out");
    co_return co_await reply(502, true, connect_failure_detail(connect_result));
  }
  if (request_.expect_continue) {
    const bool ok = co_await write_client("HTTP/1.1 100 Continue\r\n\r\n");
    if (!ok) co_return Outcome::kClose;
  }

  EndpointState& load = *state;
  ++load.active;
  struct Active {
    EndpointState& s;
    ~Active() { --s.active; }
  } active{load};

  // Request head, then the body with its own framing. A pooled connection the pod closed while
  // it sat idle fails before any response byte: a request without a body is then sent once more
  // on a new connection (nothing of it can have been processed).
  build_upstream_head(path_, pod);
  in_start_ += head_size;
  const bool bodyless = request_.body_kind == http1::BodyKind::kNone ||
                        (request_.body_kind == http1::BodyKind::kContentLength &&
                         request_.content_length == 0);
  std::size_t up_start = 0, up_end = 0;
  const std::size_t capacity = options.buffer_size;
  http1::Limits limits;
  limits.max_head = capacity;
  http1::ParseResult parsed;
  bool body_sent = true;
  for (bool retried = false;; retried = true) {
    const bool may_retry =
        !retried && bodyless && upstream->reused && idempotent(request_.method_id);
    upstream_ = upstream.get();
    set_deadline(Phase::kRequest, options.timeouts.body_io);
    // The head and whatever body bytes are already buffered go out in one write.
    std::size_t first = 0;
    if (request_.body_kind == http1::BodyKind::kContentLength)
      first = static_cast<std::size_t>(
          std::min<std::uint64_t>(request_.content_length, in_end_ - in_start_));
    const std::array<asio::const_buffer, 2> out{asio::buffer(head_),
                                                asio::buffer(in_.get() + in_start_, first)};
    auto [wec, written] = co_await upstream->write(out);
    bool stale = false;
    if (wec) {
      if (!may_retry) {
        upstream_ = nullptr;
        worker_.record_failure(load);
        co_return co_await reply(502, true, "the pod closed the connection");
      }
      stale = true;
    } else {
      in_start_ += first;
      request_.content_length -= first;
      const BodyResult body = co_await send_request_body(*upstream);
      if (body == BodyResult::kClientError || body == BodyResult::kClientGone ||
          !client_.is_open()) {
        // The pod got a partial body and waits for the rest: the exchange cannot go on.
        upstream_ = nullptr;
        if (body == BodyResult::kClientError && client_.is_open())
          co_return co_await reply(400, true, "malformed request body");
        co_return Outcome::kClose;
      }
      // kPodFailed: the pod stopped reading; it may still have answered (e.g. 413).
      body_sent = body == BodyResult::kSent;
    }

    // Response head.
    set_deadline(Phase::kUpstreamHead, options.timeouts.header);
    up_start = up_end = 0;
    while (!stale) {
      if (up_end > up_start) {
        parsed = http1::parse_response({upstream->buffer.get() + up_start, up_end - up_start},
                                       response_, limits, framing_method(request_.method_id));
        if (parsed.status == http1::ParseStatus::kComplete && response_.status >= 100 &&
            response_.status < 200 && response_.status != 101) {
          up_start += parsed.consumed;  // interim responses (100, 103) are not forwarded
          continue;
        }
        if (parsed.status != http1::ParseStatus::kNeedMore) break;
      }
      if (up_start > 0) {
        std::memmove(upstream->buffer.get(), upstream->buffer.get() + up_start,
                     up_end - up_start);
        up_end -= up_start;
        up_start = 0;
      }
      auto [ec, n] = co_await upstream->read_response_some(
          asio::buffer(upstream->buffer.get() + up_end, capacity - up_end));
      if (ec) {
        const bool timed_out = timed_out_;
        timed_out_ = false;
        if (!client_.is_open()) {
          upstream_ = nullptr;
          co_return Outcome::kClose;
        }
        if (!timed_out && may_retry && up_end == 0) {
          stale = true;
          break;
        }
        upstream_ = nullptr;
        if (timed_out) co_return co_await reply(504, true, "the pod did not answer in time");
        worker_.record_failure(load);
        co_return co_await reply(502, true, "the pod closed the connection before answering");
      }
      up_end += n;
    }
    if (!stale) break;
    // A stale pooled connection: one more try on a new connection to the same pod.
    upstream = make_upstream(tcp::socket(worker_.io()), capacity);
    upstream_ = upstream.get();
    set_deadline(Phase::kConnect, options.timeouts.connect);
    const ConnectResult reconnected = co_await connect_pod(worker_, *upstream, pod, tls);
    if (reconnected != ConnectResult::kConnected) {
      upstream_ = nullptr;
      timed_out_ = false;
      worker_.record_failure(load);
      if (!client_.is_open()) co_return Outcome::kClose;
      co_return co_await reply(502, true, "could not reconnect to the pod");
    }
  }
  if (parsed.status == http1::ParseStatus::kError) {
    upstream_ = nullptr;
    co_return co_await reply(502, true, parsed.reason);
  }
  Worker::record_success(load);
  up_start += parsed.consumed;

  if (response_.status == 101) {
    if (!upgrade_) {
      upstream_ = nullptr;
      co_return co_await reply(502, true, "the pod switched protocols unasked");
    }
    build_response_head(response_, false);
    ++worker_.stats().responses[1];
    const bool written = co_await write_client(head_);
    if (!written) {
      upstream_ = nullptr;
      co_return Outcome::kClose;
    }
    co_await tunnel(*upstream, up_start, up_end);
    upstream_ = nullptr;
    co_return Outcome::kClose;
  }

  bool close = !request_.keep_alive || !body_sent || worker_.draining() ||
               response_.body_kind == http1::BodyKind::kUntilClose ||
               (request_.version_minor == 0 && response_.body_kind == http1::BodyKind::kChunked);
  build_response_head(response_, close);
  ++worker_.stats().responses[response_.status / 100 % 6];
  set_deadline(Phase::kResponse, options.timeouts.body_io);
  // The head and the body bytes already read go out in one write (one syscall for a small
  // response). Chunked bodies are validated piece by piece in send_response_body instead.
  std::size_t first = 0;
  if (response_.body_kind == http1::BodyKind::kContentLength)
    first = static_cast<std::size_t>(
        std::min<std::uint64_t>(response_.content_length, up_end - up_start));
  else if (response_.body_kind == http1::BodyKind::kUntilClose)
    first = up_end - up_start;
  const std::array<asio::const_buffer, 2> out{
      asio::buffer(head_), asio::buffer(upstream->buffer.get() + up_start, first)};
  auto [hec, head_written] = co_await client_.write(out);
  if (hec) {
    upstream_ = nullptr;
    co_return Outcome::kClose;
  }
  up_start += first;
  if (response_.body_kind == http1::BodyKind::kContentLength) response_.content_length -= first;
  if (response_.body_kind == http1::BodyKind::kChunked ||
      response_.body_kind == http1::BodyKind::kUntilClose || response_.content_length > 0)
    ensure_nodelay();  // more writes follow: the last small one must not wait for an ACK
  bool upstream_clean = false, client_ok = true;
  const bool done = co_await send_response_body(*upstream, up_start, up_end, upstream_clean,
                                                 client_ok);
  upstream_ = nullptr;
  if (done && upstream_clean && body_sent && response_.keep_alive && up_start == up_end)
    worker_.pool().release(pod, std::move(upstream), Clock::now());
  if (!done || !client_ok) co_return Outcome::kClose;
  co_return close ? Outcome::kClose : Outcome::kKeepAlive;
}

asio::awaitable<Session::BodyResult> Session::send_request_body(UpstreamConnection& upstream) {
  const std::size_t capacity = worker_.options().buffer_size;
  const auto body_io = worker_.options().timeouts.body_io;
  const http1::Request& req = request_;
  if (req.body_kind == http1::BodyKind::kContentLength) {
    std::uint64_t remaining = req.content_length;
    while (remaining > 0) {
      if (in_start_ == in_end_) {
        in_start_ = in_end_ = 0;
        auto [ec, n] = co_await client_.read_some(asio::buffer(in_.get(), capacity));
        if (ec) co_return BodyResult::kClientGone;
        in_end_ = n;
        deadline_ = Clock::now() + body_io;
      }
      std::size_t take = static_cast<std::size_t>(
          std::min<std::uint64_t>(remaining, in_end_ - in_start_));
      auto [ec, n] = co_await upstream.write(asio::buffer(in_.get() + in_start_, take));
      if (ec) co_return BodyResult::kPodFailed;
      deadline_ = Clock::now() + body_io;
      in_start_ += take;
      remaining -= take;
    }
    co_return BodyResult::kSent;
  }
  if (req.body_kind == http1::BodyKind::kChunked) {
    http1::ChunkedDecoder decoder;
    NullSink sink;
    for (;;) {
      if (in_start_ < in_end_) {
        http1::ChunkedResult r = decoder.feed({in_.get() + in_start_, in_end_ - in_start_}, sink);
        if (r.status == http1::ChunkedStatus::kError) co_return BodyResult::kClientError;
        if (r.consumed > 0) {
          auto [ec, n] = co_await upstream.write(asio::buffer(in_.get() + in_start_, r.consumed));
          if (ec) co_return BodyResult::kPodFailed;
          deadline_ = Clock::now() + body_io;
          in_start_ += r.consumed;
        }
        if (r.status == http1::ChunkedStatus::kDone) co_return BodyResult::kSent;
      }
      compact_input();
      if (in_end_ == capacity) co_return BodyResult::kClientError;  // a trailer over the buffer
      auto [ec, n] = co_await client_.read_some(
          asio::buffer(in_.get() + in_end_, capacity - in_end_));
      if (ec) co_return BodyResult::kClientGone;
      deadline_ = Clock::now() + body_io;
      in_end_ += n;
    }
  }
  co_return BodyResult::kSent;
}

asio::awaitable<bool> Session::send_response_body(UpstreamConnection& upstream,
                                                   std::size_t& up_start, std::size_t& up_end,
                                                   bool& upstream_clean, bool& client_ok) {
  const std::size_t capacity = worker_.options().buffer_size;
  char* buf = upstream.buffer.get();
  auto refill = [&]() -> asio::awaitable<bool> {
    if (up_start == up_end) up_start = up_end = 0;
    auto [ec, n] = co_await upstream.read_some(asio::buffer(buf + up_end, capacity - up_end));
    if (ec) co_return false;
    up_end += n;
    deadline_ = Clock::now() + worker_.options().timeouts.body_io;
    co_return true;
  };
  switch (response_.body_kind) {
    case http1::BodyKind::kNone:
      upstream_clean = true;
      co_return true;
    case http1::BodyKind::kContentLength: {
      std::uint64_t remaining = response_.content_length;
      while (remaining > 0) {
        if (up_start == up_end) {
          const bool filled = co_await refill();
          if (!filled) co_return false;
        }
        std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining, up_end - up_start));
        const bool written = co_await write_client({buf + up_start, take});
        if (!written) {
          client_ok = false;
          co_return false;
        }
        up_start += take;
        remaining -= take;
      }
      upstream_clean = true;
      co_return true;
    }
    case http1::BodyKind::kUntilClose: {
      for (;;) {
        if (up_start < up_end) {
          const bool written = co_await write_client({buf + up_start, up_end - up_start});
          if (!written) {
            client_ok = false;
            co_return false;
          }
          up_start = up_end;
        }
        const bool filled = co_await refill();
        if (!filled) co_return true;  // the pod's close ends the body
      }
    }
    case http1::BodyKind::kChunked: {
      const bool dechunk = request_.version_minor == 0;
      http1::ChunkedDecoder decoder;
      NullSink null_sink;
      PieceSink piece_sink(pieces_);
      for (;;) {
        if (up_start < up_end) {
          pieces_.clear();
          http1::ChunkedSink& sink = dechunk ? static_cast<http1::ChunkedSink&>(piece_sink)
                                             : static_cast<http1::ChunkedSink&>(null_sink);
          http1::ChunkedResult r = decoder.feed({buf + up_start, up_end - up_start}, sink);
          if (r.status == http1::ChunkedStatus::kError) co_return false;
          if (dechunk) {
            if (!pieces_.empty()) {
              auto [ec, n] = co_await client_.write(pieces_);
              if (ec) {
                client_ok = false;
                co_return false;
              }
            }
          } else if (r.consumed > 0) {
            const bool written = co_await write_client({buf + up_start, r.consumed});
            if (!written) {
              client_ok = false;
              co_return false;
            }
          }
          up_start += r.consumed;
          if (r.status == http1::ChunkedStatus::kDone) {
            upstream_clean = true;
            co_return true;
          }
        }
        if (up_start > 0) {
          std::memmove(buf, buf + up_start, up_end - up_start);
          up_end -= up_start;
          up_start = 0;
        }
        if (up_end == capacity) co_return false;
        const bool filled = co_await refill();
        if (!filled) co_return false;
      }
    }
  }
  co_return false;
}

asio::awaitable<void> Session::tunnel(UpstreamConnection& upstream, std::size_t up_start,
                                      std::size_t up_end) {
  ensure_nodelay();
  set_deadline(Phase::kTunnel, worker_.options().timeouts.idle);
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

asio::awaitable<Session::Outcome> Session::reply(int status, bool close, std::string_view detail,
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
  set_deadline(Phase::kResponse, worker_.options().timeouts.body_io);
  const bool ok = co_await write_client(head_);
  if (!ok || close) co_return Outcome::kClose;
  co_return Outcome::kKeepAlive;
}

}  // namespace gatehouse::proxy
