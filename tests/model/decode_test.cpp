// Decoding manifests: YAML and JSON into typed objects, and every way decoding can reject one.
#include "model/decode.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <cstdint>
#include <string>

#include "base/base64.h"
#include "model/decode_fields.h"
#include "model/manifest_util.h"
#include "model/yaml_to_json.h"

namespace gatehouse::model {
namespace {

using testing::count;
using testing::decode;
using testing::Decoded;
using testing::dump;
using testing::expect_rejected;
using testing::first_error;

// The talk's Ingress: no namespace, no pathType.
constexpr std::string_view kFoobar = R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: foobar
spec:
  rules:
  - host: foo.org
    http:
      paths:
      - path: /a
        backend:
          service:
            name: foo-a
            port:
              number: 8080
      - path: /b
        backend: {service: {name: foo-b, port: {number: 8181}}}
  - host: bar.org
    http:
      paths:
      - path: /a
        backend: {service: {name: bar-a, port: {number: 9090}}}
      - path: /b
        backend: {service: {name: bar-b, port: {number: 9191}}}
)";

TEST(DecodeYaml, TalkFoobarIngressAmongOtherDocuments) {
  std::string text = std::string("# leading comment\n") + std::string(kFoobar) + R"(---
apiVersion: apps/v1
kind: Deployment
metadata: {name: foo-a}
spec: {replicas: 2}
---
apiVersion: v1
kind: Service
metadata: {name: foo-a}
spec:
  ports: [{name: http, port: 8080, targetPort: web}]
)";
  Decoded d = decode(text, "foobar.yaml");
  EXPECT_EQ(count(d.diagnostics, Severity::kError), 0) << dump(d.diagnostics);
  ASSERT_EQ(d.objects.ingresses.size(), 1u);
  const Ingress& ing = d.objects.ingresses[0];
  EXPECT_EQ(ing.meta.name, "foobar");
  EXPECT_EQ(ing.meta.namespace_, "default");
  EXPECT_EQ(ing.meta.origin.file, "foobar.yaml");
  EXPECT_EQ(ing.meta.origin.document, 0);
  EXPECT_FALSE(ing.ingress_class_name.has_value());
  ASSERT_EQ(ing.rules.size(), 2u);
  EXPECT_EQ(ing.rules[0].host, "foo.org");
  EXPECT_EQ(ing.rules[1].host, "bar.org");
  ASSERT_EQ(ing.rules[0].paths.size(), 2u);
  ASSERT_EQ(ing.rules[1].paths.size(), 2u);
  const HTTPIngressPath& p = ing.rules[0].paths[1];
  EXPECT_EQ(p.path, "/b");
  EXPECT_EQ(p.path_type, PathType::kPrefix);
  EXPECT_TRUE(p.path_type_defaulted);
  ASSERT_TRUE(p.backend.service.has_value());
  EXPECT_EQ(p.backend.service->name, "foo-b");
  EXPECT_EQ(p.backend.service->port.number, 8181);
  EXPECT_EQ(ing.rules[1].paths[1].backend.service->port.number, 9191);
  EXPECT_EQ(ing.rules[0].paths[0].backend.service->port.number, 8080);

  // One warning per path without pathType; the Deployment is silently ignored.
  // The four missing pathTypes, and one line saying the Deployment is not read.
  EXPECT_EQ(count(d.diagnostics, Severity::kWarning), 5) << dump(d.diagnostics);
  EXPECT_EQ(d.diagnostics[0].field, "spec.rules[0].http.paths[0].pathType");
  EXPECT_EQ(d.diagnostics[0].name, "foobar");
  EXPECT_EQ(d.diagnostics[0].namespace_, "default");

  ASSERT_EQ(d.objects.services.size(), 1u);
  const Service& svc = d.objects.services[0];
  EXPECT_EQ(svc.meta.origin.document, 2);
  ASSERT_EQ(svc.ports.size(), 1u);
  EXPECT_EQ(svc.ports[0].name, "http");
  EXPECT_EQ(svc.ports[0].protocol, "TCP");
  EXPECT_TRUE(svc.ports[0].target_port.is_string);
  EXPECT_EQ(svc.ports[0].target_port.str, "web");
}

TEST(DecodeYaml, EmptyDocumentsAreSkippedButCounted) {
  std::string text =
      "---\n---\n# only a comment\n---\n" + std::string(testing::kGoodService) + "---\n";
  Decoded d = decode(text);
  EXPECT_TRUE(d.diagnostics.empty()) << dump(d.diagnostics);
  ASSERT_EQ(d.objects.services.size(), 1u);
  EXPECT_EQ(d.objects.services[0].meta.origin.document, 2);
  EXPECT_TRUE(decode("").diagnostics.empty());
  EXPECT_TRUE(decode("# nothing\n").diagnostics.empty());
}

// Kinds gatehouse does not read are skipped, each with one warning line, so that nobody takes
// an HTTPRoute or a ConfigMap in the manifests for applied.
TEST(DecodeYaml, UnknownKindsAreSkippedWithOneLineEach) {
  Decoded d = decode(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {a: b}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
)");
  ASSERT_EQ(d.diagnostics.size(), 3u) << dump(d.diagnostics);
  EXPECT_EQ(count(d.diagnostics, Severity::kWarning), 3);
  EXPECT_EQ(d.diagnostics[2].to_string(),
            "test.yaml#2: warning: HTTPRoute r: not read: gatehouse reads Ingress, IngressClass, "
            "Service, EndpointSlice and Secret");
  EXPECT_TRUE(d.objects.ingresses.empty());
  EXPECT_TRUE(d.objects.services.empty());
}

TEST(DecodeYaml, UnknownFieldsAreIgnored) {
  Decoded d = decode(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  generation: 3
  managedFields: [{manager: kubectl}]
spec:
  someFutureField: {x: [1, 2]}
  rules:
  - host: shop.example.com
    extra: true
    http:
      paths:
      - path: /
        pathType: Exact
        backend: {service: {name: web, port: {name: http}, weight: 3}}
status:
  loadBalancer: {ingress: [{ip: 10.0.0.1}]}
)");
  EXPECT_TRUE(d.diagnostics.empty()) << dump(d.diagnostics);
  ASSERT_EQ(d.objects.ingresses.size(), 1u);
  const Ingress& ing = d.objects.ingresses[0];
  EXPECT_EQ(ing.meta.namespace_, "shop");
  EXPECT_EQ(ing.rules[0].paths[0].path_type, PathType::kExact);
  EXPECT_FALSE(ing.rules[0].paths[0].path_type_defaulted);
  EXPECT_EQ(ing.rules[0].paths[0].backend.service->port.name, "http");
}

TEST(DecodeYaml, FullIngressFields) {
  Decoded d = decode(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  labels: {app: web}
  annotations:
    kubernetes.io/ingress.class: gatehouse
    empty:
  resourceVersion: "42"
  uid: 1234-abcd
spec:
  ingressClassName: gatehouse
  defaultBackend:
    resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: static}
  tls:
  - hosts: [a.example.com, "*.b.example.com"]
    secretName: tls-a
  rules:
  - host: "*.b.example.com"
    http:
      paths:
      - path: /api
        pathType: ImplementationSpecific
        backend: {service: {name: api, port: {number: 8080}}}
      - pathType: ImplementationSpecific
        backend: {service: {name: api, port: {number: 8080}}}
  - http:
      paths:
      - {path: /x, pathType: Prefix, backend: {service: {name: x, port: {number: 1}}}}
)");
  EXPECT_TRUE(d.diagnostics.empty()) << dump(d.diagnostics);
  ASSERT_EQ(d.objects.ingresses.size(), 1u);
  const Ingress& ing = d.objects.ingresses[0];
  EXPECT_EQ(ing.meta.labels.at("app"), "web");
  EXPECT_EQ(ing.meta.annotations.at("kubernetes.io/ingress.class"), "gatehouse");
  EXPECT_EQ(ing.meta.annotations.at("empty"), "");
  EXPECT_EQ(ing.meta.resource_version, "42");
  EXPECT_EQ(ing.meta.uid, "1234-abcd");
  EXPECT_EQ(ing.ingress_class_name, "gatehouse");
  ASSERT_TRUE(ing.default_backend && ing.default_backend->resource);
  EXPECT_EQ(ing.default_backend->resource->kind, "StorageBucket");
  EXPECT_EQ(ing.default_backend->resource->api_group, "k8s.example.com");
  ASSERT_EQ(ing.tls.size(), 1u);
  EXPECT_EQ(ing.tls[0].hosts.size(), 2u);
  EXPECT_EQ(ing.tls[0].secret_name, "tls-a");
  EXPECT_EQ(ing.rules[0].host, "*.b.example.com");
  EXPECT_EQ(ing.rules[0].paths[1].path, "");
  EXPECT_EQ(ing.rules[0].paths[1].path_type, PathType::kImplementationSpecific);
  EXPECT_EQ(ing.rules[1].host, "");
  EXPECT_TRUE(ing.rules[1].has_http);
}

TEST(DecodeYaml, QuotedPortNumberIsAnError) {
  expect_rejected(testing::ingress_with_backend(R"({service: {name: s, port: {number: "8080"}}})"),
                  "Ingress", "spec.rules[0].http.paths[0].backend.service.port.number",
                  "must be an integer, got string \"8080\"");
}

TEST(DecodeYaml, PlainPortNumberIsANumber) {
  Decoded d = decode(testing::ingress_with_backend("{service: {name: s, port: {number: 8080}}}"));
  EXPECT_EQ(count(d.diagnostics, Severity::kError), 0) << dump(d.diagnostics);
  ASSERT_EQ(d.objects.ingresses.size(), 1u);
  EXPECT_EQ(d.objects.ingresses[0].rules[0].paths[0].backend.service->port.number, 8080);
}

TEST(DecodeYaml, QuotedNameStaysAStringAndQuotedBoolIsNotABool) {
  Decoded d = decode(R"(apiVersion: v1
kind: Service
metadata: {name: "true", namespace: '123'}
spec: {ports: [{port: 80, name: "0x1f"}]}
)");
  // Quoted scalars that look like a bool, an int or a hex number stay strings.
  EXPECT_TRUE(d.diagnostics.empty()) << dump(d.diagnostics);
  ASSERT_EQ(d.objects.services.size(), 1u);
  EXPECT_EQ(d.objects.services[0].meta.name, "true");
  EXPECT_EQ(d.objects.services[0].meta.namespace_, "123");
  EXPECT_EQ(d.objects.services[0].ports[0].name, "0x1f");

  expect_rejected(R"(apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: bad, namespace: web}
addressType: IPv4
endpoints: [{addresses: [10.0.0.1], conditions: {ready: "true"}}]
)",
                  "EndpointSlice", "endpoints[0].conditions.ready", "must be a boolean");
}

TEST(DecodeYaml, PlainScalarsFollowTheCoreSchema) {
  namespace json = boost::json;
  for (const char* s : {"", "~", "null", "Null", "NULL"})
    EXPECT_TRUE(resolve_plain_scalar(s).is_null()) << s;
  EXPECT_EQ(resolve_plain_scalar("true"), json::value(true));
  EXPECT_EQ(resolve_plain_scalar("TRUE"), json::value(true));
  EXPECT_EQ(resolve_plain_scalar("False"), json::value(false));
  EXPECT_EQ(resolve_plain_scalar("8080"), json::value(std::int64_t{8080}));
  EXPECT_EQ(resolve_plain_scalar("-12"), json::value(std::int64_t{-12}));
  EXPECT_EQ(resolve_plain_scalar("+12"), json::value(std::int64_t{12}));
  EXPECT_EQ(resolve_plain_scalar("0o17"), json::value(std::int64_t{15}));
  EXPECT_EQ(resolve_plain_scalar("0x1F"), json::value(std::int64_t{31}));
  EXPECT_EQ(resolve_plain_scalar("1.5"), json::value(1.5));
  EXPECT_EQ(resolve_plain_scalar("1e3"), json::value(1000.0));
  EXPECT_EQ(resolve_plain_scalar(".5"), json::value(0.5));
  EXPECT_TRUE(resolve_plain_scalar("99999999999999999999").is_double());
  EXPECT_TRUE(std::isinf(resolve_plain_scalar("-.inf").get_double()));
  EXPECT_TRUE(std::isnan(resolve_plain_scalar(".nan").get_double()));
  // YAML 1.1 booleans and sexagesimals are plain strings in 1.2.
  for (const char* s :
       {"yes", "no", "on", "off", "y", "1:20", "1.2.3", "0x", "1e", "-", "10.0.0.1"})
    EXPECT_EQ(resolve_plain_scalar(s), json::value(s)) << s;
}

TEST(DecodeYaml, ExplicitStrTagIsAString) {
  Decoded d =
      decode(testing::ingress_with_backend("{service: {name: s, port: {number: !!str 80}}}"));
  ASSERT_NE(first_error(d.diagnostics), nullptr);
  EXPECT_EQ(first_error(d.diagnostics)->field,
            "spec.rules[0].http.paths[0].backend.service.port.number");
}

TEST(DecodeYaml, AnchorsAndAliasesExpand) {
  Decoded d = decode(R"(apiVersion: v1
kind: Service
metadata: {name: web, labels: &labels {app: web, tier: front}, annotations: *labels}
spec:
  ports:
  - &port {name: http, port: 80}
  - {name: https, port: 443}
)");
  EXPECT_TRUE(d.diagnostics.empty()) << dump(d.diagnostics);
  ASSERT_EQ(d.objects.services.size(), 1u);
  EXPECT_EQ(d.objects.services[0].meta.annotations.at("tier"), "front");
}

TEST(DecodeYaml, AliasBombIsAnErrorNotAnExplosion) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" +
            prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + "]\n";
  }
  std::string text =
      std::string(testing::kGoodService) + "---\n" + bomb + "---\n" + std::string(kFoobar);
  Decoded d = decode(text, "bomb.yaml");
  ASSERT_EQ(count(d.diagnostics, Severity::kError), 1) << dump(d.diagnostics);
  const Diagnostic* e = first_error(d.diagnostics);
  EXPECT_EQ(e->origin.file, "bomb.yaml");
  EXPECT_EQ(e->origin.document, 1);
  EXPECT_NE(e->message.find("more than 1000000 nodes"), std::string::npos) << e->message;
  EXPECT_EQ(d.objects.services.size(), 1u);
  EXPECT_EQ(d.objects.ingresses.size(), 1u);  // the document after the bomb still loads
}

TEST(DecodeYaml, SelfReferentialAliasIsAnError) {
  Decoded d = decode("a: &a [1, *a]\n");
  ASSERT_NE(first_error(d.diagnostics), nullptr) << dump(d.diagnostics);
}

TEST(DecodeYaml, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "spec: " + std::string(10000, '[') + std::string(10000, ']') + "\n";
  Decoded d = decode(deep, "deep.yaml");
  ASSERT_EQ(count(d.diagnostics, Severity::kError), 1) << dump(d.diagnostics);
  EXPECT_EQ(d.diagnostics[0].origin.file, "deep.yaml");

  std::string maps;
  for (int i = 0; i < 10000; ++i) maps += "{a: ";
  maps += "1" + std::string(10000, '}');
  d = decode(maps, "deep.yaml");
  EXPECT_EQ(count(d.diagnostics, Severity::kError), 1) << dump(d.diagnostics);

  // 65 levels is over our limit even where yaml-cpp would accept it.
  d = decode(std::string(65, '[') + std::string(65, ']'), "deep.yaml", ManifestFormat::kYaml);
  ASSERT_EQ(count(d.diagnostics, Severity::kError), 1) << dump(d.diagnostics);
  EXPECT_NE(d.diagnostics[0].message.find("nesting deeper than 64"), std::string::npos);
}

TEST(DecodeYaml, SyntaxErrorNamesLineAndColumnAndKeepsEarlierDocuments) {
  std::string text = std::string(testing::kGoodService) + "---\nkind: [unclosed\nfoo: bar\n";
  Decoded d = decode(text, "broken.yaml");
  ASSERT_EQ(count(d.diagnostics, Severity::kError), 1) << dump(d.diagnostics);
  const Diagnostic& e = d.diagnostics[0];
  EXPECT_EQ(e.origin.file, "broken.yaml");
  EXPECT_EQ(e.origin.document, 1);
  EXPECT_NE(e.message.find("line "), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("column "), std::string::npos) << e.message;
  EXPECT_EQ(d.objects.services.size(), 1u);
}

// yaml-cpp 0.7 would yield empty documents forever after a stray top-level ','.
TEST(DecodeYaml, StrayCommaAfterADocumentIsAnErrorNotAHang) {
  for (const char* text :
       {"\"a\", b\n", "'a',\n", "[a], b\n", "{a: b}, c\n", "x: 1\n---\n\"\", b}]\n"}) {
    Decoded d = decode(text, "comma.yaml");
    ASSERT_FALSE(d.diagnostics.empty()) << text;
    EXPECT_NE(d.diagnostics.back().message.find("unexpected text"), std::string::npos)
        << dump(d.diagnostics);
    EXPECT_EQ(d.diagnostics.back().origin.file, "comma.yaml");
  }
}

TEST(DecodeYaml, DuplicateMappingKeyIsAnError) {
  Decoded d = decode("apiVersion: v1\nkind: Service\nkind: Secret\nmetadata: {name: x}\n");
  ASSERT_EQ(count(d.diagnostics, Severity::kError), 1) << dump(d.diagnostics);
  EXPECT_NE(d.diagnostics[0].message.find("already defined"), std::string::npos);
  EXPECT_NE(d.diagnostics[0].message.find("line 3"), std::string::npos);
}

TEST(DecodeYaml, GarbageBytesAreAnError) {
  std::string garbage;
  std::uint32_t x = 12345;
  for (int i = 0; i < 4096; ++i) {
    x = x * 1103515245u + 12345u;
    garbage += static_cast<char>(x >> 24);
  }
  for (auto format : {ManifestFormat::kAuto, ManifestFormat::kYaml, ManifestFormat::kJson}) {
    Decoded d = decode(garbage, "garbage.bin", format);
    EXPECT_GE(count(d.diagnostics, Severity::kError), 1);
    EXPECT_TRUE(d.objects.ingresses.empty());
    for (const auto& diag : d.diagnostics) EXPECT_EQ(diag.origin.file, "garbage.bin");
  }
  Decoded d = decode(std::string("kind: Service\0\x01\x02", 16), "nul.yaml");
  EXPECT_GE(count(d.diagnostics, Severity::kError), 1);
  d = decode("just a sentence", "text.yaml");
  ASSERT_EQ(count(d.diagnostics, Severity::kError), 1);
  EXPECT_NE(d.diagnostics[0].message.find("got string"), std::string::npos);
}

// ---- JSON ----------------------------------------------------------------------------------

TEST(DecodeJson, SingleObject) {
  Decoded d = decode(R"({"apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"type": "ClusterIP", "ports": [{"name": "http", "port": 80, "targetPort": 8080},
                                          {"name": "h2", "port": 81, "appProtocol": "kubernetes.io/h2c"}]}})",
                     "svc.json");
  EXPECT_TRUE(d.diagnostics.empty()) << dump(d.diagnostics);
  ASSERT_EQ(d.objects.services.size(), 1u);
  const Service& svc = d.objects.services[0];
  EXPECT_EQ(svc.meta.namespace_, "shop");
  EXPECT_EQ(svc.meta.origin.file, "svc.json");
  EXPECT_EQ(svc.ports[0].target_port.number, 8080);
  EXPECT_FALSE(svc.ports[0].target_port.is_string);
  EXPECT_EQ(svc.ports[1].target_port.number, 81);  // defaulted to the port
  EXPECT_EQ(svc.ports[1].app_protocol, "kubernetes.io/h2c");
}

TEST(DecodeJson, ListItemsAreDocuments) {
  Decoded d = decode(R"({"apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"},
     "spec": {"ports": [{"port": "80"}]}},
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "c"}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "d"}}
  ]})",
                     "list.json");
  EXPECT_EQ(d.objects.services.size(), 1u);
  EXPECT_EQ(d.objects.secrets.size(), 1u);
  EXPECT_EQ(d.objects.secrets[0].meta.origin.document, 3);
  ASSERT_EQ(count(d.diagnostics, Severity::kError), 1) << dump(d.diagnostics);
  const Diagnostic& e = d.diagnostics[0];
  EXPECT_EQ(e.origin.file, "list.json");
  EXPECT_EQ(e.origin.document, 1);
  EXPECT_EQ(e.kind, "Service");
  EXPECT_EQ(e.namespace_, "default");
  EXPECT_EQ(e.name, "b");
  EXPECT_EQ(e.field, "spec.ports[0].port");
}

TEST(DecodeJson, TypedListItemsInheritKindAndApiVersion) {
  Decoded d = decode(R"({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClassList",
    "items": [{"metadata": {"name": "gatehouse"},
               "spec": {"controller": "gatehouse.dev/ingress-controller"}}]})");
  EXPECT_TRUE(d.diagnostics.empty()) << dump(d.diagnostics);
  ASSERT_EQ(d.objects.ingress_classes.size(), 1u);
  EXPECT_EQ(d.objects.ingress_classes[0].controller, "gatehouse.dev/ingress-controller");
  EXPECT_EQ(d.objects.ingress_classes[0].meta.namespace_, "");
}

TEST(DecodeJson, TopLevelArray) {
  Decoded d = decode(R"([{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}},
                         {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"}}])");
  EXPECT_TRUE(d.diagnostics.empty()) << dump(d.diagnostics);
  ASSERT_EQ(d.objects.services.size(), 2u);
  EXPECT_EQ(d.objects.services[1].meta.origin.document, 1);
}

TEST(DecodeJson, MalformedJsonNamesThePosition) {
  Decoded d = decode("{\"kind\": \"Service\",\n \"x\": }", "bad.json");
  ASSERT_EQ(count(d.diagnostics, Severity::kError), 1) << dump(d.diagnostics);
  EXPECT_EQ(d.diagnostics[0].origin.file, "bad.json");
  EXPECT_NE(d.diagnostics[0].message.find("line 2"), std::string::npos) << d.diagnostics[0].message;
}

TEST(DecodeJson, DeepNestingIsAnError) {
  Decoded d = decode(std::string(10000, '[') + std::string(10000, ']'), "deep.json");
  EXPECT_EQ(count(d.diagnostics, Severity::kError), 1) << dump(d.diagnostics);
}

TEST(DecodeJson, YamlFlowMappingInAYamlFileStillDecodes) {
  Decoded d = decode("{apiVersion: v1, kind: Service, metadata: {name: a}}\n", "flow.yaml");
  EXPECT_TRUE(d.diagnostics.empty()) << dump(d.diagnostics);
  EXPECT_EQ(d.objects.services.size(), 1u);
}

TEST(DecodeObject, DecodesAParsedValue) {
  boost::json::value v = boost::json::parse(R"({"apiVersion": "discovery.k8s.io/v1",
    "kind": "EndpointSlice",
    "metadata": {"name": "web-abc", "namespace": "shop",
                 "labels": {"kubernetes.io/service-name": "web"}},
    "addressType": "IPv4",
    "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": true}},
                  {"addresses": ["10.0.0.2"], "conditions": {"ready": false, "terminating": true}},
                  {"addresses": ["10.0.0.3"]}],
    "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}, {"name": null, "port": 9090}]})");
  Objects out;
  Diagnostics diagnostics;
  decode_object(v, Origin{"kube", 0}, out, diagnostics);
  EXPECT_TRUE(diagnostics.empty()) << dump(diagnostics);
  ASSERT_EQ(out.endpoint_slices.size(), 1u);
  const EndpointSlice& s = out.endpoint_slices[0];
  EXPECT_EQ(s.meta.labels.at(kServiceNameLabel), "web");
  EXPECT_EQ(s.meta.origin.file, "kube");
  EXPECT_EQ(s.address_type, "IPv4");
  ASSERT_EQ(s.endpoints.size(), 3u);
  EXPECT_EQ(s.endpoints[0].conditions.ready, true);
  EXPECT_EQ(s.endpoints[1].conditions.ready, false);
  EXPECT_EQ(s.endpoints[1].conditions.terminating, true);
  EXPECT_FALSE(s.endpoints[2].conditions.ready.has_value());
  ASSERT_EQ(s.ports.size(), 2u);
  EXPECT_EQ(s.ports[0].name, "http");
  EXPECT_EQ(s.ports[0].port, 8080);
  EXPECT_FALSE(s.ports[1].name.has_value());
  EXPECT_EQ(s.ports[1].protocol, "TCP");

  decode_object(boost::json::value(42), Origin{"kube", 0}, out, diagnostics);
  EXPECT_EQ(count(diagnostics, Severity::kError), 1);
}

// ---- Secret, IngressClass, timestamps ------------------------------------------------------

TEST(DecodeSecret, Base64DataAndStringData) {
  Decoded d = decode(R"(apiVersion: v1
kind: Secret
metadata: {name: tls-a, namespace: web}
type: kubernetes.io/tls
data:
  tls.crt: LS0tLS1CRUdJTg==
  tls.key: a2V5
  other: b3Zlcg==
stringData:
  other: plain
)");
  EXPECT_TRUE(d.diagnostics.empty()) << dump(d.diagnostics);
  ASSERT_EQ(d.objects.secrets.size(), 1u);
  const Secret& s = d.objects.secrets[0];
  EXPECT_EQ(s.type, "kubernetes.io/tls");
  EXPECT_EQ(s.data.at("tls.crt"), "-----BEGIN");
  EXPECT_EQ(s.data.at("tls.key"), "key");
  EXPECT_EQ(s.data.at("other"), "plain");

  d = decode("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n");
  ASSERT_EQ(d.objects.secrets.size(), 1u);
  EXPECT_EQ(d.objects.secrets[0].type, "Opaque");
}

TEST(DecodeSecret, Base64Decoder) {
  EXPECT_EQ(decode_base64(""), "");
  EXPECT_EQ(decode_base64("Zg=="), "f");
  EXPECT_EQ(decode_base64("Zm8="), "fo");
  EXPECT_EQ(decode_base64("Zm9v"), "foo");
  EXPECT_EQ(decode_base64("Zm9v\nYmFy\n"), "foobar");
  EXPECT_EQ(decode_base64(std::string_view("AAE=")), std::string("\0\1", 2));
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zg==Zg==", "Zm9v!", "Zm 9v", "=Zm9"})
    EXPECT_FALSE(decode_base64(bad).has_value()) << bad;
}

TEST(DecodeSecret, InvalidBase64IsAnError) {
  expect_rejected(R"(apiVersion: v1
kind: Secret
metadata: {name: bad, namespace: web}
data: {tls.crt: "not base64!"}
)",
                  "Secret", "data[tls.crt]", "invalid base64");
}

TEST(DecodeIngressClass, IsClusterScoped) {
  Decoded d = decode(R"(apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: gatehouse
  namespace: ignored
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: gatehouse.dev/ingress-controller}
)");
  EXPECT_TRUE(d.diagnostics.empty()) << dump(d.diagnostics);
  ASSERT_EQ(d.objects.ingress_classes.size(), 1u);
  EXPECT_EQ(d.objects.ingress_classes[0].meta.namespace_, "");
  EXPECT_EQ(d.objects.ingress_classes[0].meta.annotations.at(
                "ingressclass.kubernetes.io/is-default-class"),
            "true");
}

TEST(DecodeMeta, CreationTimestamp) {
  Decoded d = decode(R"(apiVersion: v1
kind: Service
metadata: {name: a, creationTimestamp: 2024-01-02T03:04:05Z}
---
apiVersion: v1
kind: Service
metadata: {name: b}
)");
  EXPECT_TRUE(d.diagnostics.empty()) << dump(d.diagnostics);
  ASSERT_EQ(d.objects.services.size(), 2u);
  EXPECT_EQ(d.objects.services[0].meta.creation_timestamp, 1704164645);
  EXPECT_FALSE(d.objects.services[1].meta.creation_timestamp.has_value());

  using detail::parse_rfc3339;
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("2024-01-02T04:04:05+01:00"), 1704164645);
  EXPECT_EQ(parse_rfc3339("2024-01-02T03:04:05.123456Z"), 1704164645);
  EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z"), 1709164800);
  for (const char* bad : {"", "2024-01-02", "2024-01-02T03:04:05", "2024-01-02 03:04:05Z",
                          "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-02T24:00:00Z",
                          "2024-01-02T03:04:05.Z", "2024-01-02T03:04:05Zjunk", "yesterday"})
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
}

// ---- decoding rejections: one per rule -----------------------------------------------------

TEST(DecodeReject, UnsupportedApiVersion) {
  expect_rejected(R"(apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: bad, namespace: web}
spec: {backend: {serviceName: a, servicePort: 80}}
)",
                  "Ingress", "apiVersion", "unsupported apiVersion");
}

TEST(DecodeReject, MissingKind) {
  expect_rejected("apiVersion: v1\nmetadata: {name: bad, namespace: web}\n", "", "kind",
                  "required");
}

TEST(DecodeReject, MissingApiVersion) {
  expect_rejected("kind: Service\nmetadata: {name: bad, namespace: web}\n", "Service", "apiVersion",
                  "required");
}

TEST(DecodeReject, MissingName) {
  expect_rejected("apiVersion: v1\nkind: Service\nmetadata: {namespace: web}\n", "Service",
                  "metadata.name", "required", "web", "");
}

TEST(DecodeReject, NonStringAnnotation) {
  expect_rejected(R"(apiVersion: v1
kind: Service
metadata: {name: bad, namespace: web, annotations: {replicas: 3}}
)",
                  "Service", "metadata.annotations[replicas]", "must be a string, got number 3");
}

TEST(DecodeReject, NonStringLabel) {
  expect_rejected(R"(apiVersion: v1
kind: Service
metadata: {name: bad, namespace: web, labels: {enabled: true}}
)",
                  "Service", "metadata.labels[enabled]", "must be a string");
}

TEST(DecodeReject, BadCreationTimestamp) {
  expect_rejected(R"(apiVersion: v1
kind: Service
metadata: {name: bad, namespace: web, creationTimestamp: "2024-01-02 03:04"}
)",
                  "Service", "metadata.creationTimestamp", "RFC 3339");
}

TEST(DecodeReject, WrongTypeForRules) {
  expect_rejected(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad, namespace: web}
spec: {rules: "foo.org"}
)",
                  "Ingress", "spec.rules", "must be an array, got string");
}

TEST(DecodeReject, WrongTypeForBackend) {
  expect_rejected(testing::ingress_with_path("path: /, pathType: Prefix, backend: foo"), "Ingress",
                  "spec.rules[0].http.paths[0].backend", "must be an object");
}

TEST(DecodeReject, FractionalPortNumber) {
  expect_rejected(testing::ingress_with_backend("{service: {name: s, port: {number: 80.5}}}"),
                  "Ingress", "spec.rules[0].http.paths[0].backend.service.port.number",
                  "must be an integer");
}

TEST(DecodeReject, BadPathType) {
  expect_rejected(
      testing::ingress_with_path(
          "path: /, pathType: prefix, backend: {service: {name: s, port: {number: 1}}}"),
      "Ingress", "spec.rules[0].http.paths[0].pathType", "unsupported value");
}

TEST(DecodeReject, TargetPortOfWrongType) {
  expect_rejected(R"(apiVersion: v1
kind: Service
metadata: {name: bad, namespace: web}
spec: {ports: [{port: 80, targetPort: [1]}]}
)",
                  "Service", "spec.ports[0].targetPort", "integer or a string");
}

TEST(DecodeReject, DocumentThatIsNotAMapping) {
  expect_rejected("[1, 2, 3]", "", "", "must be a JSON object", "", "");
}

}  // namespace
}  // namespace gatehouse::model
