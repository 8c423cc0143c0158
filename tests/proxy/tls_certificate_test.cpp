#include "proxy/tls/server_certificate.h"

#include <gtest/gtest.h>

#include <string>

#include "test_certificates.h"

namespace gatehouse::proxy::tls {
namespace {

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
