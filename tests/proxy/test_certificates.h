// Certificates made in memory for the TLS tests: no files, no openssl command.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <vector>

namespace gatehouse::proxy::tls {

// A P-256 key and a certificate for `cn`, valid from `from` to `to` seconds from now, signed by
// `issuer_key` (itself when null), as PEM text.
struct Pem {
  std::string certificate;
  std::string key;
  std::shared_ptr<EVP_PKEY> pkey;
  std::shared_ptr<X509> x509;
};

inline std::string to_pem(X509* x) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), x);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

inline std::string key_pem(EVP_PKEY* k, const char* passphrase = nullptr) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), k, passphrase ? EVP_aes_128_cbc() : nullptr, nullptr, 0,
                           nullptr, const_cast<char*>(passphrase));
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

inline Pem make(const std::string& cn, long from, long to, const Pem* issuer = nullptr,
                const std::vector<std::string>& dns_names = {}) {
  Pem out;
  out.pkey.reset(EVP_EC_gen("P-256"), EVP_PKEY_free);
  out.x509.reset(X509_new(), X509_free);
  X509* x = out.x509.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
  X509_gmtime_adj(X509_getm_notBefore(x), from);
  X509_gmtime_adj(X509_getm_notAfter(x), to);
  X509_set_pubkey(x, out.pkey.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->x509.get()) : name);
  if (!dns_names.empty()) {
    std::string san;
    for (const auto& n : dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + n;
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san.c_str());
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, issuer ? issuer->pkey.get() : out.pkey.get(), EVP_sha256());
  out.certificate = to_pem(x);
  out.key = key_pem(out.pkey.get());
  return out;
}

}  // namespace gatehouse::proxy::tls
