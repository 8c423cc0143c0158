// The request side of H2Connection: one coroutine per stream, whose H2Downstream hands the
// request to forward() (exchange/forward.h), the one request path of every protocol pair; the
// stream ends cleanly whatever forward() did.
// g++ 12: awaited values are stored in locals before they are tested (see forward.cpp).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <array>
#include <cstdio>

#include "proxy/exchange/forward.h"
#include "proxy/forward_headers.h"
#include "proxy/http2/fields.h"
#include "proxy/http2/h2_connection.h"
#include "proxy/http2/h2_downstream.h"
#include "proxy/http2/h2_stream.h"
#include "proxy/status_text.h"
#include "proxy/worker.h"

namespace gatehouse::proxy {

namespace asio = boost::asio;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
}  // namespace

bool H2Connection::gone(const Stream& s) const { return s.reset || closing_; }

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

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC bug 109224 (coroutine frames)
asio::awaitable<void> H2Connection::exchange(std::shared_ptr<Stream> stream) {
  Stream& s = *stream;
  s.exchange_running = true;
  {
    H2Downstream down(*this, stream);
    const int refused = down.describe_request();
    ExchangeRecord record;
    if (refused != 0)
      reply(s, refused);
    else
      co_await forward(down, record);
  }
  // Ended without an answer (its deadline passed while the body came, say): the client must
  // not wait for one.
  if (!s.responded && !s.closed && !closing_) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_CANCEL);
    s.reset = true;
  }
  // The response body nghttp2 still reads points into buffers of this exchange or the stream:
  // wait until the end of it has been taken (or the stream is gone).
  while (s.responded && !s.eof_sent && !gone(s) && !s.closed) co_await wait(s);
  if (!s.eof_sent) {
    // Cut short: the pieces may point into buffers the forwarding just freed, and the stream
    // may still be asked for data while the connection flushes its last frames.
    s.pieces.clear();
    s.piece = 0;
    s.body_eof = false;  // never an END_STREAM that would pass a truncated body as whole
    s.trailers = {};
  }
  // Answered before the client finished sending: its remaining DATA is dropped (and counted
  // back into the windows), so the stream can end.
  if (!s.end_stream && !s.closed) {
    s.discard_body = true;
    if (!s.body.empty()) nghttp2_session_consume(session_, s.id, s.body.size());
    s.body.clear();
  }
  s.exchange_running = false;
  if (s.detached) --detached_exchanges_;
  --live_exchanges_;
  wake_writer();
  done_wake_.cancel();
}

#pragma GCC diagnostic pop

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

}  // namespace gatehouse::proxy
