// The object store: keyed by kind/namespace/name, the later object wins, snapshots are sorted.
#include "store/object_store.h"

#include <gtest/gtest.h>

#include <string>

namespace gatehouse::store {
namespace {

model::Service service(std::string ns, std::string name, std::string file, int document,
                       std::int32_t port = 80) {
  model::Service s;
  s.meta.namespace_ = std::move(ns);
  s.meta.name = std::move(name);
  s.meta.origin = model::Origin{std::move(file), document};
  model::ServicePort p;
  p.port = port;
  s.ports.push_back(p);
  return s;
}

TEST(ObjectStore, LaterDuplicateWinsWithAWarningNamingBothOrigins) {
  ObjectStore store;
  model::Diagnostics diagnostics;
  model::Objects first;
  first.services.push_back(service("web", "api", "a.yaml", 0, 80));
  store.put(std::move(first), diagnostics);
  EXPECT_TRUE(diagnostics.empty());

  model::Objects second;
  second.services.push_back(service("web", "api", "b.yaml", 2, 8080));
  store.put(std::move(second), diagnostics);

  model::Objects snap = store.snapshot();
  ASSERT_EQ(snap.services.size(), 1u);
  EXPECT_EQ(snap.services[0].ports[0].port, 8080);
  EXPECT_EQ(snap.services[0].meta.origin.file, "b.yaml");

  ASSERT_EQ(diagnostics.size(), 1u);
  const model::Diagnostic& w = diagnostics[0];
  EXPECT_EQ(w.severity, model::Severity::kWarning);
  EXPECT_EQ(w.origin.file, "b.yaml");
  EXPECT_EQ(w.origin.document, 2);
  EXPECT_EQ(w.kind, "Service");
  EXPECT_EQ(w.namespace_, "web");
  EXPECT_EQ(w.name, "api");
  EXPECT_EQ(w.message, "replaces the object from a.yaml#0");
  EXPECT_EQ(w.to_string(), "b.yaml#2: warning: Service web/api: replaces the object from a.yaml#0");
}

TEST(ObjectStore, DuplicateWithinOneBatch) {
  ObjectStore store;
  model::Diagnostics diagnostics;
  model::Objects objects;
  objects.services.push_back(service("default", "x", "a.yaml", 0, 1));
  objects.services.push_back(service("default", "x", "a.yaml", 3, 2));
  store.put(std::move(objects), diagnostics);
  ASSERT_EQ(store.snapshot().services.size(), 1u);
  EXPECT_EQ(store.snapshot().services[0].ports[0].port, 2);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].message, "replaces the object from a.yaml#0");
}

TEST(ObjectStore, KeysAreKindNamespaceAndName) {
  ObjectStore store;
  model::Diagnostics diagnostics;
  model::Objects objects;
  objects.services.push_back(service("a", "web", "f", 0));
  objects.services.push_back(service("b", "web", "f", 1));
  model::Ingress ingress;  // same namespace/name as a Service: a different kind, no clash
  ingress.meta.namespace_ = "a";
  ingress.meta.name = "web";
  objects.ingresses.push_back(ingress);
  model::Secret secret;
  secret.meta.namespace_ = "a";
  secret.meta.name = "web";
  objects.secrets.push_back(secret);
  model::IngressClass cls;
  cls.meta.name = "web";
  objects.ingress_classes.push_back(cls);
  model::EndpointSlice slice;
  slice.meta.namespace_ = "a";
  slice.meta.name = "web";
  objects.endpoint_slices.push_back(slice);
  store.put(std::move(objects), diagnostics);
  EXPECT_TRUE(diagnostics.empty());
  model::Objects snap = store.snapshot();
  EXPECT_EQ(snap.services.size(), 2u);
  EXPECT_EQ(snap.ingresses.size(), 1u);
  EXPECT_EQ(snap.secrets.size(), 1u);
  EXPECT_EQ(snap.ingress_classes.size(), 1u);
  EXPECT_EQ(snap.endpoint_slices.size(), 1u);
}

TEST(ObjectStore, SnapshotIsSortedByNamespaceThenName) {
  ObjectStore store;
  model::Diagnostics diagnostics;
  model::Objects objects;
  objects.services.push_back(service("b", "a", "f", 0));
  objects.services.push_back(service("a", "z", "f", 1));
  objects.services.push_back(service("a", "b", "f", 2));
  store.put(std::move(objects), diagnostics);
  model::Objects snap = store.snapshot();
  ASSERT_EQ(snap.services.size(), 3u);
  EXPECT_EQ(snap.services[0].meta.namespace_ + "/" + snap.services[0].meta.name, "a/b");
  EXPECT_EQ(snap.services[1].meta.namespace_ + "/" + snap.services[1].meta.name, "a/z");
  EXPECT_EQ(snap.services[2].meta.namespace_ + "/" + snap.services[2].meta.name, "b/a");
  // The same store gives the same snapshot.
  EXPECT_EQ(store.snapshot().services[1].meta.name, "z");
}

TEST(ObjectStore, EmptyStore) {
  ObjectStore store;
  model::Objects snap = store.snapshot();
  EXPECT_TRUE(snap.ingresses.empty());
  EXPECT_TRUE(snap.services.empty());
}

}  // namespace
}  // namespace gatehouse::store
