// How an HTTPS listener's handshakes are set up. Every connection starts on one listener context
// (no certificate); the ClientHello's server name then picks a certificate from the worker's
// current CertTable and switches the connection to that certificate's context. The callbacks
// find the worker's state through the SSL object (attach), on the worker's own thread: no lock.
#pragma once

#include <openssl/ssl.h>

#include <memory>

#include "proxy/tls/cert_table.h"
#include "proxy/tls/ticket_keys.h"

namespace gatehouse::proxy::tls {

// What one worker's handshakes read. Replaced only on that worker's thread.
struct WorkerTls {
  std::shared_ptr<const CertTable> certs;
  std::shared_ptr<const TicketKeys> ticket_keys;
};

// Session tickets stay valid for this long; keys should rotate at least twice as often.
inline constexpr long kTicketLifetimeSeconds = 2 * 60 * 60;

// The settings and callbacks every server SSL_CTX gets: TLS 1.2 and 1.3 only, forward-secret
// AEAD ciphers for 1.2, no renegotiation, stateless session tickets, ALPN. One function for all
// contexts: after the switch OpenSSL reads some settings (ALPN) from the new context and others
// (tickets, protocol versions) from the first, so they must all agree.
void configure_server_context(SSL_CTX* context);

// The context every TLS connection is created on.
std::shared_ptr<SSL_CTX> make_listener_context();

// Gives a new connection's handshake the worker's state (it must outlive the handshake).
void attach(SSL* ssl, const WorkerTls* state);

}  // namespace gatehouse::proxy::tls
