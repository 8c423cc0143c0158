#include "proxy/tls/cert_store.h"

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

#include "base/strings.h"
#include "proxy/tls/self_signed.h"

namespace gatehouse::proxy::tls {

namespace {

std::string key_of(const std::string& namespace_, const std::string& name) {
  return namespace_ + "/" + name;
}

// SHA-256 over what load_server_certificate reads, so an unchanged Secret is not parsed again.
std::string digest_of(const model::Secret& secret) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 unavailable");
  auto add = [&](const std::string& bytes) {
    const std::uint64_t n = bytes.size();  // length-prefixed: no two inputs collide by framing
    EVP_DigestUpdate(md.get(), &n, sizeof n);
    EVP_DigestUpdate(md.get(), bytes.data(), bytes.size());
  };
  add(secret.type);
  for (const char* part : {"tls.crt", "tls.key", "tls.ocsp"}) {
    auto it = secret.data.find(part);
    add(it == secret.data.end() ? std::string() : it->second);
  }
  EVP_DigestFinal_ex(md.get(), out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

// SPEC.md §5.2's order of Ingresses: oldest first, a missing creationTimestamp last, then by
// namespace/name.
bool older(const model::Ingress* a, const model::Ingress* b) {
  const auto& ta = a->meta.creation_timestamp;
  const auto& tb = b->meta.creation_timestamp;
  return std::forward_as_tuple(!ta.has_value(), ta.value_or(0), a->meta.namespace_,
                               a->meta.name) <
         std::forward_as_tuple(!tb.has_value(), tb.value_or(0), b->meta.namespace_, b->meta.name);
}

std::string lower(std::string s) {
  for (char& c : s) c = ascii_lower(c);
  return s;
}

bool covers(SSL_CTX* context, const std::string& host) {
  X509* leaf = SSL_CTX_get0_certificate(context);
  return leaf && X509_check_host(leaf, host.data(), host.size(), 0, nullptr) == 1;
}

std::string join_hosts(const std::vector<std::string>& hosts) {
  std::string out;
  for (const auto& h : hosts) out += (out.empty() ? "" : ", ") + h;
  return out;
}

// Who gives a host its certificate.
struct Claim {
  std::string secret;  // "ns/name"; "" for the default certificate
  const model::Ingress* ingress = nullptr;
  SSL_CTX* context = nullptr;
};

}  // namespace

Result<SecretRef> parse_secret_ref(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size() ||
      text.find('/', slash + 1) != std::string_view::npos)
    return Error::invalid("expected NAMESPACE/NAME, got \"" + std::string(text) + "\"");
  return SecretRef{std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
}

CertStore::CertStore(std::optional<SecretRef> default_certificate)
    : default_certificate_(std::move(default_certificate)) {
  auto made = make_self_signed();
  if (!made) throw std::runtime_error(made.error().message);
  self_signed_ = std::move(*made);
  fallback_description_ =
      std::string("a self-signed certificate generated at start (CN=") + kSelfSignedName + ")";
}

bool CertStore::affected_by(const model::ObjectChanges& changes) {
  if (changes.all) return true;
  return std::any_of(changes.keys.begin(), changes.keys.end(), [](const model::ObjectKey& k) {
    return k.kind == model::Kind::kIngress || k.kind == model::Kind::kIngressClass ||
           k.kind == model::Kind::kSecret;
  });
}

const Result<ServerCertificate>& CertStore::load(const std::string& key,
                                                  const model::Secret* secret,
                                                  bool may_have_changed) {
  auto it = cache_.find(key);
  if (it != cache_.end() && !may_have_changed) return it->second.certificate;
  if (!secret) {
    Loaded missing{"", Error::invalid("Secret " + key + " not found")};
    return cache_.insert_or_assign(key, std::move(missing)).first->second.certificate;
  }
  std::string digest = digest_of(*secret);
  if (it != cache_.end() && it->second.digest == digest) return it->second.certificate;
  Loaded loaded{std::move(digest), load_server_certificate(*secret)};
  return cache_.insert_or_assign(key, std::move(loaded)).first->second.certificate;
}

CertStore::Update CertStore::update(const model::Objects& objects,
                                    const model::ObjectChanges& changes, const Owns& owns) {
  std::set<std::string> changed_secrets;
  for (const auto& k : changes.keys)
    if (k.kind == model::Kind::kSecret) changed_secrets.insert(key_of(k.namespace_, k.name));
  auto may_have_changed = [&](const std::string& key) {
    return changes.all || changed_secrets.contains(key);
  };

  std::vector<const model::Ingress*> ingresses;  // ours, with spec.tls, oldest first
  for (const auto& ingress : objects.ingresses)
    if (!ingress.tls.empty() && owns(ingress.meta.namespace_, ingress.meta.name))
      ingresses.push_back(&ingress);
  std::sort(ingresses.begin(), ingresses.end(), older);

  // The Secrets named, found in one pass over all Secrets (the last of duplicates wins).
  std::unordered_map<std::string, const model::Secret*> secrets;
  for (const auto* ingress : ingresses)
    for (const auto& entry : ingress->tls)
      if (!entry.secret_name.empty())
        secrets.emplace(key_of(ingress->meta.namespace_, entry.secret_name), nullptr);
  std::string default_key;
  if (default_certificate_) {
    default_key = key_of(default_certificate_->namespace_, default_certificate_->name);
    secrets.emplace(default_key, nullptr);
  }
  for (const auto& secret : objects.secrets)
    if (auto it = secrets.find(key_of(secret.meta.namespace_, secret.meta.name));
        it != secrets.end())
      it->second = &secret;

  Update out;
  auto table = std::make_shared<CertTable>();
  std::set<SSL_CTX*> kept;
  auto keep = [&](const std::shared_ptr<SSL_CTX>& context) {
    if (kept.insert(context.get()).second) table->contexts_.push_back(context);
  };

  table->fallback_ = self_signed_.context;
  fallback_description_ =
      std::string("a self-signed certificate generated at start (CN=") + kSelfSignedName + ")";
  if (default_certificate_) {
    const auto& loaded = load(default_key, secrets[default_key], may_have_changed(default_key));
    if (loaded) {
      table->fallback_ = loaded->context;
      fallback_description_ = "Secret " + default_key + " (" + loaded->subject + ")";
      if (!loaded->ocsp_problem.empty())
        out.diagnostics.push_back(model::Diagnostic::about_option(
            model::Severity::kWarning, "--default-certificate",
            "Secret " + default_key + ": tls.ocsp: " + loaded->ocsp_problem +
                "; the certificate serves without a stapled OCSP response"));
    } else {
      out.diagnostics.push_back(model::Diagnostic::about_option(
          model::Severity::kError, "--default-certificate",
          loaded.error().message + "; serving " + fallback_description_ + " instead"));
    }
  }
  SSL_CTX* const fallback = table->fallback_.get();

  std::map<std::string, Claim> claims;  // by lower-case host, "*.foo.org" for wildcards
  struct Implicit {
    const model::Ingress* ingress;
    std::size_t entry;
    Claim claim;
  };
  std::vector<Implicit> implicit;  // entries without hosts
  auto diagnose = [&](model::Severity severity, const model::Ingress& ingress, std::string field,
                      std::string message) {
    out.diagnostics.push_back(model::Diagnostic{severity, ingress.meta.origin, "Ingress",
                                                ingress.meta.namespace_, ingress.meta.name,
                                                std::move(field), std::move(message)});
  };
  for (const model::Ingress* ingress : ingresses) {
    for (std::size_t i = 0; i < ingress->tls.size(); ++i) {
      const model::IngressTLS& entry = ingress->tls[i];
      const std::string field = "spec.tls[" + std::to_string(i) + "]";
      Claim claim{"", ingress, fallback};
      if (!entry.secret_name.empty()) {
        claim.secret = key_of(ingress->meta.namespace_, entry.secret_name);
        const auto& loaded = load(claim.secret, secrets[claim.secret],
                                  may_have_changed(claim.secret));
        if (!loaded) {
          std::string hosts = entry.hosts.empty() ? std::string("its rule hosts")
                                                  : join_hosts(entry.hosts);
          diagnose(model::Severity::kError, *ingress, field + ".secretName",
                   loaded.error().message + "; " + hosts +
                       (entry.hosts.size() == 1 ? " gets" : " get") +
                       " the default certificate and no redirect to https");
          continue;
        }
        if (!loaded->ocsp_problem.empty())
          diagnose(model::Severity::kWarning, *ingress, field + ".secretName",
                   "Secret " + claim.secret + ": tls.ocsp: " + loaded->ocsp_problem +
                       "; the certificate serves without a stapled OCSP response");
        keep(loaded->context);
        claim.context = loaded->context.get();
      }
      if (entry.hosts.empty()) {
        if (entry.secret_name.empty())
          diagnose(model::Severity::kWarning, *ingress, field,
                   "neither hosts nor secretName: the entry does nothing");
        else
          implicit.push_back({ingress, i, claim});
        continue;
      }
      for (std::size_t j = 0; j < entry.hosts.size(); ++j) {
        const std::string host = lower(entry.hosts[j]);
        const std::string host_field = field + ".hosts[" + std::to_string(j) + "]";
        auto [it, inserted] = claims.emplace(host, claim);
        if (!inserted) {
          if (it->second.secret != claim.secret)
            diagnose(model::Severity::kWarning, *ingress, host_field,
                     host + " already gets " +
                         (it->second.secret.empty() ? std::string("the default certificate")
                                                    : "the certificate of Secret " +
                                                          it->second.secret) +
                         " from Ingress " + it->second.ingress->meta.namespace_ + "/" +
                         it->second.ingress->meta.name +
                         " (older, or listed first); this entry is ignored for it");
          continue;
        }
        if (claim.context != fallback && !host.starts_with("*.") && !covers(claim.context, host))
          diagnose(model::Severity::kWarning, *ingress, host_field,
                   "the certificate of Secret " + claim.secret + " does not name " + host +
                       ": clients will reject it");
      }
    }
  }
  // Entries without hosts serve the Ingress's rule hosts their certificate names (as
  // ingress-nginx does), after every explicit entry.
  for (const Implicit& entry : implicit) {
    bool used = false;
    for (const auto& rule : entry.ingress->rules) {
      const std::string host = lower(rule.host);
      if (host.empty() || host.starts_with("*.") || !covers(entry.claim.context, host)) continue;
      used = true;
      claims.emplace(host, entry.claim);
    }
    if (!used)
      diagnose(model::Severity::kWarning, *entry.ingress,
               "spec.tls[" + std::to_string(entry.entry) + "].hosts",
               "no hosts listed, and the certificate of Secret " + entry.claim.secret +
                   " names none of this Ingress's rule hosts: it is not used");
  }

  for (auto& [host, claim] : claims) {
    if (host.starts_with("*."))
      table->wildcard_.emplace(host.substr(2), claim.context);
    else
      table->exact_.emplace(host, claim.context);
  }
  // Forget Secrets nothing names any more.
  std::erase_if(cache_, [&](const auto& entry) { return !secrets.contains(entry.first); });
  out.table = std::move(table);
  return out;
}

}  // namespace gatehouse::proxy::tls
