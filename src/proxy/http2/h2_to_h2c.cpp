// HTTP/2 client to an HTTP/2 cleartext pod (appProtocol kubernetes.io/h2c): the exchange opens a
// stream on the worker's connection to that pod and relays both ways at once, frames' meaning
// kept: request body while the response streams (gRPC bidi), trailers (grpc-status), and resets.
// g++ 12: awaited values are stored in locals before they are tested (see session.cpp).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "proxy/forward_headers.h"
#include "proxy/http2/fields.h"
#include "proxy/http2/h2_connection.h"
#include "proxy/http2/h2_stream.h"
#include "proxy/http2/h2_pick.h"
#include "proxy/http2/h2_upstream.h"
#include "proxy/worker.h"

namespace gatehouse::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Request fields gatehouse replaces; everything else crosses as sent (nghttp2 has refused the
// connection-specific ones, and `te: trailers` is what gRPC needs).
bool replaced(std::string_view name) { return name == "host" || is_forwarding_field(name); }

}  // namespace

asio::awaitable<void> H2Connection::pump_request_body(std::shared_ptr<Stream> stream,
                                                      std::shared_ptr<H2Upstream> pod,
                                                      std::shared_ptr<H2Upstream::Stream> up) {
  Stream& s = *stream;
  // The client's bytes go to the pod as its window allows; the client's window reopens by as
  // much once nghttp2 has sent them.
  for (;;) {
    if (gone(s) || s.closed || up->ended) break;
    if (up->sent < up->outgoing.size()) {
      co_await wait(s);
      continue;
    }
    if (!up->outgoing.empty()) {
      if (!s.closed) nghttp2_session_consume(session_, s.id, up->outgoing.size());
      up->outgoing.clear();
      up->sent = 0;
      wake_writer();
    }
    if (!s.body.empty()) {
      up->outgoing.swap(s.body);
      pod->resume(*up);
      continue;
    }
    if (s.end_stream) {
      up->body_eof = true;
      pod->resume(*up);
      break;
    }
    co_await wait(s);
  }
  --live_exchanges_;
  done_wake_.cancel();
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC bug 109224, see h2_exchange.cpp
asio::awaitable<void> H2Connection::forward_h2c(Stream& s, Generation& generation,
                                                std::uint32_t cluster) {
  const ProxyOptions& options = worker_.options();
  H2Pick pick = co_await pick_h2_upstream(worker_, generation, cluster);
  if (gone(s)) co_return;
  if (!pick.connection) {
    co_return reply(s, pick.timed_out ? 504 : 502,
                    pick.timed_out ? "connecting to the pod timed out"
                                   : "could not connect to any endpoint");
  }
  std::shared_ptr<H2Upstream> pod = std::move(pick.connection);
  EndpointState* state = pick.state;
  EndpointState& load = *state;
  ++load.active;
  struct Active {
    EndpointState& e;
    ~Active() { --e.active; }
  } active{load};

  // The request HEADERS: the client's fields plus the forwarding ones (lower-case in HTTP/2).
  const Forwarding forwarding = forwarding_of(s);
  const std::string_view host = forwarding.host;
  s.head.clear();
  append_forwarding_fields(s.head, forwarding, [this] { return worker_.next_random(); });
  std::vector<nghttp2_nv> nv;
  nv.reserve(s.headers.size() + 10);
  nv.push_back(field(":method", s.method));
  nv.push_back(field(":scheme", "http"));
  nv.push_back(field(":authority", host));
  nv.push_back(field(":path", s.path));
  for (const auto& [name, value] : s.headers)
    if (!replaced(name)) nv.push_back(field(name, value));
  add_lines_as_fields(s.head, nv);
  const bool has_body = !(s.end_stream && s.body.empty());
  auto self = streams_.find(s.id);
  if (self == streams_.end()) co_return;  // closed meanwhile
  std::shared_ptr<H2Upstream::Stream> up = pod->open(nv, has_body, s.wake, self->second);
  if (!up) {
    worker_.record_failure(load);
    co_return reply(s, 502, "the pod's HTTP/2 connection refused a new stream");
  }
  struct Cancel {  // a client that goes away cancels the pod's stream too
    H2Upstream& pod;
    H2Upstream::Stream& up;
    ~Cancel() { pod.cancel(up); }
  } cancel{*pod, *up};
  if (has_body) {
    ++live_exchanges_;
    asio::co_spawn(worker_.io(), pump_request_body(self->second, pod, up), asio::detached);
  }

  // The response head.
  s.deadline = Clock::now() + options.timeouts.header;
  while (!up->head_done && !up->ended && !gone(s)) {
    co_await wait(s);
    if (s.timed_out) break;
  }
  if (gone(s)) co_return;
  if (!up->head_done) {
    if (s.timed_out) co_return reply(s, 504, "the pod did not answer in time");
    worker_.record_failure(load);
    co_return reply(s, 502, "the pod reset the stream before answering");
  }
  Worker::record_success(load);
  char status_digits[4];
  std::snprintf(status_digits, sizeof status_digits, "%03d", up->status);
  std::vector<nghttp2_nv> response;
  response.reserve(up->headers.size() + 1);
  response.push_back(field(":status", status_digits));
  for (const auto& [name, value] : up->headers) response.push_back(field(name, value));
  ++worker_.stats().responses[up->status / 100 % 6];
  s.responded = true;
  s.deadline = Clock::now() + options.timeouts.body_io;
  // A response that ended with its HEADERS (gRPC's trailers-only errors) has no body.
  if (up->ended && up->incoming.empty() && up->error == NGHTTP2_NO_ERROR) {
    nghttp2_submit_response(session_, s.id, response.data(), response.size(), nullptr);
    s.eof_sent = true;
    wake_writer();
    co_return;
  }
  nghttp2_data_provider provider{};
  provider.source.ptr = &s;
  provider.read_callback = &H2Connection::provide;
  s.trailers = &up->trailers;
  nghttp2_submit_response(session_, s.id, response.data(), response.size(), &provider);
  wake_writer();
  std::string sending;  // what the pieces point into; the pod's callbacks append elsewhere
  for (;;) {
    if (gone(s)) co_return;
    if (s.pieces_drained() && !sending.empty()) {
      pod->consume(*up, sending.size());
      sending.clear();
    }
    if (s.pieces_drained() && !up->incoming.empty()) {
      sending.swap(up->incoming);
      s.pieces.assign(1, asio::buffer(sending));
      s.piece = 0;
      resume(s);
      continue;
    }
    if (s.pieces_drained() && up->ended) {
      if (up->error != NGHTTP2_NO_ERROR) {
        // The pod reset its stream: so does the client's, with the same code.
        nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, up->error);
        wake_writer();
        co_return;
      }
      s.body_eof = true;
      resume(s);
      while (!s.eof_sent && !gone(s)) co_await wait(s);
      co_return;
    }
    // Woken by the pod (bytes, trailers, end) or by the client's window (pieces drained).
    co_await wait(s);
    if (s.timed_out) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_CANCEL);
      wake_writer();
      co_return;
    }
    s.deadline = Clock::now() + options.timeouts.body_io;
  }
}
#pragma GCC diagnostic pop

}  // namespace gatehouse::proxy
