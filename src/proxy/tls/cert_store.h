// CertStore turns the Ingresses' spec.tls and the Secrets they name into a CertTable, on the
// control thread, after each compile. Loading a certificate costs about a millisecond (mostly
// parsing the private key), so each Secret's SSL_CTX is kept and reused while the Secret's bytes
// stay the same: a change to one Secret loads one certificate, and endpoint changes load none.
//
// Rules (SPEC.md §8, and what ingress-nginx users expect):
// - spec.tls[i].hosts of an Ingress we serve name hosts; secretName a kubernetes.io/tls Secret in
//   the Ingress's namespace. Ingresses are read oldest first; the first one whose Secret loads
//   gives a host its certificate, a later one naming another Secret for it gets a warning.
// - An entry without secretName gives its hosts the default certificate (and the redirect).
// - An entry without hosts applies its certificate to the Ingress's rule hosts it covers.
// - A Secret that is missing, of another type, malformed, encrypted, expired or whose key does
//   not match is refused: an error on the Ingress naming the Secret; its hosts get the default
//   certificate, are not redirected, and every other host is unaffected.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "model/diagnostic.h"
#include "model/object_changes.h"
#include "model/objects.h"
#include "proxy/tls/cert_table.h"
#include "proxy/tls/server_certificate.h"

namespace gatehouse::proxy::tls {

struct SecretRef {
  std::string namespace_;
  std::string name;
};
// "NAMESPACE/NAME", as --default-certificate takes it.
Result<SecretRef> parse_secret_ref(std::string_view text);

class CertStore {
 public:
  using Owns = std::function<bool(const std::string& namespace_, const std::string& name)>;

  // `default_certificate` (--default-certificate) serves names no Ingress configures; without
  // it (or while it cannot be loaded) a self-signed certificate made here does. Throws when even
  // that cannot be made (OpenSSL broken).
  explicit CertStore(std::optional<SecretRef> default_certificate);

  // Whether `changes` may change the certificates: Ingresses, IngressClasses (ownership) and
  // Secrets do; Services and EndpointSlices do not.
  static bool affected_by(const model::ObjectChanges& changes);

  struct Update {
    std::shared_ptr<const CertTable> table;
    model::Diagnostics diagnostics;  // about the whole table, like the compiler's
  };
  // The table for `objects`. `changes` says which Secrets may have new bytes (all of them when
  // `changes.all`); `owns` says which Ingresses are ours (Compiler::owns after the compile).
  Update update(const model::Objects& objects, const model::ObjectChanges& changes,
                const Owns& owns);

  // What serves unconfigured names, for the log: "Secret ns/name (subject)" or the self-signed.
  const std::string& fallback_description() const { return fallback_description_; }

 private:
  struct Loaded {
    std::string digest;  // SHA-256 of the Secret's type and PEM bytes
    Result<ServerCertificate> certificate;
  };
  // The cached load of Secret `key` ("ns/name"), reloaded when `secret` differs from what was
  // loaded. `secret` null: missing.
  const Result<ServerCertificate>& load(const std::string& key, const model::Secret* secret,
                                        bool may_have_changed);

  std::optional<SecretRef> default_certificate_;
  ServerCertificate self_signed_;
  std::map<std::string, Loaded> cache_;  // by "ns/name"
  std::string fallback_description_;
};

}  // namespace gatehouse::proxy::tls
