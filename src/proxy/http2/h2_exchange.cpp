// The request side of H2Connection: one coroutine per stream routes the request like an
// HTTP/1.1 one (session.cpp) and forwards it to a pod over HTTP/1.1, translating the framing:
// DATA frames become a Content-Length or chunked body, the pod's response head becomes a HEADERS
// frame and its body, whatever its framing, DATA frames.
// g++ 12: awaited values are stored in locals before they are tested (see session.cpp).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <array>
#include <cstring>

#include "base/strings.h"
#include "proxy/chunk_sinks.h"
#include "proxy/forward_headers.h"
#include "proxy/http1/chunked.h"
#include "proxy/http1/parser.h"
#include "proxy/http2/fields.h"
#include "proxy/http2/h2_connection.h"
#include "proxy/http2/h2_stream.h"
#include "routing/path_normalize.h"
#include "proxy/redirect.h"
#include "proxy/status_text.h"
#include "proxy/upstream_protocol.h"
#include "proxy/worker.h"

namespace gatehouse::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

bool idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" ||
         method == "PUT" || method == "DELETE";
}

// Fields of the client's request that the upstream request does not carry as they are.
bool dropped_request_field(std::string_view name) {
  return name == "host" || name == "cookie" || name == "expect" || name == "te" ||
         name == "content-length" || is_forwarding_field(name);
}

}  // namespace

bool H2Connection::gone(const Stream& s) const { return s.reset || closing_; }

bool H2Connection::declares_length(const Stream& s) {
  for (const auto& [name, value] : s.headers)
    if (name == "content-length") return true;
  return false;
}

asio::awaitable<void> H2Connection::wait(Stream& s) {
  auto [ec] = co_await s.wake.async_wait(kTuple);
  (void)ec;  // cancelled: woken
}

void H2Connection::resume(Stream& s) {
  if (s.deferred) {
    s.deferred = false;
    nghttp2_session_resume_data(session_, s.id);
  }
  wake_writer();
}

asio::awaitable<void> H2Connection::exchange(std::shared_ptr<Stream> stream) {
  Stream& s = *stream;
  s.exchange_running = true;
  co_await route(s);
  // The response body nghttp2 still reads points into buffers of this exchange or the stream:
  // wait until the end of it has been taken (or the stream is gone).
  while (s.responded && !s.eof_sent && !gone(s) && !s.closed) co_await wait(s);
  if (!s.eof_sent) {
    // Cut short: the pieces may point into buffers the forwarding just freed, and the stream
    // may still be asked for data while the connection flushes its last frames.
    s.pieces.clear();
    s.piece = 0;
    s.body_eof = false;  // never an END_STREAM that would pass a truncated body as whole
    s.trailers = nullptr;
  }
  // Answered before the client finished sending: its remaining DATA is dropped (and counted
  // back into the windows), so the stream can end.
  if (!s.end_stream && !s.closed) {
    s.discard_body = true;
    if (!s.body.empty()) nghttp2_session_consume(session_, s.id, s.body.size());
    s.body.clear();
  }
  s.exchange_running = false;
  if (s.closed) --detached_exchanges_;
  --live_exchanges_;
  wake_writer();
  done_wake_.cancel();
}

asio::awaitable<void> H2Connection::route(Stream& s) {
  const ProxyOptions& options = worker_.options();
  if (s.too_large) co_return reply(s, 431);
  if (s.method == "CONNECT") co_return reply(s, 405);  // no extended CONNECT (WebSocket) yet
  if (s.path.empty() || s.path.front() != '/') co_return reply(s, 404);  // OPTIONS *
  std::string_view host = s.authority;
  if (host.empty())
    for (const auto& [name, value] : s.headers)
      if (name == "host") host = value;
  const std::size_t question = s.path.find('?');
  const std::string_view raw_path = std::string_view(s.path).substr(0, question);
  const std::string_view query =
      question == std::string::npos ? std::string_view() : std::string_view(s.path).substr(question + 1);
  std::string path;
  if (const routing::PathVerdict verdict =
          routing::normalize_target(raw_path, query, options.path_policy, path);
      verdict != routing::PathVerdict::kOk)
    co_return reply(s, routing::path_refusal_status(verdict), routing::path_refusal_reason(verdict));
  if (options.ssl_redirect && !client_.tls() && worker_.certs() && worker_.certs()->has_tls(host) &&
      !path.starts_with(kAcmeChallengePrefix)) {
    std::string location;
    https_location(location, host, options.https_port, raw_path, query, question != std::string::npos);
    co_return reply(s, 308, {}, location);
  }
  // From here on s.path is what the pod receives, whatever its protocol: the normalized path that
  // is matched below, with the query untouched.
  const std::size_t path_length = path.size();
  if (question != std::string::npos) {
    path += '?';
    path.append(query);
  }
  s.path.swap(path);  // `raw_path` and `query` point into the old one: not used below
  const std::string_view matched = std::string_view(s.path).substr(0, path_length);
  Generation* generation = worker_.acquire_generation();
  if (!generation) co_return reply(s, 503, "no configuration loaded yet");
  struct Release {
    Worker& w;
    Generation* g;
    ~Release() { w.release_generation(g); }
  } release{worker_, generation};
  routing::MatchResult m = generation->table->match(host, matched);
  if (m.kind == routing::MatchKind::kNotFound) co_return reply(s, 404);
  if (generation->endpoints_of(m.cluster_id).empty())
    co_return reply(s, 503, m.cluster->detail);
  switch (upstream_protocol(*m.cluster)) {
    case UpstreamProtocol::kHttp1:
      co_await forward(s, *generation, m.cluster_id, false);
      break;
    case UpstreamProtocol::kHttp1Tls:
      co_await forward(s, *generation, m.cluster_id, true);
      break;
    case UpstreamProtocol::kH2c:
      co_await forward_h2c(s, *generation, m.cluster_id);
      break;
  }
}

void H2Connection::reply(Stream& s, int status, std::string_view detail,
                         std::string_view location) {
  if (s.responded || s.closed) return;
  const std::string_view text = status_text(status);
  s.local_body.clear();
  append_decimal(s.local_body, static_cast<std::uint64_t>(status));
  s.local_body += ' ';
  s.local_body.append(text);
  s.local_body += '\n';
  if (!detail.empty()) {
    s.local_body.append(detail);
    s.local_body += '\n';
  }
  char status_digits[4];
  std::snprintf(status_digits, sizeof status_digits, "%03d", status);
  std::string length;
  append_decimal(length, s.local_body.size());
  std::array<nghttp2_nv, 5> nv{field(":status", status_digits), field("server", "gatehouse"),
                               field("content-type", "text/plain; charset=utf-8"),
                               field("content-length", length), field("location", location)};
  s.pieces.assign(1, asio::buffer(s.local_body));
  s.piece = 0;
  s.body_eof = true;
  nghttp2_data_provider provider{};
  provider.source.ptr = &s;
  provider.read_callback = &H2Connection::provide;
  const bool head = s.method == "HEAD";
  nghttp2_submit_response(session_, s.id, nv.data(), location.empty() ? 4 : 5,
                          head ? nullptr : &provider);
  if (head) s.eof_sent = true;
  s.responded = true;
  ++worker_.stats().responses[status / 100 % 6];
  wake_writer();
}

Forwarding H2Connection::forwarding_of(const Stream& s) const {
  Forwarding f;
  f.trusted = &worker_.options().trusted_forwarders;
  f.client_ip = client_ip_;
  f.https = client_.tls();
  f.host = s.authority;
  f.port = local_port_;
  for (const auto& [name, value] : s.headers) {
    if (name == "host" && s.authority.empty()) f.host = value;
    if (name == "x-forwarded-for") {
      f.prior_forwarded_for = value;
      f.has_prior_forwarded_for = true;
    }
    f.has_request_id |= name == "x-request-id";
  }
  return f;
}

void H2Connection::build_upstream_head(Stream& s, const tcp::endpoint& pod, bool chunked) {
  std::string& head = s.head;
  head.clear();
  head.append(s.method);
  head += ' ';
  head.append(s.path);
  head.append(" HTTP/1.1\r\n");
  const Forwarding forwarding = forwarding_of(s);
  const std::string_view host = forwarding.host;
  bool has_cookie = false;
  for (const auto& [name, value] : s.headers) {
    has_cookie |= name == "cookie";
    if (dropped_request_field(name)) continue;
    head.append(name);
    head.append(": ");
    head.append(value);
    head.append("\r\n");
  }
  // HTTP/2 may split cookies into several fields; HTTP/1.1 wants one (RFC 9113 §8.2.3).
  if (has_cookie) {
    head.append("cookie: ");
    bool first = true;
    for (const auto& [name, value] : s.headers) {
      if (name != "cookie") continue;
      if (!first) head.append("; ");
      head.append(value);
      first = false;
    }
    head.append("\r\n");
  }
  head.append("Host: ");
  if (!host.empty())
    head.append(host);
  else
    head.append(pod.address().to_string() + ":" + std::to_string(pod.port()));
  head.append("\r\n");
  // The body's framing: its length when the whole body is here (or the client declared it),
  // else chunked.
  std::string_view declared;
  for (const auto& [name, value] : s.headers)
    if (name == "content-length") declared = value;
  if (!declared.empty()) {
    head.append("Content-Length: ");
    head.append(declared);
    head.append("\r\n");
  } else if (chunked) {
    head.append("Transfer-Encoding: chunked\r\n");
  } else if (!s.body.empty() || (s.method != "GET" && s.method != "HEAD")) {
    head.append("Content-Length: ");
    append_decimal(head, s.body.size());
    head.append("\r\n");
  }
  append_forwarding_fields(head, forwarding, [this] { return worker_.next_random(); });
  head.append("\r\n");
}

asio::awaitable<ConnectResult> H2Connection::connect(
    Stream& s, UpstreamPtr& upstream, const tcp::endpoint& pod, bool tls,
    bool& timed_out) {
  const ProxyOptions& options = worker_.options();
  upstream = make_upstream(tcp::socket(worker_.io()), options.buffer_size);
  s.upstream = upstream.get();
  s.deadline = Clock::now() + options.timeouts.connect;
  const ConnectResult result = co_await connect_pod(worker_, *upstream, pod, tls);
  s.upstream = nullptr;
  timed_out = s.timed_out;
  s.timed_out = false;
  if (result != ConnectResult::kConnected) upstream.reset();
  co_return result;
}

// GCC 12 wrongly reports Asio's coroutine-frame operator delete as mismatched with its operator
// new in this function (GCC bug 109224, a false positive with class-specific allocation
// functions of coroutine frames).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<void> H2Connection::forward(Stream& s, Generation& generation,
                                            std::uint32_t cluster, bool tls) {
  const ProxyOptions& options = worker_.options();
  const auto endpoints = generation.endpoints_of(cluster);
  UpstreamPtr upstream;
  // s.upstream lets the sweeper and a reset cut the pod connection: never left dangling.
  struct Forget {
    Stream& s;
    ~Forget() { s.upstream = nullptr; }
  } forget{s};
  tcp::endpoint pod;
  EndpointState* state = nullptr;
  std::uint64_t tried = 0;
  bool connect_timed_out = false;
  ConnectResult connect_result = ConnectResult::kConnectFailed;
  for (int attempt = 0; attempt < options.connect_attempts + 1; ++attempt) {
    const int index = worker_.pick_endpoint(generation, cluster, tried);
    if (index < 0) break;
    if (index < 64) tried |= 1ull << index;
    pod = endpoints[static_cast<std::size_t>(index)];
    state = generation.states_of(cluster)[static_cast<std::size_t>(index)];
    upstream = worker_.pool().acquire(pod, tls, Clock::now(), options.timeouts.idle);
    if (upstream) {
      ++worker_.stats().upstream_reuses;
      break;
    }
    connect_result = co_await connect(s, upstream, pod, tls, connect_timed_out);
    if (gone(s)) co_return;
    if (connect_result == ConnectResult::kConnected) break;
    worker_.record_failure(*state);
  }
  if (!upstream) {
    co_return reply(s, connect_timed_out ? 504 : 502,
                    connect_timed_out ? "connecting to the pod timed out"
                                      : connect_failure_detail(connect_result));
  }
  EndpointState& load = *state;
  ++load.active;
  struct Active {
    EndpointState& s;
    ~Active() { --s.active; }
  } active{load};
  for (const auto& [name, value] : s.headers) {
    if (name == "expect" && http1::iequals(value, "100-continue")) {
      // The client waits for this before sending its body; the pod is reached, so go on.
      const nghttp2_nv interim = field(":status", "100");
      nghttp2_submit_headers(session_, NGHTTP2_FLAG_NONE, s.id, nullptr, &interim, 1, nullptr);
      wake_writer();
    }
  }

  const std::size_t capacity = options.buffer_size;
  http1::Limits limits;
  limits.max_head = capacity;
  http1::ParseResult parsed;
  http1::Response response;
  std::size_t up_start = 0, up_end = 0;
  const bool bodyless = s.end_stream && s.body.empty();
  bool body_sent = true;
  for (bool retried = false;; retried = true) {
    // A pooled connection the pod closed meanwhile fails before any response byte: a request
    // without a body is sent once more on a new connection.
    const bool may_retry = !retried && bodyless && upstream->reused && idempotent(s.method);
    const bool chunked = !s.end_stream && !declares_length(s);
    build_upstream_head(s, pod, chunked);
    s.upstream = upstream.get();
    s.deadline = Clock::now() + options.timeouts.body_io;
    bool failed = false;
    {
      auto [ec, n] = co_await upstream->write(asio::buffer(s.head));
      failed = static_cast<bool>(ec);
    }
    // The body, as it arrives; the client's window reopens as the pod takes it.
    while (!failed && !bodyless) {
      if (gone(s)) co_return;
      if (s.body.empty()) {
        if (s.end_stream) break;
        co_await wait(s);
        continue;
      }
      s.sending.swap(s.body);
      s.body.clear();
      const std::size_t n = s.sending.size();
      std::array<asio::const_buffer, 3> out;
      std::string size_line;
      if (chunked) {
        append_hex(size_line, n);
        size_line.append("\r\n");
        out = {asio::buffer(size_line), asio::buffer(s.sending), asio::buffer("\r\n", 2)};
      } else {
        out = {asio::buffer(s.sending), asio::const_buffer(), asio::const_buffer()};
      }
      auto [ec, written] = co_await upstream->write(out);
      s.sending.clear();
      if (ec) {
        failed = true;
        body_sent = false;
        break;
      }
      s.deadline = Clock::now() + options.timeouts.body_io;
      if (!s.closed) nghttp2_session_consume(session_, s.id, n);
      wake_writer();
    }
    if (!failed && !bodyless && chunked) {
      auto [ec, n] = co_await upstream->write(asio::buffer("0\r\n\r\n", 5));
      if (ec) {
        failed = true;
        body_sent = false;
      }
    }
    if (gone(s)) co_return;
    if (failed && may_retry) {
      const ConnectResult reconnected = co_await connect(s, upstream, pod, tls, connect_timed_out);
      if (gone(s)) co_return;
      if (reconnected != ConnectResult::kConnected) {
        worker_.record_failure(load);
        co_return reply(s, 502, "could not reconnect to the pod");
      }
      continue;
    }
    if (failed && body_sent) {
      worker_.record_failure(load);
      co_return reply(s, 502, "the pod closed the connection");
    }
    // The response head (a pod that stopped reading the body may still have answered).
    s.deadline = Clock::now() + options.timeouts.header;
    up_start = up_end = 0;
    bool stale = false;
    for (;;) {
      if (up_end > up_start) {
        parsed = http1::parse_response({upstream->buffer.get() + up_start, up_end - up_start},
                                       response, limits, s.method == "HEAD" ? "HEAD" : "GET");
        if (parsed.status == http1::ParseStatus::kComplete && response.status >= 100 &&
            response.status < 200 && response.status != 101) {
          up_start += parsed.consumed;  // interim responses are not forwarded
          continue;
        }
        if (parsed.status != http1::ParseStatus::kNeedMore) break;
      }
      if (up_start > 0) {
        std::memmove(upstream->buffer.get(), upstream->buffer.get() + up_start, up_end - up_start);
        up_end -= up_start;
        up_start = 0;
      }
      auto [ec, n] = co_await upstream->read_response_some(
          asio::buffer(upstream->buffer.get() + up_end, capacity - up_end));
      if (gone(s)) co_return;
      if (ec) {
        const bool timed_out = s.timed_out;
        s.timed_out = false;
        if (!timed_out && may_retry && up_end == 0) {
          stale = true;
          break;
        }
        s.upstream = nullptr;
        if (timed_out) co_return reply(s, 504, "the pod did not answer in time");
        worker_.record_failure(load);
        co_return reply(s, 502, "the pod closed the connection before answering");
      }
      up_end += n;
    }
    if (!stale) break;
    const ConnectResult reconnected = co_await connect(s, upstream, pod, tls, connect_timed_out);
    if (gone(s)) co_return;
    if (reconnected != ConnectResult::kConnected) {
      worker_.record_failure(load);
      co_return reply(s, 502, "could not reconnect to the pod");
    }
  }
  s.upstream = nullptr;
  if (parsed.status == http1::ParseStatus::kError) co_return reply(s, 502, parsed.reason);
  if (response.status == 101) co_return reply(s, 502, "the pod switched protocols unasked");
  Worker::record_success(load);
  up_start += parsed.consumed;

  // The response head as one HEADERS frame: names lower-cased (HTTP/2 requires it), fields
  // about the HTTP/1.1 connection dropped.
  const http1::Response& r = response;
  std::size_t bytes = 20;  // the content-length digits
  for (const http1::Header& h : r.headers) bytes += h.name.size();
  s.head.clear();
  s.head.reserve(bytes);  // the lower-cased names; no reallocation below: views stay valid
  std::vector<nghttp2_nv> nv;
  nv.reserve(r.headers.size() + 1);
  char status_digits[4];
  std::snprintf(status_digits, sizeof status_digits, "%03d", r.status);
  nv.push_back(field(":status", status_digits));
  for (const http1::Header& h : r.headers) {
    using T = http1::HeaderToken;
    // Connection fields go; the length is written below, one value.
    if (http1::is_hop_by_hop(h.token) || h.token == T::kContentLength) continue;
    if (r.connection.count && h.token == T::kUnknown && r.connection.names(h.name)) continue;
    const std::size_t at = s.head.size();
    for (char c : h.name) s.head += ascii_lower(c);
    nv.push_back(field(std::string_view(s.head).substr(at, h.name.size()), h.value));
  }
  if (r.body_kind == http1::BodyKind::kContentLength) {
    const std::size_t at = s.head.size();
    append_decimal(s.head, r.content_length);
    nv.push_back(field("content-length", std::string_view(s.head).substr(at)));
  }
  ++worker_.stats().responses[r.status / 100 % 6];
  s.responded = true;
  s.pieces.clear();
  s.piece = 0;
  s.body_eof = r.body_kind == http1::BodyKind::kNone;
  if (s.body_eof) {
    nghttp2_submit_response(session_, s.id, nv.data(), nv.size(), nullptr);
    s.eof_sent = true;
    wake_writer();
    if (body_sent && r.keep_alive && up_start == up_end)
      worker_.pool().release(pod, std::move(upstream), Clock::now());
    co_return;
  }
  nghttp2_data_provider provider{};
  provider.source.ptr = &s;
  provider.read_callback = &H2Connection::provide;
  const http1::BodyKind kind = r.body_kind;
  std::uint64_t remaining = r.content_length;
  // Submitting copies the fields; the data provider is read later, as the window allows.
  nghttp2_submit_response(session_, s.id, nv.data(), nv.size(), &provider);
  s.deadline = Clock::now() + options.timeouts.body_io;
  s.upstream = upstream.get();
  char* buf = upstream->buffer.get();
  http1::ChunkedDecoder decoder;
  PieceSink sink(s.pieces);
  bool clean = false;
  for (;;) {
    // Hand over what is buffered, then wait until nghttp2 has taken it.
    std::size_t consumed = 0;
    s.pieces.clear();
    s.piece = 0;
    if (kind == http1::BodyKind::kContentLength) {
      consumed = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, up_end - up_start));
      if (consumed > 0) s.pieces.emplace_back(buf + up_start, consumed);
      remaining -= consumed;
      s.body_eof = remaining == 0;
    } else if (kind == http1::BodyKind::kChunked) {
      http1::ChunkedResult c = decoder.feed({buf + up_start, up_end - up_start}, sink);
      if (c.status == http1::ChunkedStatus::kError) break;
      consumed = c.consumed;
      s.body_eof = c.status == http1::ChunkedStatus::kDone;
    } else {  // until close
      consumed = up_end - up_start;
      if (consumed > 0) s.pieces.emplace_back(buf + up_start, consumed);
    }
    if (!s.pieces.empty() || s.body_eof) {
      resume(s);
      while (!(s.pieces_drained() && (!s.body_eof || s.eof_sent)) && !gone(s)) co_await wait(s);
      if (gone(s)) break;
      s.deadline = Clock::now() + options.timeouts.body_io;
    }
    up_start += consumed;
    if (s.body_eof) {
      clean = true;
      break;
    }
    if (up_start > 0) {
      std::memmove(buf, buf + up_start, up_end - up_start);
      up_end -= up_start;
      up_start = 0;
    }
    if (up_end == capacity) break;  // a chunk line longer than the buffer
    auto [ec, n] = co_await upstream->read_some(asio::buffer(buf + up_end, capacity - up_end));
    if (gone(s)) break;
    if (ec) {
      if (kind == http1::BodyKind::kUntilClose && !s.timed_out) {
        s.body_eof = true;  // the pod's close ends the body
        resume(s);
        while (!s.eof_sent && !gone(s)) co_await wait(s);
      }
      break;
    }
    up_end += n;
    s.deadline = Clock::now() + options.timeouts.body_io;
  }
  s.upstream = nullptr;
  if (!clean && !gone(s)) {
    // The body broke off: the client must not take a truncated body for a whole one.
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_INTERNAL_ERROR);
    wake_writer();
    co_return;
  }
  if (clean && !gone(s) && body_sent && r.keep_alive && up_start == up_end &&
      kind != http1::BodyKind::kUntilClose)
    worker_.pool().release(pod, std::move(upstream), Clock::now());
}

#pragma GCC diagnostic pop

}  // namespace gatehouse::proxy
