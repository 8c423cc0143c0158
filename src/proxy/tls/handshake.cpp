#include "proxy/tls/handshake.h"

#include <cstring>
#include <stdexcept>

namespace gatehouse::proxy::tls {

namespace {

int worker_slot() {
  static const int slot = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return slot;
}

const WorkerTls* state_of(SSL* ssl) {
  return static_cast<const WorkerTls*>(SSL_get_ex_data(ssl, worker_slot()));
}

// Called for every ClientHello, with or without a server name.
int on_server_name(SSL* ssl, int* alert, void*) {
  const WorkerTls* state = state_of(ssl);
  if (!state || !state->certs) {  // no configuration loaded yet
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  SSL_CTX* context = name ? state->certs->find(name) : state->certs->fallback();
  if (context != SSL_get_SSL_CTX(ssl) && !SSL_set_SSL_CTX(ssl, context)) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  return SSL_TLSEXT_ERR_OK;
}

int on_ticket_key(SSL* ssl, unsigned char name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
                  EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int enc) {
  const WorkerTls* state = state_of(ssl);
  if (!state || !state->ticket_keys) return 0;  // no ticket issued, or a full handshake
  return state->ticket_keys->apply(name, iv, cipher, mac, enc);
}

// HTTP/2 when the client offers it, else HTTP/1.1; a client offering neither gets no ALPN answer
// and decides itself whether to go on.
int on_alpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
            unsigned int in_length, void*) {
  static constexpr unsigned char kServerOrder[] = "\x02h2\x08http/1.1";
  unsigned char* chosen = nullptr;
  const int found = SSL_select_next_proto(&chosen, out_length, kServerOrder,
                                          sizeof kServerOrder - 1, in, in_length);
  if (found != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

void configure_server_context(SSL_CTX* context) {
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                   SSL_OP_NO_COMPRESSION);
  // TLS 1.2: ECDHE with AEAD only (also what HTTP/2 requires, RFC 9113 §9.2.2); 1.3 keeps
  // OpenSSL's defaults, which are all AEAD.
  SSL_CTX_set_cipher_list(context,
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
  SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS);
  // Resumption by tickets only: a server-side session cache would be shared between workers
  // (a lock) and grow with clients.
  SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(context, 1);
  SSL_CTX_set_timeout(context, kTicketLifetimeSeconds);
  static constexpr unsigned char kContext[] = "gatehouse";
  SSL_CTX_set_session_id_context(context, kContext, sizeof kContext - 1);
  SSL_CTX_set_tlsext_ticket_key_evp_cb(context, on_ticket_key);
  SSL_CTX_set_tlsext_servername_callback(context, on_server_name);
  SSL_CTX_set_alpn_select_cb(context, on_alpn, nullptr);
}

std::shared_ptr<SSL_CTX> make_listener_context() {
  std::shared_ptr<SSL_CTX> context(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!context) throw std::runtime_error("SSL_CTX_new failed");
  configure_server_context(context.get());
  return context;
}

void attach(SSL* ssl, const WorkerTls* state) {
  SSL_set_ex_data(ssl, worker_slot(), const_cast<WorkerTls*>(state));
}

}  // namespace gatehouse::proxy::tls
