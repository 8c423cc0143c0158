#include "proxy/tls/server_certificate.h"

#include "proxy/tls/handshake.h"
#include "proxy/tls/ocsp_staple.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace gatehouse::proxy::tls {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

// OpenSSL's reason for the last failure, and the error queue emptied.
std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  std::string reason = code ? ERR_reason_error_string(code) ? ERR_reason_error_string(code)
                                                            : "unknown OpenSSL error"
                            : "no detail";
  ERR_clear_error();
  return reason;
}

// A key asking for a passphrase is refused, not prompted for.
int no_passphrase(char*, int, int, void*) { return 0; }

std::string subject_of(X509* leaf) {
  char line[512];
  X509_NAME_oneline(X509_get_subject_name(leaf), line, sizeof line);
  return line;
}

}  // namespace

Result<ServerCertificate> load_server_certificate(const model::Secret& secret) {
  const std::string name = "Secret " + secret.meta.namespace_ + "/" + secret.meta.name;
  if (secret.type != "kubernetes.io/tls")
    return Error::invalid(name + ": type is " + secret.type + ", not kubernetes.io/tls");
  auto part = [&](const char* key) -> const std::string* {
    auto it = secret.data.find(key);
    return it == secret.data.end() || it->second.empty() ? nullptr : &it->second;
  };
  const std::string* crt = part("tls.crt");
  const std::string* key = part("tls.key");
  if (!crt || !key)
    return Error::invalid(name + ": " + (crt ? "tls.key" : "tls.crt") + " is missing or empty");

  ERR_clear_error();
  std::unique_ptr<BIO, BioFree> crt_bio(BIO_new_mem_buf(crt->data(), static_cast<int>(crt->size())));
  std::unique_ptr<X509, X509Free> leaf(PEM_read_bio_X509_AUX(crt_bio.get(), nullptr, nullptr, nullptr));
  if (!leaf) return Error::invalid(name + ": tls.crt holds no PEM certificate (" + openssl_reason() + ")");

  std::shared_ptr<SSL_CTX> context(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!context) return Error{ErrorKind::kInternal, Side::kConfig, false, "SSL_CTX_new failed"};
  configure_server_context(context.get());
  if (SSL_CTX_use_certificate(context.get(), leaf.get()) != 1)
    return Error::invalid(name + ": tls.crt: " + openssl_reason());
  int chain = 0;
  while (X509* next = PEM_read_bio_X509(crt_bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(context.get(), next) != 1) {  // takes ownership on success
      X509_free(next);
      return Error::invalid(name + ": tls.crt: intermediate certificate " +
                            std::to_string(chain + 1) + ": " + openssl_reason());
    }
    ++chain;
  }
  // The loop ends on "no start line" (no more certificates); anything else is malformed.
  const unsigned long end = ERR_peek_last_error();
  if (end && !(ERR_GET_LIB(end) == ERR_LIB_PEM && ERR_GET_REASON(end) == PEM_R_NO_START_LINE))
    return Error::invalid(name + ": tls.crt: certificate " + std::to_string(chain + 2) + ": " +
                          openssl_reason());
  ERR_clear_error();

  std::unique_ptr<BIO, BioFree> key_bio(BIO_new_mem_buf(key->data(), static_cast<int>(key->size())));
  std::unique_ptr<EVP_PKEY, KeyFree> pkey(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, no_passphrase, nullptr));
  if (!pkey)
    return Error::invalid(name + ": tls.key holds no unencrypted PEM private key (" +
                          openssl_reason() + ")");
  if (SSL_CTX_use_PrivateKey(context.get(), pkey.get()) != 1 ||
      SSL_CTX_check_private_key(context.get()) != 1)
    return Error::invalid(name + ": tls.key does not match the certificate in tls.crt (" +
                          openssl_reason() + ")");

  ServerCertificate out;
  out.subject = subject_of(leaf.get());
  out.chain_length = chain;
  const ASN1_TIME* not_after = X509_get0_notAfter(leaf.get());
  const ASN1_TIME* not_before = X509_get0_notBefore(leaf.get());
  std::tm tm{};
  if (ASN1_TIME_to_tm(not_after, &tm) == 1) out.not_after = timegm(&tm);
  if (X509_cmp_current_time(not_after) <= 0)
    return Error::invalid(name + ": the certificate (" + out.subject + ") has expired");
  if (X509_cmp_current_time(not_before) >= 0)
    return Error::invalid(name + ": the certificate (" + out.subject + ") is not valid yet");
  if (const std::string* ocsp = part("tls.ocsp")) {
    out.ocsp_problem = staple_ocsp_response(context.get(), leaf.get(), *ocsp);
    out.ocsp_stapled = out.ocsp_problem.empty();
  }
  out.context = std::move(context);
  return out;
}

}  // namespace gatehouse::proxy::tls
