// Annotations of other ingress controllers on an Ingress (ingress-nginx's first among them), read
// so that gatehouse never serves an Ingress other than its author meant. gatehouse implements
// none of them yet: each is a diagnostic naming the Ingress and the annotation, and one whose
// absence would expose what it protects (authentication, allow/deny lists, client certificates,
// rate limits, a WAF, configuration snippets, a canary's traffic share) refuses the whole Ingress
// unless the operator says --unsupported-annotations=warn. Deny when in doubt: an annotation of
// these controllers that a word of its name ties to access control counts as exposing.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::routing {

enum class UnsupportedAnnotations : unsigned char {
  kRefuse,  // an exposing annotation refuses its Ingress (the default)
  kWarn,    // every unsupported annotation is a warning; the Ingress is served without it
};

// The annotation prefixes of the controllers whose Ingresses people bring to gatehouse.
inline constexpr std::string_view kControllerAnnotationPrefixes[] = {
    "nginx.ingress.kubernetes.io/", "ingress.kubernetes.io/",       "haproxy-ingress.github.io/",
    "projectcontour.io/",           "traefik.ingress.kubernetes.io/",
};

struct UnsupportedAnnotation {
  std::string key;
  bool exposing = false;  // serving without it would grant access the author restricted
  std::string_view why;   // for an exposing one: what it protects ("authentication", ...)
};

// The annotations of `annotations` under the prefixes above that gatehouse does not implement,
// in key order. Annotations of anything else (kubectl, cert-manager, gatehouse's own class
// annotation) are not reported.
std::vector<UnsupportedAnnotation> unsupported_annotations(
    const std::map<std::string, std::string>& annotations);

// "refuse" or "warn"; false for anything else.
bool parse_unsupported_annotations(std::string_view text, UnsupportedAnnotations& out);

}  // namespace gatehouse::routing
