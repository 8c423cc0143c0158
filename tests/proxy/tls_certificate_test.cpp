#include "proxy/tls/server_certificate.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace gatehouse::proxy::tls {
namespace {

// A P-256 key and a certificate for `cn`, valid from `from` to `to` seconds from now, signed by
// `issuer_key` (itself when null), as PEM text.
struct Pem {
  std::string certificate;
  std::string key;
  std::shared_ptr<EVP_PKEY> pkey;
  std::shared_ptr<X509> x509;
};

std::string to_pem(X509* x) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), x);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string key_pem(EVP_PKEY* k, const char* passphrase = nullptr) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), k, passphrase ? EVP_aes_128_cbc() : nullptr, nullptr, 0,
                           nullptr, const_cast<char*>(passphrase));
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Pem make(const std::string& cn, long from, long to, const Pem* issuer = nullptr) {
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
  X509_sign(x, issuer ? issuer->pkey.get() : out.pkey.get(), EVP_sha256());
  out.certificate = to_pem(x);
  out.key = key_pem(out.pkey.get());
  return out;
}

model::Secret secret(std::string crt, std::string key) {
  model::Secret s;
  s.meta.namespace_ = "default";
  s.meta.name = "foo-tls";
  s.type = "kubernetes.io/tls";
  if (!crt.empty()) s.data["tls.crt"] = std::move(crt);
  if (!key.empty()) s.data["tls.key"] = std::move(key);
  return s;
}

std::string error_of(const model::Secret& s) {
  auto r = load_server_certificate(s);
  return r ? "(loaded)" : r.error().message;
}

TEST(ServerCertificate, LoadsALeafWithItsChainAndKey) {
  const Pem ca = make("test CA", -60, 3600);
  const Pem leaf = make("foo.org", -60, 3600, &ca);
  auto loaded = load_server_certificate(secret(leaf.certificate + ca.certificate, leaf.key));
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_NE(loaded->context, nullptr);
  EXPECT_EQ(loaded->chain_length, 1);
  EXPECT_NE(loaded->subject.find("CN=foo.org"), std::string::npos);
  EXPECT_GT(loaded->not_after, std::time(nullptr));
  EXPECT_EQ(SSL_CTX_get_min_proto_version(loaded->context.get()), TLS1_2_VERSION);
}

TEST(ServerCertificate, RefusesWhatCannotServeWithTheReason) {
  const Pem good = make("foo.org", -60, 3600);
  const Pem other = make("bar.org", -60, 3600);
  EXPECT_EQ(error_of(secret(good.certificate, "")),
            "Secret default/foo-tls: tls.key is missing or empty");
  EXPECT_EQ(error_of(secret("", good.key)), "Secret default/foo-tls: tls.crt is missing or empty");
  EXPECT_NE(error_of(secret("not a certificate", good.key)).find("tls.crt holds no PEM certificate"),
            std::string::npos);
  EXPECT_NE(error_of(secret(good.certificate, other.key)).find("does not match"), std::string::npos);
  EXPECT_NE(error_of(secret(good.certificate, key_pem(good.pkey.get(), "secret")))
                .find("no unencrypted PEM private key"),
            std::string::npos);
  const Pem expired = make("old.org", -7200, -3600);
  EXPECT_NE(error_of(secret(expired.certificate, expired.key)).find("has expired"), std::string::npos);
  const Pem future = make("new.org", 3600, 7200);
  EXPECT_NE(error_of(secret(future.certificate, future.key)).find("not valid yet"), std::string::npos);
  // A truncated intermediate after a good leaf is malformed, not ignored.
  const std::string cut = good.certificate + other.certificate.substr(0, other.certificate.size() / 2);
  EXPECT_NE(error_of(secret(cut, good.key)), "(loaded)");
  model::Secret opaque = secret(good.certificate, good.key);
  opaque.type = "Opaque";
  EXPECT_EQ(error_of(opaque), "Secret default/foo-tls: type is Opaque, not kubernetes.io/tls");
}

}  // namespace
}  // namespace gatehouse::proxy::tls
