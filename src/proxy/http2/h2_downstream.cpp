// g++ 12: awaited values are stored in locals before they are tested (see forward.cpp).
#include "proxy/http2/h2_downstream.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <cstdio>

#include "base/strings.h"
#include "proxy/forward_headers.h"
#include "proxy/http2/fields.h"
#include "proxy/worker.h"

namespace gatehouse::proxy {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

H2Downstream::H2Downstream(H2Connection& connection, std::shared_ptr<H2Connection::Stream> stream)
    : c_(connection), stream_(std::move(stream)), s_(*stream_) {}

H2Downstream::~H2Downstream() {
  s_.watched = nullptr;
  consume_taken();
}

Worker& H2Downstream::worker() { return c_.worker_; }

int H2Downstream::describe_request() {
  H2Connection::Stream& s = s_;
  if (s.too_large) return 431;
  if (s.method == "CONNECT") return 405;  // no extended CONNECT (WebSocket) yet
  if (s.path.empty() || s.path.front() != '/') return 404;  // OPTIONS *
  RequestHead& x = request_;
  x.method = s.method;
  x.method_id = http1::lookup_method(s.method);
  x.client_tls = c_.client_.tls();
  x.authority = s.authority;
  std::string_view declared;
  std::size_t cookies = 0;
  fields_.reserve(s.headers.size());
  for (const auto& [name, value] : s.headers) {
    const http1::HeaderToken token = http1::lookup_header_token(name);
    using T = http1::HeaderToken;
    // nghttp2 has refused connection-specific fields (RFC 9113 §8.2.2) and any TE but
    // "trailers"; Host stands in for a missing :authority.
    if (token == T::kHost) {
      if (x.authority.empty()) x.authority = value;
      continue;
    }
    if (token == T::kExpect) {
      x.expect_continue |= http1::iequals(value, "100-continue");
      continue;
    }
    if (token == T::kTe) {
      x.wants_trailers = true;
      continue;
    }
    if (token == T::kContentLength) {
      declared = value;
      continue;
    }
    if (name == "cookie") {
      // HTTP/2 may split cookies into several fields; one is what HTTP/1.1 pods expect.
      if (cookies++ > 0) cookie_.append("; ");
      cookie_.append(value);
      continue;
    }
    fields_.push_back(Field{name, value, token});
  }
  if (cookies > 0) fields_.push_back(Field{"cookie", cookie_, http1::HeaderToken::kUnknown});
  x.fields = fields_;
  // The host routed on: the authority's host, validated as HTTP/1.1's Host is.
  if (!x.authority.empty() && !http1::parse_host_port(x.authority, false, x.routing_host))
    return 400;
  const std::size_t question = s.path.find('?');
  x.raw_path = std::string_view(s.path).substr(0, question);
  if (question != std::string::npos) {
    x.query = std::string_view(s.path).substr(question + 1);
    x.has_query = true;
  }
  // Framing: the declared length (nghttp2 checks the DATA against it), else the whole body when
  // it has all come, else a stream.
  if (!declared.empty()) {
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(declared.data(), declared.data() + declared.size(), n);
    if (ec != std::errc() || end != declared.data() + declared.size()) return 400;
    x.framing = Framing::kLength;
    x.content_length = n;
  } else if (s.end_stream) {
    const bool bodyless_method = x.method_id == http1::Method::kGet ||
                                 x.method_id == http1::Method::kHead;
    x.framing = s.body.empty() && bodyless_method ? Framing::kNone : Framing::kLength;
    x.content_length = s.body.size();
  } else {
    x.framing = Framing::kStream;
  }
  return 0;
}

Forwarding H2Downstream::forwarding() const {
  Forwarding f;
  f.trusted = &c_.worker_.options().trusted_forwarders;
  f.client_ip = c_.client_ip_;
  f.https = c_.client_.tls();
  f.host = request_.authority;
  f.port = c_.local_port_;
  return f;
}

void H2Downstream::set_deadline(Stage, std::chrono::milliseconds timeout) {
  s_.deadline = Clock::now() + timeout;
}

void H2Downstream::consume_taken() {
  if (taken_ == 0) return;
  // Once the stream is gone only the connection's window is left to reopen.
  if (s_.closed)
    nghttp2_session_consume_connection(c_.session_, taken_);
  else
    nghttp2_session_consume(c_.session_, s_.id, taken_);
  c_.wake_writer();
  taken_ = 0;
}

BodyStatus H2Downstream::take_body(Pieces& out) {
  out.clear();
  consume_taken();
  s_.sending.clear();
  if (!s_.body.empty()) {
    s_.sending.swap(s_.body);
    out.emplace_back(s_.sending.data(), s_.sending.size());
    taken_ = s_.sending.size();
  }
  return s_.end_stream ? BodyStatus::kEnd : BodyStatus::kMore;
}

void H2Downstream::buffered_body(Pieces& out, bool& last) {
  if (request_.framing == Framing::kNone) {
    out.clear();
    last = true;
    return;
  }
  last = take_body(out) == BodyStatus::kEnd;
}

asio::awaitable<BodyStatus> H2Downstream::read_body(Pieces& out) {
  consume_taken();
  out.clear();
  for (;;) {
    if (gone() || s_.timed_out || body_stopped_) co_return BodyStatus::kGone;
    if (!s_.body.empty() || s_.end_stream) co_return take_body(out);
    co_await c_.wait(s_);
  }
}

void H2Downstream::stop_body() {
  body_stopped_ = true;
  s_.wake.cancel();
}

asio::awaitable<bool> H2Downstream::send_continue() {
  // The client waits for this before sending its body; the pod is reached, so go on.
  const nghttp2_nv interim = field(":status", "100");
  nghttp2_submit_headers(c_.session_, NGHTTP2_FLAG_NONE, s_.id, nullptr, &interim, 1, nullptr);
  c_.wake_writer();
  co_return true;
}

asio::awaitable<bool> H2Downstream::drain(bool last) {
  c_.resume(s_);
  while (!(s_.pieces_drained() && (!last || s_.eof_sent)) && !gone()) co_await c_.wait(s_);
  co_return !gone();
}

asio::awaitable<bool> H2Downstream::send_head(const ResponseHead& r, const Pieces& first,
                                              bool last, std::span<const Field> trailers) {
  H2Connection::Stream& s = s_;
  if (s.responded || gone()) co_return false;
  // One HEADERS frame: names lower-cased (HTTP/2 requires it) into the stream's head buffer,
  // reserved so the views stay valid until nghttp2 copies them.
  std::size_t bytes = 24;
  for (const Field& f : r.fields) bytes += f.name.size();
  s.head.clear();
  s.head.reserve(bytes);
  std::vector<nghttp2_nv> nv;
  nv.reserve(r.fields.size() + 2);
  char status_digits[4];
  std::snprintf(status_digits, sizeof status_digits, "%03d", r.status);
  nv.push_back(field(":status", status_digits));
  for (const Field& f : r.fields) {
    const std::size_t at = s.head.size();
    for (char c : f.name) s.head += ascii_lower(c);
    nv.push_back(field(std::string_view(s.head).substr(at, f.name.size()), f.value));
  }
  const bool has_length = r.framing == Framing::kLength || r.describes_length;
  if (has_length) {
    const std::size_t at = s.head.size();
    append_decimal(s.head, r.framing == Framing::kLength ? r.content_length : r.described_length);
    nv.push_back(field("content-length", std::string_view(s.head).substr(at)));
  }
  s.responded = true;
  s.pieces.assign(first.begin(), first.end());
  s.piece = 0;
  s.trailers = last ? trailers : std::span<const Field>();
  if (r.framing == Framing::kNone) {
    s.body_eof = true;
    nghttp2_submit_response(c_.session_, s.id, nv.data(), nv.size(), nullptr);
    s.eof_sent = true;
    c_.wake_writer();
    co_return true;
  }
  s.body_eof = last;
  nghttp2_data_provider provider{};
  provider.source.ptr = &s;
  provider.read_callback = &H2Connection::provide;
  // Submitting copies the fields; the data provider is read later, as the window allows.
  nghttp2_submit_response(c_.session_, s.id, nv.data(), nv.size(), &provider);
  const bool ok = co_await drain(last);
  co_return ok;
}

asio::awaitable<bool> H2Downstream::send_body(const Pieces& pieces, bool last,
                                              std::span<const Field> trailers) {
  if (gone()) co_return false;
  if (pieces.empty() && !last) co_return true;
  s_.pieces.assign(pieces.begin(), pieces.end());
  s_.piece = 0;
  s_.body_eof = last;
  s_.trailers = last ? trailers : std::span<const Field>();
  const bool ok = co_await drain(last);
  co_return ok;
}

void H2Downstream::abort_response(std::uint32_t pod_reset) {
  if (gone() || s_.closed) return;
  // The client must not take a truncated body for a whole one; a pod's reset reaches it with
  // the pod's code.
  std::uint32_t code = s_.timed_out ? NGHTTP2_CANCEL : NGHTTP2_INTERNAL_ERROR;
  if (pod_reset != 0) code = pod_reset;
  nghttp2_submit_rst_stream(c_.session_, NGHTTP2_FLAG_NONE, s_.id, code);
  s_.reset = true;
  c_.wake_writer();
}

asio::awaitable<void> H2Downstream::reply(int status, std::string_view detail,
                                          std::string_view location, bool) {
  c_.reply(s_, status, detail, location);
  co_return;
}

asio::awaitable<void> H2Downstream::tunnel(UpstreamConnection&, std::size_t, std::size_t) {
  co_return;  // HTTP/2 clients never ask for an upgrade (RequestHead::upgrade is false)
}

}  // namespace gatehouse::proxy
