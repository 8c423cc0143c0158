// The two sides of one exchange as forward() sees them (docs/decisions/0013). A Downstream is the
// client's side of one request: an HTTP/1.1 connection (Session) or one HTTP/2 stream
// (H2Downstream). An Upstream is the pod's side: HTTP/1.1, plain or TLS (Http1Upstream), or a
// stream on an h2c connection (H2cUpstream). A new protocol on either side is a new adapter;
// forward() does not change.
//
// Every method that waits returns an awaitable; none throws. Pieces handed over stay valid until
// the giver's next body call, so a body crosses without a copy where the protocols allow it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "proxy/exchange/forward_error.h"
#include "proxy/exchange/message.h"

namespace gatehouse::proxy {

class Worker;
class Upstream;
struct Forwarding;
struct UpstreamConnection;

// What forward() is waiting for: each has its deadline (options.h Timeouts).
enum class Stage : std::uint8_t { kConnect, kRequestBody, kResponseHead, kResponseBody };

class Downstream {
 public:
  virtual Worker& worker() = 0;
  virtual RequestHead& request() = 0;
  // Reused storage for the normalized path and for a redirect's Location.
  virtual std::string& path_storage() = 0;
  virtual std::string& scratch() = 0;
  // The forwarding fields' inputs that only the connection knows (peer address, port, TLS).
  virtual Forwarding forwarding() const = 0;

  // ---- deadlines and cancellation
  // Starts `stage` with its deadline, `timeout` from now.
  virtual void set_deadline(Stage stage, std::chrono::milliseconds timeout) = 0;
  // A deadline passed; the flag stays until clear_timeout().
  virtual bool timed_out() const = 0;
  virtual void clear_timeout() = 0;
  // The client went away (or reset its stream): the exchange stops, answering nothing.
  virtual bool gone() const = 0;
  // What a deadline or the client's going cuts while the exchange waits on it; null: nothing.
  virtual void watch(Upstream* upstream) = 0;
  // An event (a timer that never expires; cancel() wakes its waiters) for upstreams whose
  // progress is signalled rather than read from a socket (h2c), and what keeps it alive.
  virtual boost::asio::steady_timer& event() = 0;
  virtual std::shared_ptr<void> event_owner() = 0;
  // Both directions may flow at once (an HTTP/2 stream): the request body is pumped beside the
  // response when the upstream can take it so (gRPC bidi streams).
  virtual bool full_duplex() const = 0;

  // Reused storage for the response body's pieces.
  virtual Pieces& response_pieces() = 0;

  // ---- the request body
  // The body bytes that arrived with the head, without waiting; `last`: they are all of it.
  virtual void buffered_body(Pieces& out, bool& last) = 0;
  // The next bytes (the previous pieces count as taken).
  virtual boost::asio::awaitable<BodyStatus> read_body(Pieces& out) = 0;
  // Makes a pending read_body return kGone: the exchange ended while the body still came.
  virtual void stop_body() = 0;
  // 100 Continue, for a client that waits for it before sending its body.
  virtual boost::asio::awaitable<bool> send_continue() = 0;

  // ---- the response
  // The head with the first body pieces; `last`: the body ends with them (then `trailers`).
  virtual boost::asio::awaitable<bool> send_head(const ResponseHead& head, const Pieces& first,
                                                 bool last, std::span<const Field> trailers) = 0;
  virtual boost::asio::awaitable<bool> send_body(const Pieces& pieces, bool last,
                                                 std::span<const Field> trailers) = 0;
  // The body broke off: the client must not take what it got for the whole. `pod_reset`: the
  // HTTP/2 error code the pod reset its stream with (0: none), for a client that can be told.
  virtual void abort_response(std::uint32_t pod_reset) = 0;
  // gatehouse's own response (404, 502, 308 with `location`); `close`: the connection ends
  // after it (HTTP/1.1).
  virtual boost::asio::awaitable<void> reply(int status, std::string_view detail,
                                             std::string_view location, bool close) = 0;
  // A 101 for a WebSocket upgrade: relays bytes both ways until either side closes. Only
  // HTTP/1.1 clients ask for it (RequestHead::upgrade).
  virtual boost::asio::awaitable<void> tunnel(UpstreamConnection& pod, std::size_t start,
                                              std::size_t end) = 0;

 protected:
  ~Downstream() = default;
};

class Upstream {
 public:
  // Takes an idle connection to `pod` from the worker's pool, without waiting; false: none.
  virtual bool reuse(const boost::asio::ip::tcp::endpoint& pod) = 0;
  // Opens a new connection to `pod`.
  virtual boost::asio::awaitable<ForwardError> open(const boost::asio::ip::tcp::endpoint& pod) = 0;
  // The connection served a request before (a stale keep-alive may fail on it).
  virtual bool reused() const = 0;
  // Sends the head and the first body pieces; `last`: they are the whole body.
  virtual boost::asio::awaitable<ForwardError> send_head(const RequestHead& head,
                                                         const Forwarding& forwarding,
                                                         const Pieces& first, bool last) = 0;
  // False: the pod stopped taking the body (it may have answered anyway).
  virtual boost::asio::awaitable<bool> send_body(const Pieces& pieces, bool last) = 0;
  // The final response's head (interim 1xx responses are not forwarded).
  virtual boost::asio::awaitable<ForwardError> read_head(ResponseHead& out) = 0;
  // The body bytes that came with the head, without waiting (kEnd: the whole body).
  virtual BodyStatus buffered_body(Pieces& out) = 0;
  virtual boost::asio::awaitable<BodyStatus> read_body(Pieces& out) = 0;
  // The HTTP/2 error code the pod reset the stream with; 0: none (or not HTTP/2).
  virtual std::uint32_t reset_code() const = 0;
  // The response's trailers, once the body ended.
  virtual std::span<const Field> trailers() const = 0;
  virtual bool full_duplex() const = 0;
  // A deadline passed or the client went away: stop what is pending.
  virtual void cut() = 0;
  // The exchange is over; `clean`: both messages went through whole, so the connection may
  // serve another request.
  virtual void finish(bool clean) = 0;
  // For a 101: the connection and the bytes [start, end) of its buffer read past the head.
  virtual UpstreamConnection* tunnel_connection(std::size_t& start, std::size_t& end) = 0;

 protected:
  ~Upstream() = default;
};

}  // namespace gatehouse::proxy
