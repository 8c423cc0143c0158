#include "proxy/tls/ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

namespace gatehouse::proxy::tls {

namespace {

TicketKey fresh_key() {
  TicketKey key;
  if (RAND_bytes(key.name.data(), key.name.size()) != 1 ||
      RAND_bytes(key.aes.data(), key.aes.size()) != 1 ||
      RAND_bytes(key.hmac.data(), key.hmac.size()) != 1)
    throw std::runtime_error("RAND_bytes failed: no session-ticket key");
  return key;
}

bool init_mac(EVP_MAC_CTX* mac, const TicketKey& key) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  return EVP_MAC_init(mac, key.hmac.data(), key.hmac.size(), params) == 1;
}

}  // namespace

std::shared_ptr<const TicketKeys> TicketKeys::generate() {
  auto keys = std::make_shared<TicketKeys>();
  keys->keys_.push_back(fresh_key());
  return keys;
}

std::shared_ptr<const TicketKeys> TicketKeys::rotated() const {
  auto next = std::make_shared<TicketKeys>();
  next->keys_.push_back(fresh_key());
  for (std::size_t i = 0; i < keys_.size() && next->keys_.size() < kKept; ++i)
    next->keys_.push_back(keys_[i]);
  return next;
}

int TicketKeys::apply(unsigned char name[16], unsigned char iv[16], EVP_CIPHER_CTX* cipher,
                      EVP_MAC_CTX* mac, int enc) const {
  if (keys_.empty()) return enc ? -1 : 0;
  if (enc) {
    const TicketKey& key = keys_.front();
    std::memcpy(name, key.name.data(), key.name.size());
    if (RAND_bytes(iv, EVP_MAX_IV_LENGTH < 16 ? EVP_MAX_IV_LENGTH : 16) != 1) return -1;
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1) return -1;
    return init_mac(mac, key) ? 1 : -1;
  }
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    const TicketKey& key = keys_[i];
    if (std::memcmp(name, key.name.data(), key.name.size()) != 0) continue;
    if (!init_mac(mac, key)) return -1;
    if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1)
      return -1;
    return i == 0 ? 1 : 2;
  }
  return 0;
}

}  // namespace gatehouse::proxy::tls
