// Validation: the API server's checks (SPEC.md §2), one test per rejection, each through a real
// manifest so the diagnostic's file, document, kind, namespace/name and field are checked too.
#include "model/validate.h"

#include <gtest/gtest.h>

#include <string>

#include "model/manifest_util.h"

namespace gatehouse::model {
namespace {

using testing::count;
using testing::decode;
using testing::Decoded;
using testing::dump;
using testing::expect_rejected;
using testing::ingress_with_backend;
using testing::ingress_with_host;
using testing::ingress_with_path;

constexpr std::string_view kPathPrefix = "spec.rules[0].http.paths[0]";

std::string field(std::string_view suffix) {
  return std::string(kPathPrefix) + std::string(suffix);
}

// ---- building blocks -----------------------------------------------------------------------

TEST(ValidateHost, AcceptsDnsNamesAndWildcards) {
  for (const char* ok : {"foo.org", "a", "a-b.c-d.example", "0.example.com", "*.example.com",
                         "xn--bcher-kva.example"})
    EXPECT_FALSE(check_ingress_host(ok).has_value()) << ok;
}

TEST(ValidateHost, RejectsEverythingElse) {
  std::string long_label(64, 'a');
  std::string long_host;
  for (int i = 0; i < 5; ++i) long_host += std::string(60, 'a') + ".";
  long_host += "com";
  for (const std::string& bad :
       {std::string("Foo.org"), std::string("*"), std::string("foo.*.org"), std::string("*foo.org"),
        std::string("*.*.org"), std::string("-foo.org"), std::string("foo-.org"),
        std::string("foo..org"), std::string("foo.org."), std::string("foo_bar.org"),
        std::string("foo.org:80"), std::string("1.2.3.4"), std::string("::1"),
        std::string("2001:db8::1"), long_label + ".org", long_host, std::string("")})
    EXPECT_TRUE(check_ingress_host(bad).has_value()) << bad;
  EXPECT_TRUE(check_ingress_host("*.example.com", false).has_value());
  EXPECT_EQ(check_ingress_host("10.0.0.1"), "must be a DNS name, not an IP address");
}

TEST(ValidatePortName, IanaServiceNames) {
  for (const char* ok : {"http", "h2c", "web-1", "a", "abcdefghijklmno"})
    EXPECT_FALSE(check_port_name(ok).has_value()) << ok;
  for (const char* bad :
       {"", "HTTP", "8080", "-http", "http-", "ht--tp", "abcdefghijklmnop", "http_x", "http.x"})
    EXPECT_TRUE(check_port_name(bad).has_value()) << bad;
}

TEST(ValidateNames, Dns1035AndDns1123) {
  EXPECT_FALSE(check_dns1035_label("web-1").has_value());
  EXPECT_TRUE(check_dns1035_label("1web").has_value());
  EXPECT_TRUE(check_dns1123_label("a.b").has_value());
  EXPECT_FALSE(check_dns1123_label("1web").has_value());
  EXPECT_FALSE(check_dns1123_subdomain("a.b-c.d").has_value());
  EXPECT_TRUE(check_dns1123_subdomain(std::string(254, 'a')).has_value());
}

TEST(ValidateIp, Forms) {
  EXPECT_TRUE(is_ip_address("10.0.0.1"));
  EXPECT_TRUE(is_ip_address("::1"));
  EXPECT_TRUE(is_ip_address("::ffff:10.0.0.1"));
  EXPECT_FALSE(is_ip_address("10.0.0"));
  EXPECT_FALSE(is_ip_address("example.com"));
}

// ---- Ingress: accepted with a warning, or accepted quietly ---------------------------------

TEST(ValidateIngress, MissingPathTypeIsPrefixWithAWarning) {
  Decoded d = decode(
      ingress_with_path("path: /x, backend: {service: {name: s, port: {number: 1}}}"), "warn.yaml");
  ASSERT_EQ(d.objects.ingresses.size(), 1u) << dump(d.diagnostics);
  const HTTPIngressPath& p = d.objects.ingresses[0].rules[0].paths[0];
  EXPECT_EQ(p.path_type, PathType::kPrefix);
  EXPECT_TRUE(p.path_type_defaulted);
  ASSERT_EQ(d.diagnostics.size(), 1u);
  const Diagnostic& w = d.diagnostics[0];
  EXPECT_EQ(w.severity, Severity::kWarning);
  EXPECT_EQ(w.origin.file, "warn.yaml");
  EXPECT_EQ(w.kind, "Ingress");
  EXPECT_EQ(w.namespace_, "web");
  EXPECT_EQ(w.name, "bad");
  EXPECT_EQ(w.field, field(".pathType"));
}

TEST(ValidateIngress, ImplementationSpecificMayOmitPathAndUseAnyAbsolutePath) {
  for (const char* p : {"pathType: ImplementationSpecific",
                        "path: '/a//b/../%2f', pathType: ImplementationSpecific"}) {
    Decoded d = decode(
        ingress_with_path(std::string(p) + ", backend: {service: {name: s, port: {number: 1}}}"));
    EXPECT_TRUE(d.diagnostics.empty()) << p << "\n" << dump(d.diagnostics);
    EXPECT_EQ(d.objects.ingresses.size(), 1u);
  }
}

TEST(ValidateIngress, DefaultBackendAloneIsEnough) {
  Decoded d = decode(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: only-default}
spec: {defaultBackend: {service: {name: s, port: {name: http}}}}
)");
  EXPECT_TRUE(d.diagnostics.empty()) << dump(d.diagnostics);
  EXPECT_EQ(d.objects.ingresses.size(), 1u);
}

TEST(ValidateIngress, ClassNameAndAnnotationThatAgree) {
  Decoded d = decode(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: a, annotations: {kubernetes.io/ingress.class: gatehouse}}
spec: {ingressClassName: gatehouse, defaultBackend: {service: {name: s, port: {number: 80}}}}
)");
  EXPECT_TRUE(d.diagnostics.empty()) << dump(d.diagnostics);
  EXPECT_EQ(d.objects.ingresses.size(), 1u);
}

// ---- Ingress rejections --------------------------------------------------------------------

TEST(RejectIngress, NoRulesNorDefaultBackend) {
  expect_rejected(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad, namespace: web}
spec: {tls: [{hosts: [a.org], secretName: s}]}
)",
                  "Ingress", "spec", "defaultBackend or rules");
}

TEST(RejectIngress, NoSpecAtAll) {
  expect_rejected(
      "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad, "
      "namespace: web}\n",
      "Ingress", "spec", "defaultBackend or rules");
}

TEST(RejectIngress, UpperCaseHost) {
  expect_rejected(ingress_with_host("Foo.org"), "Ingress", "spec.rules[0].host", "lower case");
}

TEST(RejectIngress, Ipv4Host) {
  expect_rejected(ingress_with_host("10.0.0.1"), "Ingress", "spec.rules[0].host", "IP address");
}

TEST(RejectIngress, Ipv6Host) {
  expect_rejected(ingress_with_host("'2001:db8::1'"), "Ingress", "spec.rules[0].host",
                  "IP address");
}

TEST(RejectIngress, BareWildcardHost) {
  expect_rejected(ingress_with_host("'*'"), "Ingress", "spec.rules[0].host", "bare");
}

TEST(RejectIngress, WildcardNotFirstLabel) {
  expect_rejected(ingress_with_host("'foo.*.org'"), "Ingress", "spec.rules[0].host", "wildcard");
}

TEST(RejectIngress, HostLabelStartingWithDash) {
  expect_rejected(ingress_with_host("-foo.org"), "Ingress", "spec.rules[0].host", "start and end");
}

TEST(RejectIngress, HostLabelTooLong) {
  expect_rejected(ingress_with_host(std::string(64, 'a') + ".org"), "Ingress", "spec.rules[0].host",
                  "63");
}

TEST(RejectIngress, HostTooLong) {
  std::string host;
  for (int i = 0; i < 5; ++i) host += std::string(60, 'a') + ".";
  expect_rejected(ingress_with_host(host + "org"), "Ingress", "spec.rules[0].host", "253");
}

// Exact and Prefix paths: each bad form, for each of the two types.
struct BadPath {
  const char* path;
  const char* message;
};

class RejectPath : public ::testing::TestWithParam<std::tuple<BadPath, const char*>> {};

TEST_P(RejectPath, ExactAndPrefix) {
  auto [bad, type] = GetParam();
  expect_rejected(ingress_with_path(std::string("path: '") + bad.path + "', pathType: " + type +
                                    ", backend: {service: {name: s, port: {number: 1}}}"),
                  "Ingress", field(".path"), bad.message);
}

INSTANTIATE_TEST_SUITE_P(
    Validate, RejectPath,
    ::testing::Combine(::testing::Values(BadPath{"a/b", "absolute"}, BadPath{"/a//b", "//"},
                                         BadPath{"/a/./b", "/./"}, BadPath{"/a/../b", "/../"},
                                         BadPath{"/a%2fb", "%2f"}, BadPath{"/a%2Fb", "%2F"},
                                         BadPath{"/a/.", "/."}, BadPath{"/a/..", "/.."}),
                       ::testing::Values("Exact", "Prefix")),
    [](const auto& test) {
      return std::string(std::get<1>(test.param)) + "_" + std::to_string(test.index);
    });

TEST(RejectIngress, MissingPathForPrefix) {
  expect_rejected(
      ingress_with_path("pathType: Prefix, backend: {service: {name: s, port: {number: 1}}}"),
      "Ingress", field(".path"), "required for pathType Prefix");
}

TEST(RejectIngress, MissingPathAndPathType) {
  expect_rejected(ingress_with_path("backend: {service: {name: s, port: {number: 1}}}"), "Ingress",
                  field(".path"), "pathType was missing");
}

TEST(RejectIngress, RelativeImplementationSpecificPath) {
  expect_rejected(ingress_with_path("path: foo, pathType: ImplementationSpecific, backend: "
                                    "{service: {name: s, port: {number: 1}}}"),
                  "Ingress", field(".path"), "absolute");
}

TEST(RejectIngress, BackendWithServiceAndResource) {
  expect_rejected(ingress_with_backend("{service: {name: s, port: {number: 1}}, resource: {kind: "
                                       "Bucket, name: b}}"),
                  "Ingress", field(".backend"), "both");
}

TEST(RejectIngress, BackendWithNeither) {
  expect_rejected(ingress_with_backend("{}"), "Ingress", field(".backend"),
                  "one of service or resource");
}

TEST(RejectIngress, PathWithoutBackend) {
  expect_rejected(ingress_with_path("path: /, pathType: Prefix"), "Ingress", field(".backend"),
                  "one of service or resource");
}

TEST(RejectIngress, ServiceWithoutName) {
  expect_rejected(ingress_with_backend("{service: {port: {number: 80}}}"), "Ingress",
                  field(".backend.service.name"), "required");
}

TEST(RejectIngress, ResourceWithoutKind) {
  expect_rejected(ingress_with_backend("{resource: {name: b}}"), "Ingress",
                  field(".backend.resource.kind"), "required");
}

TEST(RejectIngress, PortWithNameAndNumber) {
  expect_rejected(ingress_with_backend("{service: {name: s, port: {name: http, number: 80}}}"),
                  "Ingress", field(".backend.service.port"), "both");
}

TEST(RejectIngress, PortWithNeitherNameNorNumber) {
  expect_rejected(ingress_with_backend("{service: {name: s, port: {}}}"), "Ingress",
                  field(".backend.service.port"), "one of name or number");
  expect_rejected(ingress_with_backend("{service: {name: s}}"), "Ingress",
                  field(".backend.service.port"), "one of name or number");
}

TEST(RejectIngress, PortNumberOutOfRange) {
  expect_rejected(ingress_with_backend("{service: {name: s, port: {number: 65536}}}"), "Ingress",
                  field(".backend.service.port.number"), "between 1 and 65535");
  expect_rejected(ingress_with_backend("{service: {name: s, port: {number: -1}}}"), "Ingress",
                  field(".backend.service.port.number"), "between 1 and 65535");
}

TEST(RejectIngress, BadPortName) {
  expect_rejected(ingress_with_backend("{service: {name: s, port: {name: HTTP}}}"), "Ingress",
                  field(".backend.service.port.name"), "lower-case");
  expect_rejected(ingress_with_backend("{service: {name: s, port: {name: a-very-long-port-name}}}"),
                  "Ingress", field(".backend.service.port.name"), "15");
}

TEST(RejectIngress, HttpRuleWithoutPaths) {
  expect_rejected(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad, namespace: web}
spec: {rules: [{host: a.org, http: {paths: []}}]}
)",
                  "Ingress", "spec.rules[0].http.paths", "at least one path");
}

TEST(RejectIngress, ClassNameDisagreesWithAnnotation) {
  expect_rejected(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad, namespace: web, annotations: {kubernetes.io/ingress.class: nginx}}
spec: {ingressClassName: gatehouse, defaultBackend: {service: {name: s, port: {number: 80}}}}
)",
                  "Ingress", "spec.ingressClassName", "disagrees");
}

TEST(RejectIngress, BadTlsHost) {
  expect_rejected(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad, namespace: web}
spec:
  tls: [{hosts: [ok.org, "*"], secretName: s}]
  defaultBackend: {service: {name: s, port: {number: 80}}}
)",
                  "Ingress", "spec.tls[0].hosts[1]", "bare");
}

TEST(RejectIngress, BadDefaultBackend) {
  expect_rejected(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad, namespace: web}
spec: {defaultBackend: {service: {name: s, port: {number: 0}}}}
)",
                  "Ingress", "spec.defaultBackend.service.port", "one of name or number");
}

TEST(RejectIngress, BadName) {
  expect_rejected(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: Bad_Name, namespace: web}
spec: {defaultBackend: {service: {name: s, port: {number: 80}}}}
)",
                  "Ingress", "metadata.name", "", "web", "Bad_Name");
}

// ---- other kinds ---------------------------------------------------------------------------

TEST(RejectService, PortOutOfRange) {
  expect_rejected(R"(apiVersion: v1
kind: Service
metadata: {name: bad, namespace: web}
spec: {ports: [{name: a, port: 80}, {name: b, port: 70000}]}
)",
                  "Service", "spec.ports[1].port", "between 1 and 65535");
}

TEST(RejectService, UnnamedPortAmongSeveral) {
  expect_rejected(R"(apiVersion: v1
kind: Service
metadata: {name: bad, namespace: web}
spec: {ports: [{name: a, port: 80}, {port: 81}]}
)",
                  "Service", "spec.ports[1].name", "more than one port");
}

TEST(RejectEndpointSlice, BadAddressType) {
  expect_rejected(R"(apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: bad, namespace: web}
addressType: IPv5
)",
                  "EndpointSlice", "addressType", "IPv4, IPv6 or FQDN");
}

TEST(RejectEndpointSlice, PortOutOfRange) {
  expect_rejected(R"(apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: bad, namespace: web}
addressType: IPv4
endpoints: [{addresses: [10.0.0.1]}]
ports: [{name: http, port: 0}]
)",
                  "EndpointSlice", "ports[0].port", "between 1 and 65535");
}

TEST(RejectEndpointSlice, AddressOfTheWrongFamily) {
  expect_rejected(R"(apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: bad, namespace: web}
addressType: IPv4
endpoints: [{addresses: ["fd00::1"]}]
)",
                  "EndpointSlice", "endpoints[0].addresses[0]", "IPv4");
}

TEST(RejectIngressClass, MissingController) {
  expect_rejected(R"(apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: bad}
spec: {}
)",
                  "IngressClass", "spec.controller", "required", "");
}

// validate() on an object built in code: no decoder involved.
TEST(ValidateDirect, ReturnsFalseOnErrorAndTrueOnWarning) {
  Ingress ing;
  ing.meta.name = "web";
  ing.meta.namespace_ = "default";
  ing.meta.origin = Origin{"x.yaml", 3};
  IngressRule rule;
  rule.host = "foo.org";
  rule.has_http = true;
  HTTPIngressPath p;
  p.path = "/";
  p.path_type_defaulted = true;
  p.backend.service = IngressServiceBackend{"svc", ServiceBackendPort{"", 80}};
  rule.paths.push_back(p);
  ing.rules.push_back(rule);
  Diagnostics diagnostics;
  EXPECT_TRUE(validate(ing, diagnostics));
  ASSERT_EQ(count(diagnostics, Severity::kWarning), 1);
  EXPECT_EQ(diagnostics[0].origin.document, 3);

  ing.rules[0].host = "1.2.3.4";
  diagnostics.clear();
  EXPECT_FALSE(validate(ing, diagnostics));
  ASSERT_NE(testing::first_error(diagnostics), nullptr);
  EXPECT_EQ(testing::first_error(diagnostics)->to_string(),
            "x.yaml#3: error: Ingress default/web: spec.rules[0].host: must be a DNS name, not an "
            "IP address");
}

}  // namespace
}  // namespace gatehouse::model
