// The certificates a worker chooses from during a handshake, as one immutable snapshot: hosts
// from the Ingresses' spec.tls (exact names, and "*.foo.org" wildcards of one label) mapped to
// a configured SSL_CTX, and the fallback served to every other name and to clients sending no
// SNI. Built on the control thread (CertStore), read by workers without locks; a connection's
// SSL holds a reference to its SSL_CTX, so it keeps its certificate when the table is replaced.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gatehouse::proxy::tls {

class CertTable {
 public:
  // The context for a ClientHello's server name: an exact host first, then a wildcard one label
  // up, else the fallback. Case-insensitive; one trailing dot ignored. Never null.
  SSL_CTX* find(std::string_view server_name) const;
  // Whether `host` (a Host header, ":port" allowed) has TLS configured: an exact or wildcard
  // entry whose Secret loaded (or that names no Secret and so uses the fallback on purpose).
  // Plain-HTTP requests for such hosts are redirected to https.
  bool has_tls(std::string_view host) const;
  SSL_CTX* fallback() const { return fallback_.get(); }

 private:
  friend class CertStore;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  using Index = std::unordered_map<std::string, SSL_CTX*, Hash, std::equal_to<>>;
  // The entry for a normalized name, or nullptr.
  const Index::value_type* lookup(std::string_view name) const;

  Index exact_;     // "foo.org" → its context
  Index wildcard_;  // "foo.org" (from "*.foo.org") → its context
  std::vector<std::shared_ptr<SSL_CTX>> contexts_;  // owns what the indexes point to
  std::shared_ptr<SSL_CTX> fallback_;
};

}  // namespace gatehouse::proxy::tls
