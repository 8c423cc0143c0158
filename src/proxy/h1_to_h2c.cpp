// An HTTP/1.1 client's request to a pod that speaks HTTP/2 cleartext (appProtocol
// kubernetes.io/h2c): the request becomes a stream on the worker's connection to that pod, its
// body (Content-Length or chunked) DATA frames; the response comes back with the pod's
// Content-Length, else chunked (HTTP/1.0 clients: until close), and the pod's trailers become
// chunked trailer fields when the client said it accepts them (TE: trailers).
// g++ 12: awaited values are stored in locals before they are tested (see session.cpp).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/strings.h"
#include "proxy/chunk_sinks.h"
#include "proxy/forward_headers.h"
#include "proxy/http1/chunked.h"
#include "proxy/http2/fields.h"
#include "proxy/http2/h2_pick.h"
#include "proxy/session.h"
#include "proxy/status_text.h"
#include "proxy/worker.h"

namespace gatehouse::proxy {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

bool replaced_by_proxy(http1::HeaderToken t) {
  using T = http1::HeaderToken;
  return t == T::kXForwardedProto || t == T::kXForwardedHost || t == T::kXForwardedPort ||
         t == T::kXRealIp || t == T::kXOriginalForwardedFor || t == T::kXForwardedFor ||
         t == T::kHost || t == T::kExpect;
}

}  // namespace

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC bug 109224, see h2_exchange.cpp
asio::awaitable<Session::Outcome> Session::forward_h2c(Generation& generation,
                                                       std::uint32_t cluster,
                                                       std::size_t head_size) {
  const ProxyOptions& options = worker_.options();
  const http1::Request& req = request_;
  in_start_ += head_size;
  set_deadline(Phase::kConnect, options.timeouts.connect + options.timeouts.connect);
  H2Pick pick = co_await pick_h2_upstream(worker_, generation, cluster);
  if (!client_.is_open()) co_return Outcome::kClose;
  if (!pick.connection) {
    co_return co_await reply(pick.timed_out ? 504 : 502, true,
                             pick.timed_out ? "connecting to the pod timed out"
                                            : "could not connect to any endpoint");
  }
  EndpointState& load = *pick.state;
  ++load.active;
  struct Active {
    EndpointState& e;
    ~Active() { --e.active; }
  } active{load};

  // The request HEADERS. Names are lower-cased into head_, which also holds the path.
  const std::string_view authority =
      req.target_form == http1::TargetForm::kAbsolute ? req.authority : req.host;
  head_.clear();
  std::size_t bytes = path_.size() + 1 + req.query.size();
  for (const http1::Header& h : req.headers) bytes += h.name.size();
  head_.reserve(bytes + 512);  // no reallocation below: the views stay valid
  head_.append(path_);  // the normalized path: the one that was matched
  if (req.has_query) {
    head_ += '?';
    head_.append(req.query);
  }
  std::vector<nghttp2_nv> nv;
  nv.reserve(req.headers.size() + 12);
  nv.push_back(field(":method", req.method));
  nv.push_back(field(":scheme", "http"));
  nv.push_back(field(":authority", authority));
  nv.push_back(field(":path", std::string_view(head_)));
  const http1::Header* forwarded_for = nullptr;
  bool has_request_id = false, trailers_wanted = false;
  for (const http1::Header& h : req.headers) {
    using T = http1::HeaderToken;
    if (h.token == T::kXForwardedFor) forwarded_for = &h;
    has_request_id |= h.token == T::kXRequestId;
    if (h.token == T::kTe) trailers_wanted |= http1::list_contains(h.value, "trailers");
    // Connection-specific fields are not allowed in HTTP/2 (RFC 9113 §8.2.2), framing is DATA's.
    if (replaced_by_proxy(h.token) || http1::is_hop_by_hop(h.token) ||
        h.token == T::kContentLength)  // written below, once, as the length parsed
      continue;
    if (req.connection.count && h.token == T::kUnknown && req.connection.names(h.name)) continue;
    const std::size_t at = head_.size();
    for (char c : h.name) head_ += ascii_lower(c);
    nv.push_back(field(std::string_view(head_).substr(at, h.name.size()), h.value));
  }
  if (req.body_kind == http1::BodyKind::kContentLength) {
    const std::size_t at = head_.size();
    append_decimal(head_, req.content_length);
    nv.push_back(field("content-length", std::string_view(head_).substr(at)));
  }
  location_.clear();
  append_forwarding_fields(location_, forwarding_of(forwarded_for, has_request_id),
                           [this] { return worker_.next_random(); });
  add_lines_as_fields(location_, nv);

  const bool has_body = !(req.body_kind == http1::BodyKind::kNone ||
                          (req.body_kind == http1::BodyKind::kContentLength &&
                           req.content_length == 0));
  auto wake = std::make_shared<asio::steady_timer>(worker_.io(), Clock::time_point::max());
  std::shared_ptr<H2Upstream> pod = std::move(pick.connection);
  std::shared_ptr<H2Upstream::Stream> up = pod->open(nv, has_body, *wake, wake);
  if (!up) co_return co_await reply(502, true, "the pod's HTTP/2 connection refused a new stream");
  struct Cancel {  // leaving early (the client went away, a timeout) cancels the pod's stream
    H2Upstream& pod;
    H2Upstream::Stream& up;
    Session& session;
    ~Cancel() {
      pod.cancel(up);
      session.h2_wake_ = nullptr;
    }
  } cancel{*pod, *up, *this};
  h2_wake_ = wake.get();  // on_timeout wakes the waits below
  auto wait = [&]() -> asio::awaitable<void> {
    auto [ec] = co_await wake->async_wait(kTuple);
    (void)ec;
  };

  // The body, read from the client and handed to the pod as its window allows.
  if (request_.expect_continue) {
    const bool ok = co_await write_client("HTTP/1.1 100 Continue\r\n\r\n");
    if (!ok) co_return Outcome::kClose;
  }
  set_deadline(Phase::kRequest, options.timeouts.body_io);
  const std::size_t capacity = options.buffer_size;
  std::uint64_t remaining = req.body_kind == http1::BodyKind::kContentLength ? req.content_length : 0;
  http1::ChunkedDecoder decoder;
  AppendSink sink(up->outgoing);
  bool body_done = !has_body;
  while (!body_done) {
    if (up->ended) break;  // the pod answered (or reset) before taking it all
    if (in_start_ == in_end_) {
      compact_input();
      auto [ec, n] = co_await client_.read_some(asio::buffer(in_.get() + in_end_, capacity - in_end_));
      if (ec) co_return Outcome::kClose;
      in_end_ += n;
      deadline_ = Clock::now() + options.timeouts.body_io;
    }
    up->outgoing.clear();
    up->sent = 0;
    if (req.body_kind == http1::BodyKind::kContentLength) {
      const std::size_t take =
          static_cast<std::size_t>(std::min<std::uint64_t>(remaining, in_end_ - in_start_));
      up->outgoing.append(in_.get() + in_start_, take);
      in_start_ += take;
      remaining -= take;
      body_done = remaining == 0;
    } else {
      const http1::ChunkedResult r = decoder.feed({in_.get() + in_start_, in_end_ - in_start_}, sink);
      if (r.status == http1::ChunkedStatus::kError)
        co_return co_await reply(400, true, "malformed request body");
      in_start_ += r.consumed;
      body_done = r.status == http1::ChunkedStatus::kDone;
      if (!body_done && r.consumed == 0) {
        compact_input();
        if (in_end_ == capacity) co_return co_await reply(400, true, "malformed request body");
        auto [ec, n] = co_await client_.read_some(asio::buffer(in_.get() + in_end_, capacity - in_end_));
        if (ec) co_return Outcome::kClose;
        in_end_ += n;
        continue;
      }
    }
    up->body_eof = body_done;
    pod->resume(*up);
    while (up->sent < up->outgoing.size() && !up->ended && !timed_out_) co_await wait();
    if (timed_out_) co_return Outcome::kClose;
  }

  // The response head.
  set_deadline(Phase::kUpstreamHead, options.timeouts.header);
  while (!up->head_done && !up->ended && !timed_out_) co_await wait();
  if (!up->head_done) {
    const bool timed_out = timed_out_;
    timed_out_ = false;
    if (!client_.is_open()) co_return Outcome::kClose;
    if (timed_out) co_return co_await reply(504, true, "the pod did not answer in time");
    worker_.record_failure(load);
    co_return co_await reply(502, true, "the pod reset the stream before answering");
  }
  Worker::record_success(load);
  const bool head_request = req.method_id == http1::Method::kHead;
  const bool no_body = head_request || up->status == 204 || up->status == 304;
  bool has_length = false;
  for (const auto& [name, value] : up->headers) has_length |= name == "content-length";
  const bool chunked = !no_body && !has_length && req.version_minor == 1;
  const bool close = !req.keep_alive || worker_.draining() || (!no_body && !has_length && !chunked);
  head_.clear();
  head_.append("HTTP/1.1 ");
  append_decimal(head_, static_cast<std::uint64_t>(up->status));
  head_ += ' ';
  head_.append(status_text(up->status));
  head_.append("\r\n");
  for (const auto& [name, value] : up->headers) {
    head_.append(name);
    head_.append(": ");
    head_.append(value);
    head_.append("\r\n");
  }
  if (chunked) head_.append("transfer-encoding: chunked\r\n");
  if (close) head_.append("Connection: close\r\n");
  head_.append("\r\n");
  ++worker_.stats().responses[up->status / 100 % 6];
  set_deadline(Phase::kResponse, options.timeouts.body_io);
  ensure_nodelay();
  const bool head_written = co_await write_client(head_);
  if (!head_written) co_return Outcome::kClose;

  // The body, as the pod sends it; its window reopens as the client takes the bytes.
  std::string sending;
  for (;;) {
    if (!up->incoming.empty()) {
      sending.swap(up->incoming);
      up->incoming.clear();
      if (!no_body) {
        head_.clear();
        if (chunked) {
          append_hex(head_, sending.size());
          head_.append("\r\n");
        }
        const std::array<asio::const_buffer, 3> out{
            asio::buffer(head_), asio::buffer(sending),
            asio::buffer(chunked ? "\r\n" : "", chunked ? 2 : 0)};
        auto [ec, n] = co_await client_.write(out);
        if (ec) co_return Outcome::kClose;
        deadline_ = Clock::now() + options.timeouts.body_io;
      }
      pod->consume(*up, sending.size());
      sending.clear();
      continue;
    }
    if (up->ended) break;
    if (timed_out_) co_return Outcome::kClose;
    co_await wait();
  }
  if (up->error != NGHTTP2_NO_ERROR) co_return Outcome::kClose;  // cut short: the client sees it
  if (chunked) {
    head_.assign("0\r\n");
    if (trailers_wanted)
      for (const auto& [name, value] : up->trailers) {
        head_.append(name);
        head_.append(": ");
        head_.append(value);
        head_.append("\r\n");
      }
    head_.append("\r\n");
    const bool ended = co_await write_client(head_);
    if (!ended) co_return Outcome::kClose;
  }
  if (!body_done) co_return Outcome::kClose;  // the rest of the request body was not read
  co_return close ? Outcome::kClose : Outcome::kKeepAlive;
}
#pragma GCC diagnostic pop

}  // namespace gatehouse::proxy
