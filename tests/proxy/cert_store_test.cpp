// CertStore and the handshake callbacks: which certificate a ClientHello gets, what a broken
// Secret does, what is cached, and session resumption across ticket-key rotation. Handshakes run
// in memory (a client SSL and a server SSL over a BIO pair).
#include "proxy/tls/cert_store.h"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <functional>
#include <string>

#include "proxy/redirect.h"
#include "proxy/tls/handshake.h"
#include "proxy/tls/self_signed.h"
#include "test_certificates.h"

namespace gatehouse::proxy::tls {
namespace {

model::Secret tls_secret(const std::string& name, const Pem& pem, const std::string& ns = "default") {
  model::Secret s;
  s.meta.namespace_ = ns;
  s.meta.name = name;
  s.type = "kubernetes.io/tls";
  s.data["tls.crt"] = pem.certificate;
  s.data["tls.key"] = pem.key;
  return s;
}

model::Ingress ingress(const std::string& name, std::int64_t created,
                       std::vector<model::IngressTLS> tls, std::vector<std::string> rule_hosts = {}) {
  model::Ingress i;
  i.meta.namespace_ = "default";
  i.meta.name = name;
  i.meta.creation_timestamp = created;
  i.tls = std::move(tls);
  for (auto& h : rule_hosts) i.rules.push_back(model::IngressRule{h, false, {}});
  return i;
}

const CertStore::Owns kOwnsAll = [](const std::string&, const std::string&) { return true; };

std::string subject_of(SSL_CTX* context) {
  char line[256];
  X509_NAME_oneline(X509_get_subject_name(SSL_CTX_get0_certificate(context)), line, sizeof line);
  return line;
}

std::string messages(const model::Diagnostics& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) out += d.to_string() + "\n";
  return out;
}

class CertStoreTest : public ::testing::Test {
 protected:
  const Pem foo = make("foo.org", -60, 3600);
  const Pem wild = make("*.wild.org", -60, 3600);
  const Pem bar = make("bar.org", -60, 3600);
};

TEST_F(CertStoreTest, ChoosesExactThenWildcardThenFallback) {
  model::Objects objects;
  objects.secrets = {tls_secret("foo-tls", foo), tls_secret("wild-tls", wild)};
  objects.ingresses = {ingress("web", 1, {{{"foo.org"}, "foo-tls"}, {{"*.wild.org"}, "wild-tls"}})};
  CertStore store(std::nullopt);
  auto update = store.update(objects, model::ObjectChanges::everything(), kOwnsAll);
  EXPECT_TRUE(update.diagnostics.empty()) << messages(update.diagnostics);
  const CertTable& t = *update.table;
  EXPECT_EQ(subject_of(t.find("foo.org")), "/CN=foo.org");
  EXPECT_EQ(subject_of(t.find("FOO.org.")), "/CN=foo.org");
  EXPECT_EQ(subject_of(t.find("x.wild.org")), "/CN=*.wild.org");
  // A wildcard covers exactly one label.
  EXPECT_EQ(t.find("a.b.wild.org"), t.fallback());
  EXPECT_EQ(t.find("wild.org"), t.fallback());
  EXPECT_EQ(t.find("nope.org"), t.fallback());
  EXPECT_EQ(subject_of(t.fallback()), std::string("/CN=") + kSelfSignedName);
  EXPECT_TRUE(t.has_tls("foo.org:8080"));
  EXPECT_TRUE(t.has_tls("x.wild.org"));
  EXPECT_FALSE(t.has_tls("bar.org"));
}

TEST_F(CertStoreTest, ABrokenSecretFailsOnlyItsHostsWithAnErrorNamingIngressAndSecret) {
  model::Objects objects;
  model::Secret broken = tls_secret("bar-tls", bar);
  broken.data["tls.key"] = foo.key;  // not bar's key
  objects.secrets = {tls_secret("foo-tls", foo), broken};
  objects.ingresses = {ingress("web", 1, {{{"foo.org"}, "foo-tls"}, {{"bar.org"}, "bar-tls"},
                                          {{"baz.org"}, "missing-tls"}})};
  CertStore store(std::nullopt);
  auto update = store.update(objects, model::ObjectChanges::everything(), kOwnsAll);
  const std::string text = messages(update.diagnostics);
  ASSERT_EQ(update.diagnostics.size(), 2u) << text;
  EXPECT_NE(text.find("error: Ingress default/web: spec.tls[1].secretName: Secret default/bar-tls: "
                      "tls.key does not match"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("bar.org gets the default certificate"), std::string::npos) << text;
  EXPECT_NE(text.find("spec.tls[2].secretName: Secret default/missing-tls not found"),
            std::string::npos)
      << text;
  EXPECT_EQ(subject_of(update.table->find("foo.org")), "/CN=foo.org");
  EXPECT_EQ(update.table->find("bar.org"), update.table->fallback());
  EXPECT_FALSE(update.table->has_tls("bar.org"));  // no redirect onto a certificate error
}

TEST_F(CertStoreTest, OnlyOurIngressesCountAndTheOldestWinsAHost) {
  model::Objects objects;
  objects.secrets = {tls_secret("foo-tls", foo), tls_secret("bar-tls", bar)};
  objects.ingresses = {ingress("new", 20, {{{"foo.org"}, "bar-tls"}}),
                       ingress("old", 10, {{{"foo.org"}, "foo-tls"}}),
                       ingress("theirs", 1, {{{"foo.org"}, "bar-tls"}})};
  CertStore store(std::nullopt);
  auto update = store.update(objects, model::ObjectChanges::everything(),
                             [](const std::string&, const std::string& name) { return name != "theirs"; });
  EXPECT_EQ(subject_of(update.table->find("foo.org")), "/CN=foo.org");
  const std::string text = messages(update.diagnostics);
  ASSERT_EQ(update.diagnostics.size(), 1u) << text;
  EXPECT_NE(text.find("warning: Ingress default/new: spec.tls[0].hosts[0]: foo.org already gets "
                      "the certificate of Secret default/foo-tls from Ingress default/old"),
            std::string::npos)
      << text;
}

TEST_F(CertStoreTest, AnEntryWithoutHostsServesTheRuleHostsItsCertificateNames) {
  const Pem multi = make("multi", -60, 3600, nullptr, {"a.org", "b.org"});
  model::Objects objects;
  objects.secrets = {tls_secret("multi-tls", multi)};
  objects.ingresses = {ingress("web", 1, {{{}, "multi-tls"}}, {"a.org", "c.org"})};
  CertStore store(std::nullopt);
  auto update = store.update(objects, model::ObjectChanges::everything(), kOwnsAll);
  EXPECT_EQ(subject_of(update.table->find("a.org")), "/CN=multi");
  EXPECT_EQ(update.table->find("b.org"), update.table->fallback());  // no rule names it
  EXPECT_EQ(update.table->find("c.org"), update.table->fallback());  // the certificate does not
}

TEST_F(CertStoreTest, AnUnchangedSecretIsNotLoadedAgain) {
  model::Objects objects;
  objects.secrets = {tls_secret("foo-tls", foo)};
  objects.ingresses = {ingress("web", 1, {{{"foo.org"}, "foo-tls"}})};
  CertStore store(std::nullopt);
  SSL_CTX* first = store.update(objects, model::ObjectChanges::everything(), kOwnsAll).table->find("foo.org");
  model::ObjectChanges ingress_only{false, {{model::Kind::kIngress, "default", "web"}}};
  EXPECT_EQ(store.update(objects, ingress_only, kOwnsAll).table->find("foo.org"), first);
  // Everything "may have changed" but the bytes are the same: still the same context.
  EXPECT_EQ(store.update(objects, model::ObjectChanges::everything(), kOwnsAll).table->find("foo.org"),
            first);
  // New bytes, named as changed: loaded again.
  objects.secrets = {tls_secret("foo-tls", make("foo.org v2", -60, 3600))};
  model::ObjectChanges secret_changed{false, {{model::Kind::kSecret, "default", "foo-tls"}}};
  SSL_CTX* second = store.update(objects, secret_changed, kOwnsAll).table->find("foo.org");
  EXPECT_NE(second, first);
  EXPECT_EQ(subject_of(second), "/CN=foo.org v2");
  EXPECT_FALSE(CertStore::affected_by({false, {{model::Kind::kEndpointSlice, "default", "x"}}}));
  EXPECT_TRUE(CertStore::affected_by(secret_changed));
}

TEST_F(CertStoreTest, TheDefaultCertificateComesFromItsSecretOrFallsBackWithAnError) {
  model::Objects objects;
  objects.secrets = {tls_secret("default-tls", bar, "infra")};
  CertStore store(SecretRef{"infra", "default-tls"});
  auto update = store.update(objects, model::ObjectChanges::everything(), kOwnsAll);
  EXPECT_TRUE(update.diagnostics.empty()) << messages(update.diagnostics);
  EXPECT_EQ(subject_of(update.table->fallback()), "/CN=bar.org");
  EXPECT_EQ(store.fallback_description(), "Secret infra/default-tls (/CN=bar.org)");

  objects.secrets.clear();
  update = store.update(objects, {false, {{model::Kind::kSecret, "infra", "default-tls"}}}, kOwnsAll);
  ASSERT_EQ(update.diagnostics.size(), 1u);
  EXPECT_EQ(update.diagnostics[0].to_string(),
            "error: --default-certificate: Secret infra/default-tls not found; serving a "
            "self-signed certificate generated at start (CN=gatehouse default certificate) "
            "instead");
  EXPECT_EQ(subject_of(update.table->fallback()), std::string("/CN=") + kSelfSignedName);
}

// ---- handshakes in memory

struct Handshake {
  std::string subject;  // of the certificate the server sent
  bool reused = false;
  SSL_SESSION* session = nullptr;  // the client's, for resumption (owned by the caller)
};

// Runs a TLS 1.2 handshake (tickets arrive within it) between a client and a server SSL made on
// `listener` with `state`. `sni` null: no server name.
Handshake handshake(SSL_CTX* listener, const WorkerTls& state, const char* sni,
                    SSL_SESSION* resume = nullptr) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> client_ctx(SSL_CTX_new(TLS_client_method()),
                                                               SSL_CTX_free);
  SSL_CTX_set_max_proto_version(client_ctx.get(), TLS1_2_VERSION);
  std::unique_ptr<SSL, decltype(&SSL_free)> client(SSL_new(client_ctx.get()), SSL_free);
  std::unique_ptr<SSL, decltype(&SSL_free)> server(SSL_new(listener), SSL_free);
  attach(server.get(), &state);
  if (sni) SSL_set_tlsext_host_name(client.get(), sni);
  if (resume) SSL_set_session(client.get(), resume);
  BIO *client_bio, *server_bio;
  BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
  SSL_set_bio(client.get(), client_bio, client_bio);
  SSL_set_bio(server.get(), server_bio, server_bio);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(server.get());
  for (int i = 0; i < 20; ++i) {
    const int c = SSL_do_handshake(client.get());
    const int s = SSL_do_handshake(server.get());
    if (c == 1 && s == 1) break;
  }
  Handshake out;
  if (X509* peer = SSL_get1_peer_certificate(client.get())) {
    char line[256];
    X509_NAME_oneline(X509_get_subject_name(peer), line, sizeof line);
    out.subject = line;
    X509_free(peer);
  }
  out.reused = SSL_session_reused(client.get());
  out.session = SSL_get1_session(client.get());
  // Freed without a shutdown, OpenSSL would mark the session not resumable.
  SSL_set_shutdown(client.get(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  ERR_clear_error();
  return out;
}

TEST_F(CertStoreTest, TheServerNamePicksTheCertificateInAHandshake) {
  model::Objects objects;
  objects.secrets = {tls_secret("foo-tls", foo)};
  objects.ingresses = {ingress("web", 1, {{{"foo.org"}, "foo-tls"}})};
  CertStore store(std::nullopt);
  WorkerTls state{store.update(objects, model::ObjectChanges::everything(), kOwnsAll).table,
                  TicketKeys::generate()};
  auto listener = make_listener_context();
  auto with_sni = handshake(listener.get(), state, "foo.org");
  EXPECT_EQ(with_sni.subject, "/CN=foo.org");
  auto other = handshake(listener.get(), state, "bar.org");
  EXPECT_EQ(other.subject, std::string("/CN=") + kSelfSignedName);
  auto none = handshake(listener.get(), state, nullptr);
  EXPECT_EQ(none.subject, std::string("/CN=") + kSelfSignedName);
  for (auto* s : {with_sni.session, other.session, none.session}) SSL_SESSION_free(s);
  // Before any configuration the handshake fails rather than serve nothing.
  WorkerTls empty;
  auto failed = handshake(listener.get(), empty, "foo.org");
  EXPECT_EQ(failed.subject, "");
  SSL_SESSION_free(failed.session);
}

TEST_F(CertStoreTest, TicketsResumeAcrossOneRotationButNotWithUnknownKeys) {
  model::Objects objects;
  objects.secrets = {tls_secret("foo-tls", foo)};
  objects.ingresses = {ingress("web", 1, {{{"foo.org"}, "foo-tls"}})};
  CertStore store(std::nullopt);
  auto certs = store.update(objects, model::ObjectChanges::everything(), kOwnsAll).table;
  auto listener = make_listener_context();
  WorkerTls state{certs, TicketKeys::generate()};
  auto first = handshake(listener.get(), state, "foo.org");
  ASSERT_NE(first.session, nullptr);
  EXPECT_FALSE(first.reused);
  EXPECT_TRUE(SSL_SESSION_has_ticket(first.session));
  EXPECT_TRUE(SSL_SESSION_is_resumable(first.session));
  auto again = handshake(listener.get(), state, "foo.org", first.session);
  EXPECT_TRUE(again.reused);
  // One rotation later the old key still decrypts.
  state.ticket_keys = state.ticket_keys->rotated();
  auto rotated = handshake(listener.get(), state, "foo.org", first.session);
  EXPECT_TRUE(rotated.reused);
  // Keys of another process (or older than kKept rotations): a full handshake.
  state.ticket_keys = TicketKeys::generate();
  auto unknown = handshake(listener.get(), state, "foo.org", first.session);
  EXPECT_FALSE(unknown.reused);
  EXPECT_EQ(unknown.subject, "/CN=foo.org");
  for (auto* s : {first.session, again.session, rotated.session, unknown.session})
    SSL_SESSION_free(s);
}

TEST(Redirect, BuildsTheHttpsUrlFromHostPathAndQuery) {
  std::string out;
  https_location(out, "foo.org:8080", 8443, "/a/x", "q=1", true);
  EXPECT_EQ(out, "https://foo.org:8443/a/x?q=1");
  https_location(out, "foo.org", 443, "/a", "", true);
  EXPECT_EQ(out, "https://foo.org/a?");
  https_location(out, "[::1]:80", 443, "/", "", false);
  EXPECT_EQ(out, "https://[::1]/");
  https_location(out, "foo.org", 443, "", "", false);
  EXPECT_EQ(out, "https://foo.org/");
}

}  // namespace
}  // namespace gatehouse::proxy::tls
