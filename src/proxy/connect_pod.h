// Opening a connection to a pod: TCP, Nagle off, and for a TLS pod the handshake. The caller
// bounds the whole with its own deadline, which interrupts the connection's socket.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string_view>

#include "proxy/upstream_connection.h"

namespace gatehouse::proxy {

class Worker;

enum class ConnectResult : std::uint8_t { kConnected, kConnectFailed, kHandshakeFailed };

// `connection` must be new (its socket not yet open) and must outlive the call.
boost::asio::awaitable<ConnectResult> connect_pod(Worker& worker, UpstreamConnection& connection,
                                                  const boost::asio::ip::tcp::endpoint& pod,
                                                  bool tls);

// The 502 explanation of a failed connect.
inline std::string_view connect_failure_detail(ConnectResult result) {
  return result == ConnectResult::kHandshakeFailed ? "the TLS handshake with the pod failed"
                                                   : "could not connect to any endpoint";
}

}  // namespace gatehouse::proxy
