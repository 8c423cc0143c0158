// The state of one HTTP/2 request stream, shared by the nghttp2 callbacks (which fill it) and the
// stream's exchange coroutine (which forwards it). Private to src/proxy/http2.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <span>

#include "proxy/exchange/adapters.h"
#include "proxy/http2/h2_connection.h"
#include "proxy/upstream_pool.h"

namespace gatehouse::proxy {

struct H2Connection::Stream {
  Stream(boost::asio::any_io_executor executor, std::int32_t stream_id)
      : id(stream_id), wake(std::move(executor), std::chrono::steady_clock::time_point::max()) {}

  const std::int32_t id;
  // ---- the request, as the callbacks received it
  std::string method, scheme, authority, path;  // path with its query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // regular fields, names lower-case
  std::size_t header_bytes = 0;
  bool too_large = false;         // over Http2Limits::max_header_list: answered 431
  bool headers_done = false;      // the request's HEADERS (with CONTINUATIONs) arrived
  bool end_stream = false;        // the client sent END_STREAM: the body is complete
  std::string body;               // request body bytes not yet sent to the pod
  std::string sending;            // the bytes being sent (swapped with body; capacity reused)
  bool discard_body = false;      // answered without the body: bytes are dropped as they come

  // ---- the response body nghttp2 reads (read_body): pieces of the pod's buffer or local_body
  std::vector<boost::asio::const_buffer> pieces;
  std::size_t piece = 0;   // the next piece to send
  bool body_eof = false;   // no piece follows the current ones
  bool deferred = false;   // nghttp2 asked and got nothing: resume_data needed
  bool eof_sent = false;   // nghttp2 took the end of the body: the pieces are no longer read
  bool responded = false;  // a response was submitted
  std::string local_body;  // gatehouse's own answer
  // Trailers to send after the body (a pod's, e.g. grpc-status); empty: none.
  std::span<const Field> trailers;

  // ---- the exchange
  bool closed = false;  // nghttp2 closed the stream (done, or reset by either side)
  bool exchange_running = false;
  bool detached = false;  // closed while its exchange ran, not whole: counted in detached_exchanges_
  bool reset = false;   // closed before the exchange finished: stop, do not pool the pod
  std::chrono::steady_clock::time_point deadline;
  bool timed_out = false;
  Upstream* watched = nullptr;  // what a deadline or a reset cuts (Downstream::watch)
  std::string head;             // the upstream request head, the response's lower-cased names
  // An event, never expiring: cancel() wakes every coroutine waiting on it (the exchange, and
  // for an HTTP/2 pod the request-body pump), which then re-check the state above.
  boost::asio::steady_timer wake;

  bool pieces_drained() const { return piece == pieces.size(); }
};

}  // namespace gatehouse::proxy
