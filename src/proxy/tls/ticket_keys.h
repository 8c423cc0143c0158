// Session-ticket keys (RFC 5077 tickets, and TLS 1.3's stateless tickets): the server encrypts a
// session into a ticket the client keeps, so a returning client skips the full handshake without
// any shared session cache (no lock between workers). Keys live only in memory and rotate: the
// newest encrypts, the older ones still decrypt (and the client gets a fresh ticket), so a
// stolen key exposes a bounded window of sessions. Every worker holds the same keys, so a client
// resumes whichever worker SO_REUSEPORT gives it; other replicas cannot resume it.
#pragma once

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

namespace gatehouse::proxy::tls {

struct TicketKey {
  std::array<unsigned char, 16> name;  // sent in the clear in each ticket, to find the key
  std::array<unsigned char, 32> aes;   // AES-256-CBC
  std::array<unsigned char, 32> hmac;  // HMAC-SHA256
};

class TicketKeys {
 public:
  static constexpr std::size_t kKept = 3;  // the current key and two that still decrypt

  // A set with one fresh random key.
  static std::shared_ptr<const TicketKeys> generate();
  // A new set: a fresh key first, then this set's newest kKept - 1.
  std::shared_ptr<const TicketKeys> rotated() const;

  // OpenSSL's ticket callback, for these keys (SSL_CTX_set_tlsext_ticket_key_evp_cb's contract):
  // encrypting (enc = 1) returns 1; decrypting returns 1 for the current key, 2 for an older one
  // (the ticket is accepted and renewed), 0 for an unknown name (a full handshake follows), and
  // -1 on an internal error.
  int apply(unsigned char name[16], unsigned char iv[16], EVP_CIPHER_CTX* cipher,
            EVP_MAC_CTX* mac, int enc) const;

 private:
  std::vector<TicketKey> keys_;  // [0] encrypts
};

}  // namespace gatehouse::proxy::tls
