// From backend to pods (SPEC.md §7) and default backends (SPEC.md §6).
#include <gtest/gtest.h>

#include <functional>

#include "routing/fixtures.h"

namespace gatehouse::routing {
namespace {

using namespace testing;  // NOLINT
constexpr auto P = PathType::kPrefix;

model::ServicePort service_port(std::string name, std::int32_t port, std::string target_name = "") {
  model::ServicePort sp;
  sp.name = std::move(name);
  sp.port = port;
  sp.target_port.is_string = !target_name.empty();
  sp.target_port.str = std::move(target_name);
  sp.target_port.number = port;
  return sp;
}

model::EndpointPort slice_port(std::optional<std::string> name, std::int32_t port) {
  model::EndpointPort p;
  p.name = std::move(name);
  p.port = port;
  return p;
}

model::HTTPIngressPath named_port_path(std::string p, std::string service, std::string port) {
  auto out = path(std::move(p), P, std::move(service));
  out.backend.service->port = {std::move(port), 0};
  return out;
}

model::Objects web_objects() {
  model::Objects o;
  o.ingresses.push_back(ingress("web", {rule("web.org", {named_port_path("/", "web", "http"),
                                                          path("/admin", P, "web", 9000)})}));
  o.services.push_back(service("web", {service_port("http", 80, "web-http"),
                                       service_port("admin", 9000)}));
  // Two slices: the named targetPort resolves to different numbers pod by pod.
  o.endpoint_slices.push_back(slice("web", "web-1",
                                    {slice_port("http", 8080), slice_port("admin", 9001)},
                                    {endpoint("10.0.0.1"), endpoint("10.0.0.2", false)}));
  o.endpoint_slices.push_back(slice("web", "web-2", {slice_port("http", 8081)},
                                    {endpoint("10.0.0.3", std::nullopt)}));
  o.endpoint_slices.push_back(slice("other", "other-1", {slice_port("http", 1)},
                                    {endpoint("10.9.9.9")}));
  return o;
}

TEST(Backends, ServicePortByNameAndNumberResolveToReadyEndpointsOfTheirSlices) {
  auto c = compile(web_objects(), {});
  MatchResult m = c.table->match("web.org", "/index.html");
  ASSERT_EQ(m.kind, MatchKind::kRoute);
  ASSERT_EQ(m.cluster->status, ClusterStatus::kReady);
  // 10.0.0.2 is not ready; 10.0.0.3 has no ready condition, which counts as ready.
  EXPECT_EQ(m.cluster->endpoints,
            (std::vector<Endpoint>{{"10.0.0.1", 8080}, {"10.0.0.3", 8081}}));
  MatchResult admin = c.table->match("web.org", "/admin");
  EXPECT_EQ(admin.cluster->endpoints, (std::vector<Endpoint>{{"10.0.0.1", 9001}}));
  EXPECT_TRUE(c.diagnostics.empty());
}

TEST(Backends, UnnamedServicePortMatchesUnnamedSlicePort) {
  model::Objects o;
  o.ingresses.push_back(ingress("u", {rule("u.org", {path("/", P, "u", 80)})}));
  o.services.push_back(service("u", {service_port("", 80)}));
  o.endpoint_slices.push_back(slice("u", "u-1", {slice_port(std::nullopt, 3000)}, {endpoint("10.1.1.1")}));
  o.endpoint_slices.push_back(slice("u", "u-2", {slice_port("", 3001)}, {endpoint("10.1.1.2")}));
  auto table = compile(o, {}).table;
  auto m = table->match("u.org", "/");
  EXPECT_EQ(m.cluster->endpoints, (std::vector<Endpoint>{{"10.1.1.1", 3000}, {"10.1.1.2", 3001}}));
}

TEST(Backends, FqdnSlicesAreSkippedAndIpv6Kept) {
  model::Objects o;
  o.ingresses.push_back(ingress("v6", {rule("v6.org", {path("/", P, "v6", 80)})}));
  o.services.push_back(service("v6", {service_port("", 80)}));
  auto fqdn = slice("v6", "v6-fqdn", {slice_port("", 80)}, {endpoint("example.com")});
  fqdn.address_type = "FQDN";
  auto v6 = slice("v6", "v6-ip", {slice_port("", 80)}, {endpoint("fd00::1")});
  v6.address_type = "IPv6";
  o.endpoint_slices = {fqdn, v6};
  auto table = compile(o, {}).table;
  auto m = table->match("v6.org", "/");
  ASSERT_EQ(m.cluster->endpoints.size(), 1u);
  EXPECT_EQ(to_string(m.cluster->endpoints[0]), "[fd00::1]:80");
}

struct Broken {
  const char* what;
  std::function<void(model::Objects&)> mutate;
  ClusterStatus status;
};

TEST(Backends, MissingServicePortOrEndpointsAnswer503WithADiagnostic) {
  const std::vector<Broken> cases = {
      {"no service", [](model::Objects& o) { o.services.clear(); }, ClusterStatus::kNoService},
      {"no port", [](model::Objects& o) { o.services[0].ports[0].name = "web"; },
       ClusterStatus::kNoPort},
      {"no endpoints", [](model::Objects& o) { o.endpoint_slices.clear(); },
       ClusterStatus::kNoEndpoints},
      {"all unready",
       [](model::Objects& o) {
         for (auto& s : o.endpoint_slices)
           for (auto& e : s.endpoints) e.conditions.ready = false;
       },
       ClusterStatus::kNoEndpoints},
      {"external name",
       [](model::Objects& o) {
         o.services[0].type = "ExternalName";
         o.services[0].external_name = "evil.example.com";
       },
       ClusterStatus::kExternalName},
  };
  for (const Broken& b : cases) {
    SCOPED_TRACE(b.what);
    model::Objects o = web_objects();
    b.mutate(o);
    auto c = compile(o, {});
    MatchResult m = c.table->match("web.org", "/");
    ASSERT_EQ(m.kind, MatchKind::kRoute) << "the rule still matches; it answers 503";
    EXPECT_EQ(m.cluster->status, b.status);
    EXPECT_TRUE(m.cluster->endpoints.empty());
    ASSERT_FALSE(c.diagnostics.empty());
    EXPECT_EQ(c.diagnostics[0].kind, "Ingress");
    EXPECT_EQ(c.diagnostics[0].name, "web");
    EXPECT_EQ(c.diagnostics[0].field, "spec.rules[0].http.paths[0].backend");
    EXPECT_NE(c.diagnostics[0].message.find("503"), std::string::npos);
  }
}

TEST(Backends, ServiceIsLookedUpInTheIngressNamespaceOnly) {
  model::Objects o = web_objects();
  for (auto& i : o.ingresses) i.meta.namespace_ = "tenant";
  auto table = compile(o, {}).table;
  auto m = table->match("web.org", "/");
  EXPECT_EQ(m.cluster->status, ClusterStatus::kNoService);
}

TEST(Backends, ResourceBackendAnswers503) {
  model::Objects o;
  auto p = path("/", P, "x");
  p.backend.service.reset();
  p.backend.resource = std::make_shared<const model::TypedLocalObjectReference>(
      model::TypedLocalObjectReference{"k8s.example.com", "StorageBucket", "b"});
  o.ingresses.push_back(ingress("r", {rule("r.org", {p})}));
  auto c = compile(o, {});
  EXPECT_EQ(c.table->match("r.org", "/").cluster->status, ClusterStatus::kResource);
  ASSERT_EQ(c.diagnostics.size(), 1u);
}

TEST(Defaults, HostDefaultComesFromTheOldestIngressNamingTheHost) {
  model::Objects o;
  auto young = ingress("young", {rule("d.org", {path("/a", P, "a")})});
  young.default_backend = service_backend("young-default");
  young.meta.creation_timestamp = 200;
  auto old = ingress("old", {rule("d.org", {path("/b", P, "b")})});
  old.default_backend = service_backend("old-default");
  old.meta.creation_timestamp = 100;
  o.ingresses = {young, old};
  auto t = compile_with_backends(o).table;
  MatchResult m = t->match("d.org", "/zzz");
  EXPECT_EQ(m.kind, MatchKind::kHostDefault);
  EXPECT_EQ(m.cluster->service, "old-default");
  // A host default never captures other hosts.
  EXPECT_EQ(t->match("other.org", "/zzz").kind, MatchKind::kNotFound);
}

TEST(Defaults, GlobalDefaultComesFromTheOldestIngressWithoutRules) {
  model::Objects o;
  auto catch_all = ingress("catch-all", {});
  catch_all.default_backend = service_backend("fallback");
  auto second = ingress("second", {});
  second.default_backend = service_backend("fallback-2");
  o.ingresses = {second, catch_all};
  o.ingresses.push_back(ingress("site", {rule("site.org", {path("/", P, "site")})}));
  auto c = compile_with_backends(o);
  MatchResult m = c.table->match("unknown.org", "/x");
  EXPECT_EQ(m.kind, MatchKind::kDefault);
  EXPECT_EQ(m.cluster->service, "fallback");
  EXPECT_EQ(matched_service(*c.table, "site.org", "/x"), "site");
  ASSERT_EQ(c.diagnostics.size(), 1u);  // the second default is reported as unused
  EXPECT_EQ(c.diagnostics[0].name, "second");
}

TEST(Defaults, CommandLineDefaultBackendThen404) {
  model::Objects o = web_objects();
  CompileOptions options;
  options.default_backend = ServiceRef{"default", "web", "http"};
  auto t = compile(o, options).table;
  MatchResult m = t->match("nowhere.org", "/");
  EXPECT_EQ(m.kind, MatchKind::kDefault);
  EXPECT_EQ(m.cluster->endpoints.size(), 2u);
  auto plain = compile(o, {}).table;
  EXPECT_EQ(plain->match("nowhere.org", "/").kind, MatchKind::kNotFound);
}

TEST(Defaults, ParseServiceRef) {
  auto ok = parse_service_ref("ns/svc:8080");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->namespace_, "ns");
  EXPECT_EQ(ok->service, "svc");
  EXPECT_EQ(ok->port, "8080");
  EXPECT_TRUE(parse_service_ref("ns/svc:http"));
  for (const char* bad : {"svc:80", "ns/svc", "/svc:80", "ns/:80", "ns/svc:", "ns/svc:0",
                          "ns/svc:70000", "ns/svc:99999999999"})
    EXPECT_FALSE(parse_service_ref(bad)) << bad;
}

}  // namespace
}  // namespace gatehouse::routing
