// g++ 12: awaited values are stored in locals before they are tested (see forward.cpp).
#include "proxy/exchange/h2c_upstream.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>

#include "base/strings.h"
#include "proxy/forward_headers.h"
#include "proxy/http2/fields.h"
#include "proxy/worker.h"

namespace gatehouse::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
}  // namespace

H2cUpstream::~H2cUpstream() {
  // Leaving before the stream ended (the client went away, a deadline) resets it at the pod.
  if (connection_ && stream_) connection_->cancel(*stream_);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC bug 109224 (coroutine frames)

asio::awaitable<void> H2cUpstream::wait() {
  auto [ec] = co_await down_.event().async_wait(kTuple);
  (void)ec;  // cancelled: woken
}

bool H2cUpstream::reuse(const tcp::endpoint& pod) {
  Worker& worker = down_.worker();
  connection_ = worker.h2_upstream(pod);
  if (!connection_) return false;
  ++worker.stats().upstream_reuses;
  return true;
}

asio::awaitable<ForwardError> H2cUpstream::open(const tcp::endpoint& pod) {
  Worker& worker = down_.worker();
  const ProxyOptions& options = worker.options();
  ++worker.stats().upstream_connects;
  auto fresh = H2Upstream::create(worker.io(), options.buffer_size);
  const auto started = Clock::now();
  const bool connected = co_await fresh->connect(pod, options.timeouts.connect);
  if (connected) {
    worker.keep_h2_upstream(pod, fresh);
    connection_ = std::move(fresh);
    co_return ForwardError{};
  }
  if (Clock::now() - started >= options.timeouts.connect)
    co_return ForwardError::pod(ForwardError::What::kTimeout, "connecting to the pod timed out");
  co_return ForwardError::pod(ForwardError::What::kConnect, "could not connect to any endpoint");
}

asio::awaitable<ForwardError> H2cUpstream::send_head(const RequestHead& req,
                                                     const Forwarding& forwarding,
                                                     const Pieces& first, bool last) {
  head_request_ = req.method_id == http1::Method::kHead;
  // The text of the fields (path, lower-cased names, the length, the forwarding lines) is
  // written first and only then viewed: a view into a string that grows may dangle.
  std::string& text = down_.scratch();
  text.clear();
  text.append(req.path);  // the normalized path: the one that was matched
  if (req.has_query) {
    text += '?';
    text.append(req.query);
  }
  const std::size_t path_end = text.size();
  for (const Field& f : req.fields) {
    if (replaced_by_proxy(f.token)) continue;
    for (char c : f.name) text += ascii_lower(c);
  }
  const std::size_t length_at = text.size();
  if (req.framing == Framing::kLength) append_decimal(text, req.content_length);
  const std::size_t lines_at = text.size();
  append_forwarding_fields(text, forwarding, [&] { return down_.worker().next_random(); });

  const std::string_view all(text);
  std::vector<nghttp2_nv> nv;
  nv.reserve(req.fields.size() + 14);
  nv.push_back(field(":method", req.method));
  nv.push_back(field(":scheme", "http"));
  nv.push_back(field(":authority", req.authority));
  nv.push_back(field(":path", all.substr(0, path_end)));
  std::size_t at = path_end;
  for (const Field& f : req.fields) {
    if (replaced_by_proxy(f.token)) continue;
    nv.push_back(field(all.substr(at, f.name.size()), f.value));
    at += f.name.size();
  }
  if (req.framing == Framing::kLength)
    nv.push_back(field("content-length", all.substr(length_at, lines_at - length_at)));
  // gRPC needs it; HTTP/2 allows no other TE value (RFC 9113 §8.2.2).
  if (req.wants_trailers) nv.push_back(field("te", "trailers"));
  add_lines_as_fields(text, nv, lines_at);  // lower-cases in place: no reallocation

  const bool has_body = req.has_body();
  stream_ = connection_->open(nv, has_body, down_.event(), down_.event_owner());
  if (!stream_)
    co_return ForwardError::pod(ForwardError::What::kRefused,
                                "the pod's HTTP/2 connection refused a new stream");
  if (has_body && (!first.empty() || last)) {
    for (const auto& piece : first)
      stream_->outgoing.append(static_cast<const char*>(piece.data()), piece.size());
    stream_->body_eof = last;
    connection_->resume(*stream_);
  }
  co_return ForwardError{};
}

asio::awaitable<bool> H2cUpstream::send_body(const Pieces& pieces, bool last) {
  const std::shared_ptr<H2Upstream::Stream> keep = stream_;  // finish() may run while we wait
  H2Upstream::Stream& up = *keep;
  // The pod's window decides: the bytes handed over before must have gone first.
  while (up.sent < up.outgoing.size() && !up.ended && !stopped()) co_await wait();
  if (up.ended || stopped() || !stream_) co_return false;
  up.outgoing.clear();
  up.sent = 0;
  for (const auto& piece : pieces)
    up.outgoing.append(static_cast<const char*>(piece.data()), piece.size());
  up.body_eof = last;
  connection_->resume(up);
  co_return true;
}

asio::awaitable<ForwardError> H2cUpstream::read_head(ResponseHead& out) {
  const std::shared_ptr<H2Upstream::Stream> keep = stream_;
  H2Upstream::Stream& up = *keep;
  while (!up.head_done && !up.ended && !stopped()) co_await wait();
  if (!up.head_done) {
    if (down_.timed_out()) co_return ForwardError::pod(ForwardError::What::kTimeout, {});
    co_return ForwardError::pod(ForwardError::What::kReset,
                                "the pod reset the stream before answering");
  }
  // The length goes into the framing (nghttp2 has checked it is one number matching the DATA).
  std::uint64_t declared = 0;
  bool has_length = false;
  fields_.clear();
  for (const auto& [name, value] : up.headers) {
    const http1::HeaderToken token = http1::lookup_header_token(name);
    if (token == http1::HeaderToken::kContentLength) {
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), declared);
      has_length = ec == std::errc() && end == value.data() + value.size();
      continue;
    }
    fields_.push_back(Field{name, value, token});
  }
  out = ResponseHead{};
  out.status = up.status;
  out.fields = fields_;
  bodyless_ = head_request_ || up.status == 204 || up.status == 304;
  if (bodyless_ || (up.ended && up.incoming.empty() && up.error == NGHTTP2_NO_ERROR)) {
    out.framing = Framing::kNone;
    out.describes_length = has_length && up.status != 204;
    out.described_length = declared;
  } else if (has_length) {
    out.framing = Framing::kLength;
    out.content_length = declared;
  } else {
    out.framing = Framing::kStream;
  }
  co_return ForwardError{};
}

BodyStatus H2cUpstream::take(Pieces& out) {
  H2Upstream::Stream& up = *stream_;
  out.clear();
  if (!up.incoming.empty()) {
    sending_.swap(up.incoming);
    up.incoming.clear();
    out.emplace_back(sending_.data(), sending_.size());
  }
  if (up.ended && up.incoming.empty()) {
    if (up.error != NGHTTP2_NO_ERROR) return BodyStatus::kError;
    trailers_ = as_fields(up.trailers);
    return BodyStatus::kEnd;
  }
  return BodyStatus::kMore;
}

BodyStatus H2cUpstream::buffered_body(Pieces& out) {
  const BodyStatus status = take(out);
  // A response that cannot have a body (HEAD, 204, 304) is whole with its head.
  if (bodyless_) {
    out.clear();
    if (status == BodyStatus::kEnd) return status;
    return stream_->ended ? BodyStatus::kError : BodyStatus::kEnd;
  }
  return status;
}

asio::awaitable<BodyStatus> H2cUpstream::read_body(Pieces& out) {
  const std::shared_ptr<H2Upstream::Stream> keep = stream_;
  H2Upstream::Stream& up = *keep;
  // The bytes handed on last time are taken: the pod may send as many more.
  if (!sending_.empty()) {
    connection_->consume(up, sending_.size());
    sending_.clear();
  }
  while (up.incoming.empty() && !up.ended && !stopped()) co_await wait();
  if (stopped()) {
    out.clear();
    co_return BodyStatus::kGone;
  }
  co_return take(out);
}

#pragma GCC diagnostic pop

void H2cUpstream::finish(bool) {
  // Bytes the pod sent that nobody will take still count against the connection's window.
  const std::size_t untaken = sending_.size() + (stream_ ? stream_->incoming.size() : 0);
  if (stream_ && untaken > 0) connection_->consume(*stream_, untaken);
  sending_.clear();
  if (stream_) stream_->incoming.clear();
  if (connection_ && stream_) connection_->cancel(*stream_);  // nothing when it ended
  stream_.reset();
}

std::vector<Field> H2cUpstream::as_fields(const H2Upstream::Fields& fields) {
  std::vector<Field> out;
  out.reserve(fields.size());
  for (const auto& [name, value] : fields)
    out.push_back(Field{name, value, http1::lookup_header_token(name)});
  return out;
}

}  // namespace gatehouse::proxy
