#include "proxy/tls/ocsp_staple.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include <cstring>
#include <ctime>
#include <memory>

namespace gatehouse::proxy::tls {

namespace {

struct Staple {
  std::string der;
  std::time_t next_update = 0;  // 0: the response names none
};

// Each SSL_CTX owns its Staple through ex_data, freed with the context (which connections and
// snapshots keep alive as long as they use it).
void free_staple(void*, void* staple, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<Staple*>(staple);
}
int staple_slot() {
  static const int slot = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_staple);
  return slot;
}

// Called during a handshake whose ClientHello asked for certificate status, on the context SNI
// chose.
int on_status_request(SSL* ssl, void* arg) {
  const auto* staple = static_cast<const Staple*>(arg);
  if (!staple || (staple->next_update != 0 && std::time(nullptr) >= staple->next_update))
    return SSL_TLSEXT_ERR_NOACK;
  void* copy = OPENSSL_memdup(staple->der.data(), staple->der.size());
  if (!copy) return SSL_TLSEXT_ERR_NOACK;
  SSL_set_tlsext_status_ocsp_resp(ssl, static_cast<unsigned char*>(copy),
                                  static_cast<long>(staple->der.size()));  // OpenSSL frees it
  return SSL_TLSEXT_ERR_OK;
}

struct ResponseFree {
  void operator()(OCSP_RESPONSE* r) const { OCSP_RESPONSE_free(r); }
};
struct BasicFree {
  void operator()(OCSP_BASICRESP* b) const { OCSP_BASICRESP_free(b); }
};

// True when `id` names `leaf`: the same serial and the hash of the leaf's issuer name. (The
// issuer's key hash needs the issuer's certificate, which tls.crt need not carry; clients check
// the response's signature themselves.)
bool names(OCSP_CERTID* id, X509* leaf) {
  ASN1_OCTET_STRING* name_hash = nullptr;
  ASN1_OBJECT* digest = nullptr;
  ASN1_INTEGER* serial = nullptr;
  if (OCSP_id_get0_info(&name_hash, &digest, nullptr, &serial, id) != 1) return false;
  if (!serial || ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(leaf)) != 0) return false;
  const EVP_MD* md = EVP_get_digestbyobj(digest);
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!md || X509_NAME_digest(X509_get_issuer_name(leaf), md, hash, &length) != 1) return false;
  return name_hash && static_cast<unsigned int>(name_hash->length) == length &&
         std::memcmp(name_hash->data, hash, length) == 0;
}

}  // namespace

std::string staple_ocsp_response(SSL_CTX* context, X509* leaf, const std::string& der) {
  ERR_clear_error();
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<OCSP_RESPONSE, ResponseFree> response(
      d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!response || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    ERR_clear_error();
    return "not a DER OCSP response";
  }
  const int status = OCSP_response_status(response.get());
  if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL)
    return std::string("the responder answered ") + OCSP_response_status_str(status);
  std::unique_ptr<OCSP_BASICRESP, BasicFree> basic(OCSP_response_get1_basic(response.get()));
  if (!basic) return "no basic OCSP response inside";
  OCSP_SINGLERESP* single = nullptr;
  for (int i = 0; i < OCSP_resp_count(basic.get()) && !single; ++i) {
    OCSP_SINGLERESP* candidate = OCSP_resp_get0(basic.get(), i);
    if (names(const_cast<OCSP_CERTID*>(OCSP_SINGLERESP_get0_id(candidate)), leaf))
      single = candidate;
  }
  if (!single) return "the response is about another certificate";
  int reason = 0;
  ASN1_GENERALIZEDTIME *revoked_at = nullptr, *this_update = nullptr, *next_update = nullptr;
  const int cert_status =
      OCSP_single_get0_status(single, &reason, &revoked_at, &this_update, &next_update);
  if (cert_status != V_OCSP_CERTSTATUS_GOOD)
    return std::string("the response says the certificate is ") +
           OCSP_cert_status_str(cert_status);
  // Five minutes of clock skew either way, as OpenSSL's own tools allow.
  if (OCSP_check_validity(this_update, next_update, 300, -1) != 1) {
    ERR_clear_error();
    return "the response is outside its validity (thisUpdate/nextUpdate)";
  }
  auto staple = std::make_unique<Staple>();
  staple->der = der;
  std::tm tm{};
  if (next_update && ASN1_TIME_to_tm(next_update, &tm) == 1) staple->next_update = timegm(&tm);
  if (SSL_CTX_set_ex_data(context, staple_slot(), staple.get()) != 1)
    return "could not attach the response";
  SSL_CTX_set_tlsext_status_cb(context, on_status_request);
  SSL_CTX_set_tlsext_status_arg(context, staple.release());  // owned by the context from now on
  return "";
}

}  // namespace gatehouse::proxy::tls
