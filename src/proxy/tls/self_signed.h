// The certificate served when no configured one applies and no --default-certificate is given:
// a P-256 key and a self-signed certificate made at start, in memory only. Clients cannot verify
// it (that is the point: it names no host), but it lets the handshake finish so that the client
// sees a certificate error rather than a reset.
#pragma once

#include "base/result.h"
#include "proxy/tls/server_certificate.h"

namespace gatehouse::proxy::tls {

inline constexpr const char* kSelfSignedName = "gatehouse default certificate";

Result<ServerCertificate> make_self_signed();

}  // namespace gatehouse::proxy::tls
