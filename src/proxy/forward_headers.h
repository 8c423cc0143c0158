// The header fields gatehouse adds to every request it forwards to a pod, whatever protocol the
// client spoke (HTTP/1.1 or HTTP/2): X-Forwarded-For/-Proto/-Host/-Port, X-Real-IP and, when the
// client sent none, X-Request-ID. The client's own values of the fields gatehouse sets are
// dropped by the caller (replaced_by_proxy); its X-Forwarded-For is an input here.
//
// Whose X-Forwarded-For is believed (docs/decisions/0011): by default nobody's, as ingress-nginx
// does: the pod's X-Forwarded-For and X-Real-IP are the TCP peer, and the client's value moves to
// X-Original-Forwarded-For. When the peer is in --trust-forwarded-from, the client's list is
// extended with the peer, and X-Real-IP is the rightmost address of it that is not trusted
// itself (the client as the first trusted load balancer saw it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/address_set.h"
#include "proxy/http1/header_token.h"

namespace gatehouse::proxy {

struct Forwarding {
  std::string_view client_ip;
  std::string_view prior_forwarded_for;  // the client's X-Forwarded-For value, if any
  bool has_prior_forwarded_for = false;
  bool https = false;            // the client connection is TLS
  std::string_view host;         // the request's host as sent (Host or :authority)
  std::uint16_t port = 0;        // the listener's port
  bool has_request_id = false;   // the client sent an X-Request-ID: kept as is
  const AddressSet* trusted = nullptr;  // --trust-forwarded-from; null or empty: nobody
};

// The client's address for X-Real-IP: `peer`, or, when `trusted` holds it, the rightmost
// address of `forwarded_for` (an X-Forwarded-For value) not in `trusted`. An entry that is not an
// address ends the walk at the trusted hop to its right.
std::string_view real_client(std::string_view peer, std::string_view forwarded_for,
                             bool has_forwarded_for, const AddressSet* trusted);

// Whether a client's field of this token is dropped because gatehouse writes it itself (the
// X-Forwarded-For it sent is an input, not forwarded). RFC 7239's Forwarded is not written by
// gatehouse and passes on as sent.
inline bool replaced_by_proxy(http1::HeaderToken token) {
  return (http1::token_flags(token) & http1::kForwarding) != 0 &&
         token != http1::HeaderToken::kForwarded;
}

// Appends the fields, each line ending in CRLF. `random` supplies the request id's 128 bits.
template <class Random>
void append_forwarding_fields(std::string& head, const Forwarding& f, Random&& random);

// Numbers in heads: Content-Length and status digits, chunk sizes.
void append_decimal(std::string& out, std::uint64_t n);
void append_hex(std::string& out, std::uint64_t n);

// Implementation detail of the template above.
void append_forwarding_fields_with(std::string& head, const Forwarding& f, std::uint64_t id_high,
                                   std::uint64_t id_low);

template <class Random>
void append_forwarding_fields(std::string& head, const Forwarding& f, Random&& random) {
  std::uint64_t high = 0, low = 0;
  if (!f.has_request_id) {
    high = random();
    low = random();
  }
  append_forwarding_fields_with(head, f, high, low);
}

}  // namespace gatehouse::proxy
