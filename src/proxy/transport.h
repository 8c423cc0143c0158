// A TCP connection, plain or TLS, behind one non-virtual interface: the client side of a
// connection (flow f1, TLS as the server) and a connection to a pod (flow f2, TLS as the client)
// are both one, so Session and the forwarders are written once. Each operation returns the
// chosen layer's own awaitable (both arms have one type): no extra coroutine frame, and a plain
// connection pays one predictable branch per I/O. Call sites store the awaited tuple in a local
// (g++ 12, see session.cpp).
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <array>
#include <memory>
#include <span>
#include <string_view>

namespace gatehouse::proxy {

class Transport {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using TlsStream = boost::asio::ssl::stream<Socket&>;
  static constexpr auto kTuple = boost::asio::as_tuple(boost::asio::use_awaitable);

  explicit Transport(Socket socket) : socket_(std::move(socket)) {}
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Makes this a TLS connection over `ssl` (owned from now on); the handshake comes next.
  void use_tls(SSL* ssl) { tls_ = std::make_unique<TlsStream>(socket_, ssl); }
  bool tls() const { return tls_ != nullptr; }
  SSL* ssl() const { return tls_ ? tls_->native_handle() : nullptr; }
  // The protocol ALPN chose ("h2", "http/1.1"), "" when none (or plain).
  std::string_view alpn() const {
    if (!tls_) return {};
    const unsigned char* name = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(tls_->native_handle(), &name, &length);
    return {reinterpret_cast<const char*>(name), length};
  }

  // As the server for client connections, as the client for pods.
  auto handshake(boost::asio::ssl::stream_base::handshake_type side) {
    return tls_->async_handshake(side, kTuple);
  }
  // Sends close_notify (and waits for the peer's): the response ended with the connection.
  auto shutdown() { return tls_->async_shutdown(kTuple); }

  template <class Buffers>
  auto read_some(const Buffers& buffers) {
    return tls_ ? tls_->async_read_some(buffers, kTuple) : socket_.async_read_some(buffers, kTuple);
  }
  // read_some for any completion token (a handler the caller stores, say).
  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    if (tls_) return tls_->async_read_some(buffers, std::forward<Token>(token));
    return socket_.async_read_some(buffers, std::forward<Token>(token));
  }
  // Writes all of `buffers`.
  template <class Buffers>
  auto write(const Buffers& buffers) {
    return tls_ ? boost::asio::async_write(*tls_, buffers, kTuple)
                : boost::asio::async_write(socket_, buffers, kTuple);
  }

  // Writes `count` buffers. Asio's write has a fast path for one buffer and for an array of two;
  // any other sequence goes through a generic operation whose 64-buffer scratch makes it too big
  // for Asio's recycling, a malloc per write. A head with its body is two buffers.
  auto write_gathered(const boost::asio::const_buffer* buffers, std::size_t count) {
    if (count == 1) return write(buffers[0]);
    if (count == 2) return write(std::array<boost::asio::const_buffer, 2>{buffers[0], buffers[1]});
    return write(std::span<const boost::asio::const_buffer>(buffers, count));
  }

  // interrupt() it to stop I/O (interrupt.h); never close it under a waiting coroutine.
  Socket& socket() { return socket_; }
  bool is_open() const { return socket_.is_open(); }
  void close(boost::system::error_code& ec) { socket_.close(ec); }

 private:
  Socket socket_;
  std::unique_ptr<TlsStream> tls_;  // null: plain
};

}  // namespace gatehouse::proxy
