// Other controllers' annotations (routing/annotations.h): reported, and an Ingress whose missing
// annotation would expose it is refused, never served as if the restriction were met.
#include "routing/annotations.h"

#include <gtest/gtest.h>

#include "routing/fixtures.h"

namespace gatehouse::routing {
namespace {

using namespace testing;  // NOLINT
constexpr auto P = PathType::kPrefix;

model::Ingress annotated(std::map<std::string, std::string> annotations) {
  auto i = ingress("web", {rule("web.org", {path("/", P, "svc")})});
  i.meta.annotations = std::move(annotations);
  return i;
}

Compiled compiled(model::Ingress i, UnsupportedAnnotations policy) {
  model::Objects o;
  o.ingresses = {std::move(i)};
  CompileOptions options;
  options.unsupported_annotations = policy;
  return compile_with_backends(o, options);
}

bool served(const Compiled& c) {
  return c.table->match("web.org", "/").kind == MatchKind::kRoute;
}

std::string dump(const model::Diagnostics& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) out += d.to_string() + "\n";
  return out;
}

// One annotation per thing ingress-nginx documents as restricting access (its "Annotations"
// page: Authentication, External Authentication, Client Certificate Authentication, Rate
// Limiting, Whitelist/Denylist source range, Configuration/Server snippets, ModSecurity,
// Satisfy, Canary), and their equivalents under the other controllers' prefixes.
TEST(Annotations, EveryRestrictionRefusesTheIngressByDefault) {
  for (const char* key : {
           "nginx.ingress.kubernetes.io/auth-type",
           "nginx.ingress.kubernetes.io/auth-secret",
           "nginx.ingress.kubernetes.io/auth-url",
           "nginx.ingress.kubernetes.io/auth-signin",
           "nginx.ingress.kubernetes.io/auth-tls-secret",
           "nginx.ingress.kubernetes.io/auth-tls-verify-client",
           "nginx.ingress.kubernetes.io/whitelist-source-range",
           "nginx.ingress.kubernetes.io/allowlist-source-range",
           "nginx.ingress.kubernetes.io/denylist-source-range",
           "nginx.ingress.kubernetes.io/limit-rps",
           "nginx.ingress.kubernetes.io/limit-rpm",
           "nginx.ingress.kubernetes.io/limit-connections",
           "nginx.ingress.kubernetes.io/global-rate-limit",
           "nginx.ingress.kubernetes.io/configuration-snippet",
           "nginx.ingress.kubernetes.io/server-snippet",
           "nginx.ingress.kubernetes.io/enable-modsecurity",
           "nginx.ingress.kubernetes.io/enable-owasp-core-rules",
           "nginx.ingress.kubernetes.io/satisfy",
           "nginx.ingress.kubernetes.io/canary",
           "ingress.kubernetes.io/auth-type",
           "ingress.kubernetes.io/whitelist-source-range",
           "haproxy-ingress.github.io/allowlist-source-range",
           "haproxy-ingress.github.io/auth-url",
           "haproxy-ingress.github.io/config-backend",
           "traefik.ingress.kubernetes.io/router.middlewares",
           "projectcontour.io/auth",
       }) {
    const Compiled c = compiled(annotated({{key, "x"}}), UnsupportedAnnotations::kRefuse);
    EXPECT_FALSE(served(c)) << key;
    ASSERT_EQ(c.diagnostics.size(), 1u) << key << "\n" << dump(c.diagnostics);
    const auto& d = c.diagnostics[0];
    EXPECT_EQ(d.severity, model::Severity::kError) << key;
    EXPECT_EQ(d.kind, "Ingress");
    EXPECT_EQ(d.name, "web");
    EXPECT_EQ(d.field, std::string("metadata.annotations[") + key + "]");
    EXPECT_NE(d.message.find("not served"), std::string::npos) << d.message;
  }
}

// The example: auth-url, whitelist-source-range and rewrite-target on one Ingress.
TEST(Annotations, EachIsNamedOnce) {
  const Compiled c =
      compiled(annotated({{"nginx.ingress.kubernetes.io/auth-url", "http://auth/"},
                          {"nginx.ingress.kubernetes.io/whitelist-source-range", "10.0.0.0/8"},
                          {"nginx.ingress.kubernetes.io/rewrite-target", "/"}}),
               UnsupportedAnnotations::kRefuse);
  EXPECT_FALSE(served(c));
  const std::string all = dump(c.diagnostics);
  EXPECT_EQ(c.diagnostics.size(), 3u) << all;
  EXPECT_NE(all.find("error: Ingress default/web: metadata.annotations[nginx.ingress.kubernetes.io/auth-url]"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("warning: Ingress default/web: "
                     "metadata.annotations[nginx.ingress.kubernetes.io/rewrite-target]: not "
                     "implemented by gatehouse: ignored"),
            std::string::npos)
      << all;
}

TEST(Annotations, WarnServesWithoutTheRestrictionAndSaysSo) {
  const Compiled c = compiled(annotated({{"nginx.ingress.kubernetes.io/auth-url", "http://a/"}}),
                              UnsupportedAnnotations::kWarn);
  EXPECT_TRUE(served(c));
  ASSERT_EQ(c.diagnostics.size(), 1u);
  EXPECT_EQ(c.diagnostics[0].severity, model::Severity::kWarning);
  EXPECT_NE(c.diagnostics[0].message.find("served WITHOUT authentication"), std::string::npos)
      << c.diagnostics[0].message;
}

TEST(Annotations, HarmlessOnesAreWarningsAndTheIngressIsServed) {
  for (const char* key : {"nginx.ingress.kubernetes.io/rewrite-target",
                          "nginx.ingress.kubernetes.io/proxy-body-size",
                          "nginx.ingress.kubernetes.io/ssl-redirect",
                          "nginx.ingress.kubernetes.io/enable-global-auth",
                          "nginx.ingress.kubernetes.io/backend-protocol",
                          "traefik.ingress.kubernetes.io/router.entrypoints"}) {
    const Compiled c = compiled(annotated({{key, "x"}}), UnsupportedAnnotations::kRefuse);
    EXPECT_TRUE(served(c)) << key;
    ASSERT_EQ(c.diagnostics.size(), 1u) << key;
    EXPECT_EQ(c.diagnostics[0].severity, model::Severity::kWarning) << key;
  }
}

TEST(Annotations, OtherAnnotationsAreNotReported) {
  const Compiled c = compiled(
      annotated({{"kubectl.kubernetes.io/last-applied-configuration", "{}"},
                 {"cert-manager.io/cluster-issuer", "letsencrypt"},
                 {std::string(kLegacyClassAnnotation), "gatehouse"},
                 {"example.com/auth-url", "http://elsewhere/"}}),
      UnsupportedAnnotations::kRefuse);
  EXPECT_TRUE(served(c));
  EXPECT_TRUE(c.diagnostics.empty()) << dump(c.diagnostics);
}

// Refused: its host answers as if the Ingress did not exist (another Ingress's rules for the
// same host still serve), and the refusal goes away with the annotation.
TEST(Annotations, ARefusedIngressIsAsIfAbsent) {
  model::Objects o;
  auto guarded = annotated({{"nginx.ingress.kubernetes.io/auth-type", "basic"}});
  auto open = ingress("open", {rule("web.org", {path("/public", P, "pub")})});
  o.ingresses = {open, guarded};  // sorted by name, as the incremental compile wants
  Compiler compiler(CompileOptions{});
  add_backends(o);
  Compiled c = compiler.compile(o, model::ObjectChanges::everything());
  EXPECT_EQ(c.table->match("web.org", "/private").kind, MatchKind::kNotFound);
  EXPECT_EQ(c.table->match("web.org", "/public").kind, MatchKind::kRoute);
  EXPECT_TRUE(compiler.refused("default", "web"));
  EXPECT_FALSE(compiler.owns("default", "web"));

  o.ingresses[1].meta.annotations.clear();
  model::ObjectChanges changed;
  changed.all = false;
  changed.keys.push_back(model::ObjectKey{model::Kind::kIngress, "default", "web"});
  c = compiler.compile(o, changed);
  EXPECT_EQ(c.table->match("web.org", "/private").kind, MatchKind::kRoute);
  EXPECT_FALSE(compiler.refused("default", "web"));
}

TEST(Annotations, PolicyParses) {
  UnsupportedAnnotations p = UnsupportedAnnotations::kWarn;
  EXPECT_TRUE(parse_unsupported_annotations("refuse", p));
  EXPECT_EQ(p, UnsupportedAnnotations::kRefuse);
  EXPECT_TRUE(parse_unsupported_annotations("warn", p));
  EXPECT_EQ(p, UnsupportedAnnotations::kWarn);
  EXPECT_FALSE(parse_unsupported_annotations("ignore", p));
}

}  // namespace
}  // namespace gatehouse::routing
