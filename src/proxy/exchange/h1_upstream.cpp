// g++ 12: awaited values are stored in locals before they are tested (see forward.cpp).
#include "proxy/exchange/h1_upstream.h"

#include <boost/asio/buffer.hpp>
#include <cstring>
#include <string>

#include "proxy/chunk_sinks.h"
#include "proxy/connect_pod.h"
#include "proxy/forward_headers.h"
#include "proxy/interrupt.h"
#include "proxy/worker.h"

namespace gatehouse::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// The method as parse_response needs it (it decides bodies of HEAD and CONNECT responses).
std::string_view framing_method(http1::Method m) {
  if (m == http1::Method::kHead) return "HEAD";
  if (m == http1::Method::kConnect) return "CONNECT";
  return "GET";
}

// Fields that must not come as trailers (RFC 9110 §6.5.1): framing, routing, connection ones.
bool allowed_trailer(const Field& f) {
  return f.token == http1::HeaderToken::kUnknown ||
         !(http1::is_hop_by_hop(f.token) || f.token == http1::HeaderToken::kContentLength ||
           f.token == http1::HeaderToken::kHost);
}

}  // namespace

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC bug 109224 (coroutine frames)

bool Http1Upstream::reuse(const tcp::endpoint& pod) {
  Worker& worker = down_.worker();
  pod_ = pod;
  connection_ = worker.pool().acquire(pod, tls_, Clock::now(), worker.options().timeouts.idle);
  if (!connection_) return false;
  ++worker.stats().upstream_reuses;
  return true;
}

asio::awaitable<ForwardError> Http1Upstream::open(const tcp::endpoint& pod) {
  Worker& worker = down_.worker();
  const ProxyOptions& options = worker.options();
  pod_ = pod;
  connection_ = make_upstream(tcp::socket(worker.io()), options.buffer_size);
  const ConnectResult result = co_await connect_pod(worker, *connection_, pod, tls_);
  if (result == ConnectResult::kConnected) co_return ForwardError{};
  connection_.reset();
  co_return ForwardError::pod(result == ConnectResult::kHandshakeFailed
                                  ? ForwardError::What::kTlsHandshake
                                  : ForwardError::What::kConnect,
                              connect_failure_detail(result));
}

void Http1Upstream::build_head(const RequestHead& req, const Forwarding& forwarding,
                               std::string& out) const {
  out.clear();
  out.append(req.method);
  out += ' ';
  out.append(req.path);  // the normalized path: the one that was matched
  if (req.has_query) {
    out += '?';
    out.append(req.query);
  }
  out.append(" HTTP/1.1\r\n");
  for (const Field& f : req.fields) {
    if (replaced_by_proxy(f.token)) continue;
    out.append(f.name);
    out.append(": ");
    out.append(f.value);
    out.append("\r\n");
  }
  out.append("Host: ");
  if (!req.authority.empty()) {
    out.append(req.authority);
  } else {  // HTTP/1.0 without Host: the pod's address stands in
    out.append(pod_.address().to_string());
    out += ':';
    append_decimal(out, pod_.port());
  }
  out.append("\r\n");
  // Framing from what was decided, never copied: "Content-Length: 5, 5" reaches the pod as one
  // value (RFC 9110 §8.6); a body of unknown length goes chunked.
  if (req.framing == Framing::kLength) {
    out.append("Content-Length: ");
    append_decimal(out, req.content_length);
    out.append("\r\n");
  } else if (req.framing == Framing::kStream) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
  append_forwarding_fields(out, forwarding, [&] { return down_.worker().next_random(); });
  if (req.upgrade) {
    out.append("Upgrade: ");
    out.append(req.upgrade_protocols);
    out.append("\r\nConnection: upgrade\r\n");
  }
  out.append("\r\n");
}

std::size_t Http1Upstream::frame(std::string_view head, const Pieces& pieces, bool last) {
  std::size_t used = 0;
  if (!head.empty()) out_[used++] = asio::buffer(head);
  const bool chunked = request_framing_ == Framing::kStream;
  const std::size_t size = total_size(pieces);
  if (chunked && size > 0) {
    std::size_t n = 0;
    for (std::uint64_t rest = size; rest > 0; rest >>= 4) ++n;
    for (std::size_t i = n, rest = size; i-- > 0; rest >>= 4) chunk_line_[i] = "0123456789abcdef"[rest & 15];
    chunk_line_[n] = '\r';
    chunk_line_[n + 1] = '\n';
    out_[used++] = asio::buffer(chunk_line_, n + 2);
  }
  for (const auto& piece : pieces) {
    if (piece.size() == 0) continue;
    if (used + 3 > out_.size()) return 0;  // does not fit: write_pieces()
    out_[used++] = piece;
  }
  if (chunked && size > 0) out_[used++] = asio::buffer("\r\n", 2);
  if (chunked && last) out_[used++] = asio::buffer("0\r\n\r\n", 5);
  return used;
}

asio::awaitable<bool> Http1Upstream::write_framed(std::string_view head, const Pieces& pieces,
                                                  bool last) {
  std::size_t used = frame(head, pieces, last);
  if (used > 0) {  // the usual case: one gathered write
    auto [ec, n] = co_await connection_->write_gathered(out_.data(), used);
    co_return !ec;
  }
  // Many pieces (a client's chunked body decoded): the head, then the pieces a few at a time.
  if (!head.empty()) {
    auto [ec, n] = co_await connection_->write(asio::buffer(head));
    if (ec) co_return false;
  }
  Pieces part;
  for (std::size_t at = 0; at < pieces.size();) {
    part.assign(pieces.begin() + at, pieces.begin() + std::min(pieces.size(), at + 8));
    at += part.size();
    used = frame({}, part, last && at == pieces.size());
    auto [ec, n] = co_await connection_->write_gathered(out_.data(), used);
    if (ec) co_return false;
  }
  co_return true;
}

asio::awaitable<ForwardError> Http1Upstream::send_head(const RequestHead& req,
                                                       const Forwarding& forwarding,
                                                       const Pieces& first, bool last) {
  request_framing_ = req.framing;
  std::string& head = down_.scratch();
  build_head(req, forwarding, head);
  bool written = false;
  if (const std::size_t used = frame(head, first, last); used > 0) {  // the usual case
    auto [ec, n] = co_await connection_->write_gathered(out_.data(), used);
    written = !ec;
  } else {
    written = co_await write_framed(head, first, last);
  }
  if (written) co_return ForwardError{};
  co_return ForwardError::pod(ForwardError::What::kReset, "the pod closed the connection",
                              ForwardError::Retry::kIfReused);
}

asio::awaitable<bool> Http1Upstream::send_body(const Pieces& pieces, bool last) {
  if (pieces.empty() && !last) co_return true;
  const bool written = co_await write_framed({}, pieces, last);
  if (written) down_.set_deadline(Stage::kRequestBody, down_.worker().options().timeouts.body_io);
  co_return written;
}

asio::awaitable<ForwardError> Http1Upstream::read_head(ResponseHead& out) {
  const std::size_t capacity = connection_->capacity;
  char* buf = connection_->buffer.get();
  http1::Limits limits;
  limits.max_head = capacity;
  const std::string_view method = framing_method(down_.request().method_id);
  http1::ParseResult parsed;
  start_ = end_ = 0;
  for (;;) {
    if (end_ > start_) {
      parsed = http1::parse_response({buf + start_, end_ - start_}, connection_->response, limits, method);
      if (parsed.status == http1::ParseStatus::kComplete && connection_->response.status >= 100 &&
          connection_->response.status < 200 && connection_->response.status != 101) {
        start_ += parsed.consumed;  // interim responses (100, 103) are not forwarded
        continue;
      }
      if (parsed.status != http1::ParseStatus::kNeedMore) break;
    }
    if (start_ > 0) {
      std::memmove(buf, buf + start_, end_ - start_);
      end_ -= start_;
      start_ = 0;
    }
    auto [ec, n] = co_await connection_->read_response_some(
        asio::buffer(buf + end_, capacity - end_));
    if (ec) {
      co_return ForwardError::pod(ForwardError::What::kReset,
                                  "the pod closed the connection before answering",
                                  end_ == 0 ? ForwardError::Retry::kIfReused
                                            : ForwardError::Retry::kNo);
    }
    end_ += n;
  }
  if (parsed.status == http1::ParseStatus::kError)
    co_return ForwardError::pod(ForwardError::What::kProtocol, parsed.reason);
  start_ += parsed.consumed;

  http1::Response& r = connection_->response;
  using T = http1::HeaderToken;
  out = ResponseHead{};
  out.status = r.status;
  out.reason = r.reason;
  const bool has_body = r.body_kind != http1::BodyKind::kNone;
  if (!has_body) {
    // The fields of a body this response does not carry (HEAD, 304): passed on as such, except
    // a length that came beside chunked, or any on a 204 (RFC 9110 §8.6).
    out.describes_length =
        !r.had_both && r.status != 204 && r.headers.find(T::kContentLength) != nullptr;
    out.described_length = r.content_length;
    out.describes_chunked = r.headers.find(T::kTransferEncoding) != nullptr;
  }
  if (r.status == 101)
    if (const http1::Header* upgrade = r.headers.find(T::kUpgrade))
      out.upgrade_protocols = upgrade->value;
  // End-to-end fields only, kept in place: framing is written from what the parser decided.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < r.headers.count; ++i) {
    const http1::Header& h = r.headers.items[i];
    if (h.token == T::kContentLength || http1::is_hop_by_hop(h.token)) continue;
    if (r.connection.count && h.token == T::kUnknown && r.connection.names(h.name)) continue;
    r.headers.items[kept++] = h;
  }
  r.headers.count = kept;
  out.fields = std::span<const Field>(r.headers.items.data(), kept);
  switch (r.body_kind) {
    case http1::BodyKind::kNone:
      out.framing = Framing::kNone;
      break;
    case http1::BodyKind::kContentLength:
      out.framing = Framing::kLength;
      out.content_length = r.content_length;
      break;
    case http1::BodyKind::kChunked:
    case http1::BodyKind::kUntilClose:
      out.framing = Framing::kStream;
      break;
  }
  remaining_ = r.content_length;
  decoder_.reset();
  trailers_.clear();
  trailer_text_.clear();
  co_return ForwardError{};
}

BodyStatus Http1Upstream::buffered_body(Pieces& out) {
  out.clear();
  char* buf = connection_->buffer.get();
  switch (connection_->response.body_kind) {
    case http1::BodyKind::kNone:
      return BodyStatus::kEnd;
    case http1::BodyKind::kContentLength: {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, end_ - start_));
      if (n > 0) out.emplace_back(buf + start_, n);
      start_ += n;
      remaining_ -= n;
      return remaining_ == 0 ? BodyStatus::kEnd : BodyStatus::kMore;
    }
    case http1::BodyKind::kUntilClose:
      if (end_ > start_) out.emplace_back(buf + start_, end_ - start_);
      start_ = end_;
      return BodyStatus::kMore;
    case http1::BodyKind::kChunked: {
      if (end_ == start_) return BodyStatus::kMore;
      PieceTrailerSink sink(out, trailer_text_);
      const http1::ChunkedResult r = decoder_.feed({buf + start_, end_ - start_}, sink);
      if (r.status == http1::ChunkedStatus::kError) return BodyStatus::kError;
      start_ += r.consumed;
      if (r.status != http1::ChunkedStatus::kDone) return BodyStatus::kMore;
      // The trailer fields were copied as they came (a section may span reads): view them now
      // that their text is final.
      trailers_.clear();
      std::string_view text(trailer_text_);
      while (!text.empty()) {
        const http1::FieldLine line = http1::parse_field_line(text);
        if (line.status != http1::FieldLineStatus::kComplete) break;
        if (allowed_trailer(line.header)) trailers_.push_back(line.header);
        text.remove_prefix(line.length);
      }
      return BodyStatus::kEnd;
    }
  }
  return BodyStatus::kError;
}

asio::awaitable<BodyStatus> Http1Upstream::read_body(Pieces& out) {
  out.clear();
  const std::size_t capacity = connection_->capacity;
  char* buf = connection_->buffer.get();
  // What was handed on is taken; a partial chunk or trailer line moves to the front.
  if (start_ == end_) {
    start_ = end_ = 0;
  } else if (start_ > 0) {
    std::memmove(buf, buf + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  if (end_ == capacity) co_return BodyStatus::kError;  // a line longer than the buffer
  auto [ec, n] = co_await connection_->read_some(asio::buffer(buf + end_, capacity - end_));
  if (ec) {
    // The pod's close ends a body that runs until it; any other body is cut short.
    if (connection_->response.body_kind == http1::BodyKind::kUntilClose && !down_.timed_out())
      co_return BodyStatus::kEnd;
    co_return BodyStatus::kError;
  }
  end_ += n;
  co_return buffered_body(out);
}

#pragma GCC diagnostic pop

void Http1Upstream::cut() {
  if (connection_) interrupt(connection_->socket());
}

void Http1Upstream::finish(bool clean) {
  if (clean && connection_ && connection_->response.keep_alive && start_ == end_ &&
      connection_->response.body_kind != http1::BodyKind::kUntilClose)
    down_.worker().pool().release(pod_, std::move(connection_), Clock::now());
  connection_.reset();
}

UpstreamConnection* Http1Upstream::tunnel_connection(std::size_t& start, std::size_t& end) {
  start = start_;
  end = end_;
  return connection_.get();
}

}  // namespace gatehouse::proxy
