// A Session is one client connection (flow f1) on one worker: it reads requests, matches each
// against the worker's current RouteTable, and forwards it to a pod (flow f2), streaming bodies
// both ways through fixed buffers. Requests on one connection are handled one at a time, in
// order, so pipelined requests are answered in order.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "proxy/forward_headers.h"
#include "proxy/http1/chunked.h"
#include "proxy/http1/parser.h"
#include "proxy/transport.h"
#include "proxy/upstream_pool.h"

namespace gatehouse::proxy {

class Worker;
struct Generation;
class H2Connection;

class Session {
 public:
  // `peer` (from accept) and `local_port` (the listener's, for X-Forwarded-Port) come from the
  // caller so that a connection costs no getpeername/getsockname. `ssl` (owned from now on) makes
  // it a TLS connection; null for plain HTTP.
  Session(Worker& worker, boost::asio::ip::tcp::socket socket, SSL* ssl,
          const boost::asio::ip::tcp::endpoint& peer, std::uint16_t local_port);
  ~Session();

  // Runs the session to its end; the shared_ptr keeps it alive for its watchdog too.
  static boost::asio::awaitable<void> start(std::shared_ptr<Session> self);
  // Graceful shutdown: closes the connection now if it is between requests.
  void close_if_idle();

 private:
  enum class Phase : std::uint8_t {
    kHandshake,     // TLS: the handshake
    kIdle,          // waiting for the first byte of a request (keep-alive)
    kRequest,       // reading a request head or body
    kConnect,       // connecting to a pod
    kUpstreamHead,  // waiting for the pod's response head
    kResponse,      // streaming the response
    kTunnel,        // an upgraded connection
    kHttp2,         // served by an H2Connection, which keeps its own deadlines
    kClosed,
  };
  enum class Outcome : std::uint8_t { kKeepAlive, kClose };

  boost::asio::awaitable<void> run();
  // Serves the rest of the connection as HTTP/2; `initial` bytes are already in in_.
  boost::asio::awaitable<void> run_http2(std::size_t initial);
  boost::asio::awaitable<void> watchdog(std::shared_ptr<Session> self);
  // Half-closes and drops what the client still sends before the connection closes.
  boost::asio::awaitable<void> linger();
  void set_deadline(Phase phase, std::chrono::milliseconds timeout);
  void on_timeout();

  // One request, whose head is parsed in request_ (consumed_head bytes at in_start_).
  boost::asio::awaitable<Outcome> handle(std::size_t head_size);
  // To a pod speaking HTTP/1.1, over TLS when `tls`.
  boost::asio::awaitable<Outcome> forward(Generation& generation, std::uint32_t cluster,
                                          std::size_t head_size, bool tls);
  // To a pod speaking HTTP/2 cleartext (h1_to_h2c.cpp).
  boost::asio::awaitable<Outcome> forward_h2c(Generation& generation, std::uint32_t cluster,
                                              std::size_t head_size);
  enum class BodyResult : std::uint8_t { kSent, kClientError, kClientGone, kPodFailed };
  boost::asio::awaitable<BodyResult> send_request_body(UpstreamConnection& upstream);
  boost::asio::awaitable<bool> send_response_body(UpstreamConnection& upstream,
                                                  std::size_t& up_start, std::size_t& up_end,
                                                  bool& upstream_clean, bool& client_ok);
  boost::asio::awaitable<void> tunnel(UpstreamConnection& upstream, std::size_t up_start,
                                      std::size_t up_end);
  // A response of gatehouse's own; `location` (for redirects) is sent as Location.
  boost::asio::awaitable<Outcome> reply(int status, bool close, std::string_view detail = {},
                                        std::string_view location = {});
  boost::asio::awaitable<bool> write_client(std::string_view bytes);
  // Drops request bytes not yet read so the connection can be reused, or says it cannot.
  boost::asio::awaitable<bool> discard_request_body();

  void build_upstream_head(std::string_view path, const boost::asio::ip::tcp::endpoint& pod);
  // The forwarding fields' inputs for the current request: the client's X-Forwarded-For field
  // (null: none) and whether it sent an X-Request-ID.
  Forwarding forwarding_of(const http1::Header* forwarded_for, bool has_request_id) const;
  void build_response_head(const http1::Response& response, bool close);
  void compact_input();
  // Turns Nagle off once a connection writes more than one segment per exchange (streamed bodies,
  // a second request, a tunnel). A lone response goes out in one write and needs no syscall.
  void ensure_nodelay();

  Worker& worker_;
  Transport client_;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::steady_clock::time_point armed_;
  Phase phase_ = Phase::kIdle;
  bool timed_out_ = false;

  std::unique_ptr<char[]> in_;  // client bytes: [in_start_, in_end_) not yet used
  std::size_t in_start_ = 0;
  std::size_t in_end_ = 0;
  http1::Request request_;
  http1::Response response_;
  std::string path_;      // the normalized path of the current request
  std::string head_;      // the head being written (upstream request or client response)
  std::string location_;  // a redirect's target
  std::string client_ip_;
  std::uint16_t local_port_ = 0;
  std::vector<boost::asio::const_buffer> pieces_;  // decoded chunk data to write, reused
  UpstreamConnection* upstream_ = nullptr;  // in use by the current request, for on_timeout
  bool upgrade_ = false;  // the current request asks for an Upgrade gatehouse will tunnel
  bool h2c_ = false;      // the client sent the HTTP/2 preface on a plain connection
  H2Connection* h2_ = nullptr;  // while the connection speaks HTTP/2
  boost::asio::steady_timer* h2_wake_ = nullptr;  // forward_h2c's event, for on_timeout
  bool nodelay_ = false;
  bool answering_head_ = false;  // the request being handled is HEAD: replies carry no body
  bool linger_ = false;  // an error reply closes the connection: linger() before closing
  std::uint64_t requests_ = 0;  // requests handled on this connection
};

}  // namespace gatehouse::proxy
