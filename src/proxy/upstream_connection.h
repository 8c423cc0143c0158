// One connection to a pod (flow f2), plain TCP or TLS, with its read buffer (reused across
// requests). Like ClientStream, one non-virtual interface whose operations return the chosen
// layer's own awaitable: a plain connection pays one predictable branch per I/O.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <memory>

namespace gatehouse::proxy {

class UpstreamConnection {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using TlsStream = boost::asio::ssl::stream<Socket&>;
  static constexpr auto kTuple = boost::asio::as_tuple(boost::asio::use_awaitable);

  UpstreamConnection(Socket s, std::size_t buffer_size)
      : socket(std::move(s)), buffer(new char[buffer_size]) {}
  // Closing without close_notify would make OpenSSL mark the session unresumable (its guard
  // against truncation), and the next connection to the pod would pay a full handshake. A quiet
  // shutdown only records that we are done; a session a fatal error spoiled stays spoiled.
  ~UpstreamConnection() {
    if (SSL* s = ssl()) {
      SSL_set_quiet_shutdown(s, 1);
      SSL_shutdown(s);
    }
  }
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  // Makes this a TLS connection over `ssl` (owned from now on); the handshake comes next.
  void use_tls(SSL* ssl) { tls_ = std::make_unique<TlsStream>(socket, ssl); }
  bool tls() const { return tls_ != nullptr; }
  SSL* ssl() { return tls_ ? tls_->native_handle() : nullptr; }
  auto handshake() { return tls_->async_handshake(boost::asio::ssl::stream_base::client, kTuple); }

  template <class Buffers>
  auto read_some(const Buffers& buffers) {
    return tls_ ? tls_->async_read_some(buffers, kTuple) : socket.async_read_some(buffers, kTuple);
  }
  // Writes all of `buffers`.
  template <class Buffers>
  auto write(const Buffers& buffers) {
    return tls_ ? boost::asio::async_write(*tls_, buffers, kTuple)
                : boost::asio::async_write(socket, buffers, kTuple);
  }

  Socket socket;  // interrupt() it to stop I/O (interrupt.h), never close it under a coroutine
  std::unique_ptr<char[]> buffer;
  boost::asio::ip::tcp::endpoint pod;  // set for TLS: its session is kept under this address
  std::chrono::steady_clock::time_point idle_since;
  bool reused = false;  // served a request before: an early EOF may be a stale keep-alive

 private:
  std::unique_ptr<TlsStream> tls_;  // null: plain
};

}  // namespace gatehouse::proxy
