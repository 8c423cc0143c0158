// OCSP stapling from the Secret: a kubernetes.io/tls Secret may carry, beside tls.crt and tls.key,
// `tls.ocsp`: a DER OCSP response for its leaf certificate (as HAProxy reads a `.ocsp` file next
// to a certificate). Gatehouse does not fetch responses itself (that would make the proxy call
// out to the CA); whatever renews the Secret renews the response, and a changed Secret is
// reloaded like any other. The response is sent to clients that ask (status_request) until its
// nextUpdate passes; then handshakes go on without it.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>

namespace gatehouse::proxy::tls {

// Staples `der` on `context` (whose certificate is `leaf`). Returns "" when stapled, else why not
// (not an OCSP response, not successful, about another certificate, not "good", outside its
// validity): the certificate still serves, without a staple.
std::string staple_ocsp_response(SSL_CTX* context, X509* leaf, const std::string& der);

}  // namespace gatehouse::proxy::tls
