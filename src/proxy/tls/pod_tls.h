// TLS to pods whose Service port says `appProtocol: https` (or `kubernetes.io/wss`). As
// ingress-nginx does by default (proxy_ssl_verify off, proxy_ssl_server_name off), the connection
// is encrypted but the pod is not authenticated and no server name is sent: pods mostly serve
// self-signed certificates nobody else could check. ALPN offers only http/1.1, the protocol
// gatehouse speaks to them. One per worker; each pod's last session is kept so that reconnecting
// resumes instead of paying a full handshake.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <unordered_map>

#include "proxy/upstream_connection.h"
#include "proxy/upstream_pool.h"

namespace gatehouse::proxy::tls {

class PodTls {
 public:
  PodTls();  // throws std::runtime_error when OpenSSL cannot make the context
  ~PodTls();
  PodTls(const PodTls&) = delete;
  PodTls& operator=(const PodTls&) = delete;

  // Makes `connection` (TCP-connected to `pod`) a TLS one, offering the session kept for `pod`.
  // The caller runs the handshake; a session the pod issues is kept for next time.
  void start(UpstreamConnection& connection, const boost::asio::ip::tcp::endpoint& pod);
  std::size_t sessions_kept() const { return sessions_.size(); }

 private:
  static int on_new_session(SSL* ssl, SSL_SESSION* session);
  void keep(const boost::asio::ip::tcp::endpoint& pod, SSL_SESSION* session);

  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context_;
  std::unordered_map<boost::asio::ip::tcp::endpoint, SSL_SESSION*, EndpointHash> sessions_;
};

}  // namespace gatehouse::proxy::tls
