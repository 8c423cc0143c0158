#include "proxy/tls/pod_tls.h"

#include <stdexcept>

namespace gatehouse::proxy::tls {

namespace asio = boost::asio;

namespace {

// Bounds the sessions kept (one per pod address ever reached); past it they are all dropped and
// the next connection to each pod pays one full handshake.
constexpr std::size_t kMaxSessions = 4096;

// The pod a connection's SSL talks to: kept beside the SSL, which the connection owns, so it is
// valid whenever OpenSSL calls back about that SSL.
int pod_slot() {
  static const int slot = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return slot;
}

}  // namespace

PodTls::PodTls() : context_(SSL_CTX_new(TLS_client_method()), SSL_CTX_free) {
  SSL_CTX* context = context_.get();
  if (!context) throw std::runtime_error("SSL_CTX_new failed for TLS to pods");
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS);  // idle pooled connections hold no buffers
  static constexpr unsigned char kAlpn[] = "\x08http/1.1";
  SSL_CTX_set_alpn_protos(context, kAlpn, sizeof kAlpn - 1);
  // Sessions are kept here, by pod, not in OpenSSL's cache (which a client never looks up).
  SSL_CTX_set_session_cache_mode(context,
                                 SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(context, &PodTls::on_new_session);
  SSL_CTX_set_app_data(context, this);
}

PodTls::~PodTls() {
  for (auto& [pod, session] : sessions_) SSL_SESSION_free(session);
}

void PodTls::start(UpstreamConnection& connection, const asio::ip::tcp::endpoint& pod) {
  SSL* ssl = SSL_new(context_.get());
  if (!ssl) throw std::bad_alloc();
  connection.pod = pod;
  SSL_set_ex_data(ssl, pod_slot(), &connection.pod);
  auto it = sessions_.find(pod);
  if (it != sessions_.end()) SSL_set_session(ssl, it->second);
  connection.use_tls(ssl);
}

// Called when the pod issues a session: at the end of a TLS 1.2 handshake, or whenever a TLS 1.3
// NewSessionTicket arrives (after the handshake, during a read).
int PodTls::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<PodTls*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  auto* pod = static_cast<const asio::ip::tcp::endpoint*>(SSL_get_ex_data(ssl, pod_slot()));
  if (!self || !pod) return 0;
  self->keep(*pod, session);
  return 1;  // the reference is ours now
}

void PodTls::keep(const asio::ip::tcp::endpoint& pod, SSL_SESSION* session) {
  auto [it, inserted] = sessions_.try_emplace(pod, session);
  if (!inserted) {
    SSL_SESSION_free(it->second);
    it->second = session;
    return;
  }
  if (sessions_.size() > kMaxSessions) {
    for (auto& [p, s] : sessions_)
      if (s != session) SSL_SESSION_free(s);
    sessions_.clear();
    sessions_.emplace(pod, session);
  }
}

}  // namespace gatehouse::proxy::tls
