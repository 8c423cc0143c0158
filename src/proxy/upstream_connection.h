// One connection to a pod (flow f2), plain TCP or TLS, with its read buffer (reused across
// requests) and what the pool needs to know about it.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>

#include "proxy/transport.h"

namespace gatehouse::proxy {

struct UpstreamConnection : Transport {
  UpstreamConnection(Socket s, std::size_t buffer_size)
      : Transport(std::move(s)), buffer(new char[buffer_size]) {}
  // Closing without close_notify would make OpenSSL mark the session unresumable (its guard
  // against truncation), and the next connection to the pod would pay a full handshake. A quiet
  // shutdown only records that we are done; a session a fatal error spoiled stays spoiled.
  ~UpstreamConnection() {
    if (SSL* s = ssl()) {
      SSL_set_quiet_shutdown(s, 1);
      SSL_shutdown(s);
    }
  }

  std::unique_ptr<char[]> buffer;
  boost::asio::ip::tcp::endpoint pod;  // set for TLS: its session is kept under this address
  std::chrono::steady_clock::time_point idle_since;
  bool reused = false;  // served a request before: an early EOF may be a stale keep-alive
};

}  // namespace gatehouse::proxy
