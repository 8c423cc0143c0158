#include "proxy/tls/self_signed.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "proxy/tls/handshake.h"

namespace gatehouse::proxy::tls {

Result<ServerCertificate> make_self_signed() {
  const auto fail = [](const char* what) {
    return Error{ErrorKind::kInternal, Side::kConfig, false,
                 std::string("generating the self-signed default certificate: ") + what};
  };
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) return fail("EVP_EC_gen");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!cert) return fail("X509_new");
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return fail("RAND_bytes");
  serial[0] &= 0x7f;  // a positive serial
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(BN_bin2bn(serial, sizeof serial, nullptr),
                                                   BN_free);
  X509_set_version(cert.get(), X509_VERSION_3);
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())))
    return fail("serial");
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60 * 60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 60 * 60);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(kSelfSignedName), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return fail("X509_sign");

  std::shared_ptr<SSL_CTX> context(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!context) return fail("SSL_CTX_new");
  configure_server_context(context.get());
  if (SSL_CTX_use_certificate(context.get(), cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(context.get(), key.get()) != 1)
    return fail("installing the certificate");
  ServerCertificate out;
  out.context = std::move(context);
  out.subject = std::string("/CN=") + kSelfSignedName;
  return out;
}

}  // namespace gatehouse::proxy::tls
