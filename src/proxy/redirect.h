// The HTTP → HTTPS redirect (ingress-nginx's ssl-redirect): a plain-HTTP request for a host with
// TLS configured answers 308 with the same URL over https, so the method and body are kept when
// the client follows it. ACME HTTP-01 challenges (RFC 8555 §8.3) must stay reachable over plain
// HTTP: a certificate cannot be issued for a host until they are.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::proxy {

inline constexpr std::string_view kAcmeChallengePrefix = "/.well-known/acme-challenge/";

// Writes into `out` (cleared first) "https://HOST[:PORT]PATH[?QUERY]": `host` is the request's
// Host (or absolute-form authority) without its port, IPv6 brackets kept; PORT is omitted when
// it is 443. `path` and `query` are the request's as received (the parser refused control
// characters and spaces, so nothing can be injected into the header).
void https_location(std::string& out, std::string_view host, std::uint16_t port,
                    std::string_view path, std::string_view query, bool has_query);

}  // namespace gatehouse::proxy
