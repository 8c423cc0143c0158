// A server certificate from a kubernetes.io/tls Secret (tls.crt: the chain, leaf first; tls.key:
// its private key), loaded into an OpenSSL SSL_CTX configured for gatehouse's HTTPS listeners:
// TLS 1.2 and 1.3 only, forward-secret AEAD ciphers for 1.2, no renegotiation. A Secret that is
// missing a part, malformed, expired, not yet valid, encrypted or whose key does not match its
// certificate is refused with an error naming what is wrong. An OCSP response in tls.ocsp that
// cannot be stapled only costs the staple (ocsp_problem says why).
#pragma once

#include <openssl/ssl.h>

#include <ctime>
#include <memory>
#include <string>

#include "base/result.h"
#include "model/objects.h"

namespace gatehouse::proxy::tls {

struct ServerCertificate {
  std::shared_ptr<SSL_CTX> context;  // shared: snapshots and connections hold it
  std::string subject;               // the leaf's subject, for logs
  std::time_t not_after = 0;         // the leaf's expiry
  int chain_length = 0;              // certificates after the leaf
  bool ocsp_stapled = false;         // tls.ocsp held a usable response (ocsp_staple.h)
  std::string ocsp_problem;          // why tls.ocsp, present, is not stapled; "" otherwise
};

Result<ServerCertificate> load_server_certificate(const model::Secret& secret);

}  // namespace gatehouse::proxy::tls
