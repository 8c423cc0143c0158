// Compiler (incremental) against compile (from scratch): after any sequence of changes, told which
// objects changed, it must give the same table and diagnostics as compiling all objects anew.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "fixtures.h"
#include "routing/compile.h"

namespace gatehouse::routing {
namespace {

using namespace testing;  // NOLINT
using model::Kind;
using model::PathType;

std::string cluster_text(const Cluster& c) {
  std::string out = c.namespace_ + "/" + c.label() + " " + to_string(c.status) + " [" + c.detail +
                    "] " + c.app_protocol + " {";
  for (const auto& e : c.endpoints) out += to_string(e) + " ";
  return out + "}";
}

// Everything a user can observe of a compile: the table as `routes` lists it, the defaults,
// the diagnostics, and where a set of requests goes.
std::string observe(const Compiled& compiled) {
  const RouteTable& t = *compiled.table;
  std::string out;
  for (std::uint32_t h = 0; h < t.hosts().size(); ++h) {
    const HostTable& host = *t.hosts()[h];
    out += "host '" + host.host() + "'";
    if (host.default_cluster() != kNone)
      out += " default " + cluster_text(t.cluster(host.default_cluster())) + " from " +
             host.default_from().namespace_ + "/" + host.default_from().name;
    out += "\n";
    for (const Route& r : host.routes()) {
      out += "  " + t.route_name(h, r.id) + " " + std::string(r.path) + " " +
             model::to_string(r.path_type) +
             " -> " + cluster_text(t.cluster(r.cluster)) + " " + host.ingress_of(r).namespace_ + "/" +
             host.ingress_of(r).name + " rules[" + std::to_string(r.rule_index) + "].paths[" +
             std::to_string(r.path_index) + "]";
      if (r.shadowed_by != kNone) out += " shadowed by " + t.route_name(h, r.shadowed_by);
      out += "\n";
    }
  }
  if (const Cluster* c = t.default_cluster()) {
    out += "default " + cluster_text(*c);
    if (t.default_from()) out += " from " + t.default_from()->namespace_ + "/" + t.default_from()->name;
    out += "\n";
  }
  for (const auto& d : compiled.diagnostics) out += "diagnostic " + d.to_string() + "\n";
  for (const char* host : {"h0.org", "h1.org", "x.h2.org", "h3.org", "other.org"})
    for (const char* path : {"/", "/a", "/a/b", "/b", "/b/c/", "/c"}) {
      MatchResult m = t.match(host, path);
      out += std::string("match ") + host + path + " " + std::to_string(static_cast<int>(m.kind));
      if (m.route) out += " " + t.route_name(m.host, m.route->id);
      if (m.cluster) out += " " + cluster_text(*m.cluster);
      out += "\n";
    }
  return out;
}

// A world of a few Ingresses, Services and EndpointSlices that a seeded random walk edits.
class World {
 public:
  explicit World(unsigned seed) : rng_(seed) {}

  model::Objects snapshot() const {
    model::Objects o;
    for (const auto& [k, v] : ingresses_) o.ingresses.push_back(v);
    for (const auto& [k, v] : classes_) o.ingress_classes.push_back(v);
    for (const auto& [k, v] : services_) o.services.push_back(v);
    for (const auto& [k, v] : slices_) o.endpoint_slices.push_back(v);
    return o;
  }

  // One random edit; returns the keys it touched.
  std::vector<model::ObjectKey> edit() {
    const int what = pick(100);
    if (what < 40) return {edit_ingress()};
    if (what < 60) return {edit_service()};
    if (what < 90) return {edit_slice()};
    if (what < 95) return {edit_class()};
    return {edit_ingress(), edit_service(), edit_slice()};
  }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<unsigned>(n)); }
  std::string ns() { return pick(4) ? "default" : "other"; }
  std::string service_name() { return "s" + std::to_string(pick(5)); }

  model::IngressBackend backend() {
    if (pick(12) == 0) {
      model::IngressBackend b;
      b.resource = std::make_shared<const model::TypedLocalObjectReference>(
          model::TypedLocalObjectReference{"example.com", "Bucket", "b"});
      return b;
    }
    model::IngressBackend b = service_backend(service_name(), 80 + pick(2));
    if (pick(6) == 0) b.service->port = {"http", 0};
    if (pick(10) == 0) b.service->port = {"80", 0};  // a port *named* "80" is not port 80
    return b;
  }

  model::ObjectKey edit_ingress() {
    const std::string name = "i" + std::to_string(pick(8));
    const std::string space = ns();
    model::ObjectKey key{Kind::kIngress, space, name};
    if (pick(5) == 0) {
      ingresses_.erase({space, name});
      return key;
    }
    std::vector<model::IngressRule> rules;
    const int rule_count = pick(4);
    for (int r = 0; r < rule_count; ++r) {
      const int h = pick(6);
      std::string host = h == 5 ? "" : h == 2 ? "*.h2.org" : "h" + std::to_string(h) + ".org";
      std::vector<model::HTTPIngressPath> paths;
      const int path_count = pick(4);
      for (int p = 0; p < path_count; ++p) {
        static const char* kPaths[] = {"/", "/a", "/a/", "/a/b", "/b", "/b/c", ""};
        std::string text = kPaths[pick(7)];
        PathType type = text.empty() ? PathType::kImplementationSpecific
                        : pick(3) == 0 ? PathType::kExact
                                       : PathType::kPrefix;
        model::HTTPIngressPath hp = path(text, type, "x");
        hp.backend = backend();
        paths.push_back(std::move(hp));
      }
      rules.push_back(rule(host, std::move(paths)));
    }
    model::Ingress i = ingress(name, std::move(rules), space);
    if (pick(3) == 0) i.default_backend = backend();
    if (pick(2)) i.meta.creation_timestamp = 1000 + pick(3);
    if (pick(8) == 0) i.ingress_class_name = pick(2) ? "gatehouse" : "elsewhere";
    if (pick(8) == 0) i.meta.annotations[kLegacyClassAnnotation] = pick(2) ? "gatehouse" : "nginx";
    i.meta.origin = {"world.yaml", pick(10)};
    ingresses_[{space, name}] = std::move(i);
    return key;
  }

  model::ObjectKey edit_service() {
    const std::string name = service_name();
    const std::string space = ns();
    model::ObjectKey key{Kind::kService, space, name};
    if (pick(4) == 0) {
      services_.erase({space, name});
      return key;
    }
    model::ServicePort p80, p81;
    p80.port = 80;
    p80.name = "http";
    p81.port = 81;
    p81.name = "metrics";
    std::vector<model::ServicePort> ports = {p80};
    if (pick(2)) ports.push_back(p81);
    if (pick(2)) {
      model::ServicePort named80;
      named80.port = 82;
      named80.name = "80";
      ports.push_back(named80);
    }
    model::Service s = service(name, ports, space);
    if (pick(10) == 0) {
      s.type = "ExternalName";
      s.external_name = "example.com";
    }
    services_[{space, name}] = std::move(s);
    return key;
  }

  model::ObjectKey edit_slice() {
    const std::string name = "slice" + std::to_string(pick(8));
    const std::string space = ns();
    model::ObjectKey key{Kind::kEndpointSlice, space, name};
    if (pick(5) == 0) {
      slices_.erase({space, name});
      return key;
    }
    model::EndpointPort http, metrics;
    http.name = "http";
    http.port = 8000 + pick(3);
    metrics.name = "metrics";
    metrics.port = 9000;
    model::EndpointPort named80;
    named80.name = "80";
    named80.port = 9080;
    std::vector<model::Endpoint> endpoints;
    for (int e = pick(3); e > 0; --e)
      endpoints.push_back(endpoint("10.0.0." + std::to_string(pick(4)), pick(4) != 0));
    // Relabelling moves a slice from one Service to another.
    slices_[{space, name}] = slice(service_name(), name, {http, metrics, named80}, endpoints, space);
    return key;
  }

  model::ObjectKey edit_class() {
    model::IngressClass c;
    c.meta.name = "gatehouse";
    c.controller = pick(3) ? kControllerName : "someone.else/controller";
    if (pick(2)) c.meta.annotations[kDefaultClassAnnotation] = "true";
    model::ObjectKey key{Kind::kIngressClass, "", "gatehouse"};
    if (pick(3) == 0)
      classes_.erase({"", "gatehouse"});
    else
      classes_[{"", "gatehouse"}] = std::move(c);
    return key;
  }

  std::mt19937 rng_;
  using Key = std::pair<std::string, std::string>;
  std::map<Key, model::Ingress> ingresses_;
  std::map<Key, model::IngressClass> classes_;
  std::map<Key, model::Service> services_;
  std::map<Key, model::EndpointSlice> slices_;
};

TEST(Incremental, RandomEditsGiveWhatAFullCompileGives) {
  CompileOptions options;
  options.default_backend = ServiceRef{"default", "s0", "http"};
  for (unsigned seed = 1; seed <= 100; ++seed) {
    World world(seed);
    Compiler compiler(options);
    for (int round = 0; round < 60; ++round) {
      model::ObjectChanges changes = model::ObjectChanges::none();
      const int edits = 1 + round % 3;
      for (int e = 0; e < edits; ++e)
        for (auto& key : world.edit()) changes.keys.push_back(std::move(key));
      const model::Objects objects = world.snapshot();
      SCOPED_TRACE("seed " + std::to_string(seed) + " round " + std::to_string(round));
      const std::string expected = observe(compile(objects, options));
      ASSERT_EQ(observe(compiler.compile(objects, round == 0 ? model::ObjectChanges::everything()
                                                             : changes)),
                expected);
    }
  }
}

TEST(Incremental, UntouchedHostsAreSharedAndAnEndpointChangeRecompilesNoHost) {
  model::Objects objects;
  objects.ingresses.push_back(ingress("a", {rule("a.org", {path("/", PathType::kPrefix, "sa")})}));
  objects.ingresses.push_back(ingress("b", {rule("b.org", {path("/", PathType::kPrefix, "sb")})}));
  add_backends(objects);
  Compiler compiler({});
  Compiled first = compiler.compile(objects, model::ObjectChanges::everything());
  ASSERT_EQ(first.table->hosts().size(), 2u);

  // Ingress b gains a path: a.org's HostTable is the same object, b.org's is new.
  objects.ingresses[1].rules[0].paths.push_back(path("/x", PathType::kPrefix, "sb"));
  model::ObjectChanges changes = model::ObjectChanges::none();
  changes.keys.push_back({Kind::kIngress, "default", "b"});
  Compiled second = compiler.compile(objects, changes);
  EXPECT_EQ(second.table->hosts()[0], first.table->hosts()[0]);
  EXPECT_NE(second.table->hosts()[1], first.table->hosts()[1]);
  EXPECT_EQ(second.table->route_count(), 3u);

  // sb gets a second ready endpoint: no host is compiled again, the cluster is new.
  for (auto& s : objects.endpoint_slices)
    if (s.meta.labels[model::kServiceNameLabel] == "sb") s.endpoints.push_back(endpoint("10.1.1.1"));
  changes.keys = {{Kind::kEndpointSlice, "default", "sb-abc"}};
  Compiled third = compiler.compile(objects, changes);
  EXPECT_EQ(third.table->hosts()[1], second.table->hosts()[1]);
  const MatchResult m = third.table->match("b.org", "/x");
  ASSERT_EQ(m.kind, MatchKind::kRoute);
  EXPECT_EQ(m.cluster->endpoints.size(), 2u);
  EXPECT_EQ(observe(third), observe(compile(objects, {})));
}

}  // namespace
}  // namespace gatehouse::routing
