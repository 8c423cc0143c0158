// Helpers for the model tests: decode a manifest text and look at what came out.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "model/decode.h"
#include "model/diagnostic.h"

namespace gatehouse::model::testing {

struct Decoded {
  Objects objects;
  Diagnostics diagnostics;
};

inline Decoded decode(std::string_view text, std::string_view file = "test.yaml",
                      ManifestFormat format = ManifestFormat::kAuto) {
  Decoded d;
  decode_manifest(text, file, d.objects, d.diagnostics, format);
  return d;
}

inline std::string dump(const Diagnostics& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) out += d.to_string() + "\n";
  return out;
}

inline int count(const Diagnostics& diagnostics, Severity severity) {
  int n = 0;
  for (const auto& d : diagnostics) n += d.severity == severity;
  return n;
}

inline const Diagnostic* first_error(const Diagnostics& diagnostics) {
  for (const auto& d : diagnostics)
    if (d.severity == Severity::kError) return &d;
  return nullptr;
}

// A valid Ingress and a valid Service to put around a bad document: they must survive it.
inline constexpr std::string_view kGoodIngress = R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: good, namespace: web}
spec:
  rules:
  - host: good.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: good, port: {number: 80}}}}
)";
inline constexpr std::string_view kGoodService = R"(apiVersion: v1
kind: Service
metadata: {name: good, namespace: web}
spec:
  ports: [{port: 80}]
)";

// Decodes "good Ingress --- `bad` --- good Service" from bad.yaml and expects `bad` (document 1,
// named web/bad unless cluster-scoped) to be rejected with an error on `field` whose message
// contains `message`, while the good objects load.
inline void expect_rejected(std::string_view bad, std::string_view kind, std::string_view field,
                            std::string_view message = "", std::string_view ns = "web",
                            std::string_view name = "bad") {
  std::string text = std::string(kGoodIngress) + "---\n" + std::string(bad) + "\n---\n" +
                     std::string(kGoodService);
  Decoded d = decode(text, "bad.yaml");
  SCOPED_TRACE(dump(d.diagnostics));
  ASSERT_EQ(d.objects.ingresses.size(), 1u);
  EXPECT_EQ(d.objects.ingresses[0].meta.name, "good");
  ASSERT_EQ(d.objects.services.size(), 1u);
  EXPECT_EQ(d.objects.services[0].meta.name, "good");
  EXPECT_TRUE(d.objects.ingress_classes.empty());
  EXPECT_TRUE(d.objects.endpoint_slices.empty());
  EXPECT_TRUE(d.objects.secrets.empty());
  const Diagnostic* e = first_error(d.diagnostics);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->origin.file, "bad.yaml");
  EXPECT_EQ(e->origin.document, 1);
  EXPECT_EQ(e->kind, kind);
  EXPECT_EQ(e->namespace_, ns);
  EXPECT_EQ(e->name, name);
  EXPECT_EQ(e->field, field);
  EXPECT_NE(e->message.find(message), std::string::npos) << e->message;
}

// An Ingress web/bad whose single rule has `path_yaml` as its only path (a flow mapping body).
inline std::string ingress_with_path(std::string_view path_yaml) {
  return R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad, namespace: web}
spec:
  rules:
  - host: bad.example.com
    http:
      paths:
      - {)" +
         std::string(path_yaml) + "}\n";
}

// An Ingress web/bad with one rule for `host` (a YAML scalar, quoted or not).
inline std::string ingress_with_host(std::string_view host) {
  return R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad, namespace: web}
spec:
  rules:
  - host: )" +
         std::string(host) +
         R"(
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: svc, port: {number: 80}}}}
)";
}

// An Ingress web/bad whose only path has `backend_yaml` as its backend (a flow mapping).
inline std::string ingress_with_backend(std::string_view backend_yaml) {
  return ingress_with_path("path: /, pathType: Prefix, backend: " + std::string(backend_yaml));
}

}  // namespace gatehouse::model::testing
