// A Session is one client connection (flow f1) on one worker. Spoken as HTTP/1.1 it is the
// downstream adapter of its requests (exchange/adapters.h): it reads each request head, hands it
// to forward() as a RequestHead, and turns the response forward() gives back into HTTP/1.1,
// streaming bodies both ways through fixed buffers. Requests on one connection are handled one
// at a time, in order, so pipelined requests are answered in order. Spoken as HTTP/2 (ALPN h2,
// or the h2c preface) the connection is handed to an H2Connection.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "proxy/exchange/adapters.h"
#include "proxy/forward_headers.h"
#include "proxy/http1/chunked.h"
#include "proxy/http1/parser.h"
#include "proxy/transport.h"
#include "proxy/upstream_pool.h"

namespace gatehouse::proxy {

class Worker;
struct Generation;
class H2Connection;

class Session final : public Downstream, public std::enable_shared_from_this<Session> {
 public:
  // `peer` (from accept) and `local_port` (the listener's, for X-Forwarded-Port) come from the
  // caller so that a connection costs no getpeername/getsockname. `ssl` (owned from now on) makes
  // it a TLS connection; null for plain HTTP. `proxy_protocol`: the connection starts with a
  // PROXY protocol header, whose client address replaces `peer`.
  Session(Worker& worker, boost::asio::ip::tcp::socket socket, SSL* ssl,
          const boost::asio::ip::tcp::endpoint& peer, std::uint16_t local_port,
          bool proxy_protocol = false);
  ~Session();

  // Runs the session to its end; the shared_ptr keeps it alive for its watchdog too.
  static boost::asio::awaitable<void> start(std::shared_ptr<Session> self);
  // Graceful shutdown: closes the connection now if it is between requests.
  void close_if_idle();

  // ---- Downstream: the current request, for forward()
  Worker& worker() override { return worker_; }
  RequestHead& request() override { return exchange_; }
  std::string& path_storage() override { return path_; }
  std::string& scratch() override { return scratch_; }
  Forwarding forwarding() const override;
  void set_deadline(Stage stage, std::chrono::milliseconds timeout) override;
  bool timed_out() const override { return timed_out_; }
  void clear_timeout() override { timed_out_ = false; }
  bool gone() const override { return client_failed_; }
  void watch(Upstream* upstream) override { watched_ = upstream; }
  boost::asio::steady_timer& event() override { return event_; }
  std::shared_ptr<void> event_owner() override { return shared_from_this(); }
  bool full_duplex() const override { return false; }
  Pieces& response_pieces() override { return response_pieces_; }
  void buffered_body(Pieces& out, bool& last) override;
  boost::asio::awaitable<BodyStatus> read_body(Pieces& out) override;
  void stop_body() override {}
  boost::asio::awaitable<bool> send_continue() override;
  boost::asio::awaitable<bool> send_head(const ResponseHead& head, const Pieces& first, bool last,
                                         std::span<const Field> trailers) override;
  boost::asio::awaitable<bool> send_body(const Pieces& pieces, bool last,
                                         std::span<const Field> trailers) override;
  void abort_response(std::uint32_t) override { close_ = true; }
  boost::asio::awaitable<void> reply(int status, std::string_view detail,
                                     std::string_view location, bool close) override;
  boost::asio::awaitable<void> tunnel(UpstreamConnection& pod, std::size_t start,
                                      std::size_t end) override;

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
  // Reads the PROXY protocol header, exactly, and takes its client address. False: close.
  boost::asio::awaitable<bool> read_proxy_header();
  void set_client_address(boost::asio::ip::address address);
  // Serves the rest of the connection as HTTP/2; `initial` bytes are already in in_.
  boost::asio::awaitable<void> run_http2(std::size_t initial);
  boost::asio::awaitable<void> watchdog(std::shared_ptr<Session> self);
  // Half-closes and drops what the client still sends before the connection closes.
  boost::asio::awaitable<void> linger();
  void set_phase_deadline(Phase phase, std::chrono::milliseconds timeout);
  void on_timeout();

  // One request, whose head is parsed in request_ (head_size bytes at in_start_).
  boost::asio::awaitable<Outcome> handle(std::size_t head_size);
  // The RequestHead of request_ (its end-to-end fields compacted in place).
  void describe_request();
  // gatehouse's own response, with the connection's framing decided by the caller.
  boost::asio::awaitable<Outcome> reply_now(int status, bool close, std::string_view detail = {},
                                            std::string_view location = {});
  boost::asio::awaitable<bool> write_client(std::string_view bytes);
  // Writes the `used` buffers frame_body put in out_, then pieces[next...] a few at a time.
  boost::asio::awaitable<bool> write_body(const Pieces& pieces, std::size_t used,
                                          std::size_t next);
  // Fills out_ with the response's framing of `pieces`, after the head in head_ when
  // `with_head`; `last` ends a chunked body (with `trailers`). `next`: the first piece that did
  // not fit.
  std::size_t frame_body(bool with_head, const Pieces& pieces, bool last,
                         std::span<const Field> trailers, std::size_t& next);
  // Adds pieces[next...] to out_ after `used` buffers, and the chunk's end once all fit.
  std::size_t frame_more(const Pieces& pieces, std::size_t& next, std::size_t used);
  boost::asio::awaitable<bool> write_out(std::size_t used);
  void build_response_head(const ResponseHead& response);
  void compact_input();
  // Turns Nagle off once a connection writes more than one segment per exchange (streamed bodies,
  // a second request, a tunnel). A lone response goes out in one write and needs no syscall.
  void ensure_nodelay();

  Worker& worker_;
  Transport client_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer event_;  // Downstream::event(): never expires, cancel() wakes
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::steady_clock::time_point armed_;
  Phase phase_ = Phase::kIdle;
  bool timed_out_ = false;

  std::unique_ptr<char[]> in_;  // client bytes: [in_start_, in_end_) not yet used
  std::size_t in_start_ = 0;
  std::size_t in_end_ = 0;
  http1::Request request_;
  RequestHead exchange_;  // request_ as forward() sees it
  std::string path_;      // the normalized path of the current request
  std::string head_;      // the response head being written
  std::string scratch_;   // the upstream request head, or a redirect's Location
  std::string client_ip_;
  std::uint16_t local_port_ = 0;
  Pieces response_pieces_;
  std::array<boost::asio::const_buffer, 16> out_;  // the buffers of the next client write
  std::size_t tail_at_ = 0, tail_size_ = 0;        // the last chunk's text in head_
  Upstream* watched_ = nullptr;  // cut by on_timeout
  // The request body: what is left of a Content-Length body, or the chunked decoder.
  std::uint64_t body_remaining_ = 0;
  http1::ChunkedDecoder body_decoder_;
  bool body_done_ = true;
  // The response: chunked to the client (its length unknown), or until the connection closes.
  bool chunked_out_ = false;
  bool close_ = false;  // the connection ends after this exchange
  bool client_failed_ = false;  // a read or write on the client failed: it is gone
  bool h2c_ = false;      // the client sent the HTTP/2 preface on a plain connection
  bool proxy_protocol_ = false;  // the connection starts with a PROXY protocol header
  H2Connection* h2_ = nullptr;  // while the connection speaks HTTP/2
  bool nodelay_ = false;
  bool answering_head_ = false;  // the request being handled is HEAD: replies carry no body
  bool linger_ = false;  // an error reply closes the connection: linger() before closing
  std::uint64_t requests_ = 0;  // requests handled on this connection
};

}  // namespace gatehouse::proxy
