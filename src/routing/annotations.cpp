#include "routing/annotations.h"

namespace gatehouse::routing {

namespace {

// Words in an annotation's name (after its prefix) that tie it to access control, and what they
// protect. Matched anywhere in the name, first match wins. Examples from ingress-nginx's
// documentation: auth-url, auth-type, auth-tls-secret; whitelist-source-range,
// allowlist-source-range, denylist-source-range; limit-rps, limit-connections,
// global-rate-limit; configuration-snippet, server-snippet; enable-modsecurity,
// enable-owasp-core-rules; satisfy; canary, canary-weight. Traefik's router.middlewares may
// carry authentication; HAProxy Ingress's config-backend is a snippet.
struct ExposingWord {
  std::string_view word;
  std::string_view protects;
};
constexpr ExposingWord kExposingWords[] = {
    {"auth", "authentication"},
    {"allowlist", "a source allow-list"},
    {"whitelist", "a source allow-list"},
    {"denylist", "a source deny-list"},
    {"blacklist", "a source deny-list"},
    {"source-range", "a source address list"},
    {"limit", "a rate or connection limit"},
    {"snippet", "configuration text (never executed by gatehouse)"},
    {"config-", "configuration text (never executed by gatehouse)"},
    {"modsecurity", "a web application firewall"},
    {"owasp", "a web application firewall"},
    {"waf", "a web application firewall"},
    {"satisfy", "how authentication and allow-lists combine"},
    {"middleware", "middlewares (authentication among them)"},
    {"client-cert", "client-certificate authentication"},
    {"canary", "a canary's share of traffic (served whole, it would take all of it)"},
};

// Names that contain one of the words above but whose absence restricts, not exposes.
constexpr std::string_view kNotExposing[] = {
    "enable-global-auth",  // "false" opts out of a global auth gatehouse does not have
};

}  // namespace

std::vector<UnsupportedAnnotation> unsupported_annotations(
    const std::map<std::string, std::string>& annotations) {
  std::vector<UnsupportedAnnotation> out;
  for (const auto& [key, value] : annotations) {
    std::string_view name;
    for (std::string_view prefix : kControllerAnnotationPrefixes)
      if (key.size() > prefix.size() && std::string_view(key).starts_with(prefix)) {
        name = std::string_view(key).substr(prefix.size());
        break;
      }
    if (name.empty()) continue;
    UnsupportedAnnotation found{key, false, {}};
    bool exempt = false;
    for (std::string_view n : kNotExposing) exempt |= name == n;
    for (const ExposingWord& w : kExposingWords) {
      if (exempt || name.find(w.word) == std::string_view::npos) continue;
      found.exposing = true;
      found.why = w.protects;
      break;
    }
    out.push_back(std::move(found));
  }
  return out;
}

bool parse_unsupported_annotations(std::string_view text, UnsupportedAnnotations& out) {
  if (text == "refuse") {
    out = UnsupportedAnnotations::kRefuse;
    return true;
  }
  if (text == "warn") {
    out = UnsupportedAnnotations::kWarn;
    return true;
  }
  return false;
}

}  // namespace gatehouse::routing
