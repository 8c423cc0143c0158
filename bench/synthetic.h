// Synthetic clusters for the routing benchmarks: N Ingress paths over H hosts, shaped like a real
// multi-tenant cluster (Ingresses of ~10 paths in ~50 namespaces, one Service + EndpointSlice per
// Ingress, a few wildcard hosts, one catch-all defaultBackend). Deterministic: the same (N, H,
// seed) always gives the same objects, so runs compare.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/objects.h"
#include "routing/compile.h"

namespace gatehouse::bench {

// One path of the synthetic objects, as the request generators need it.
struct SyntheticRoute {
  std::string host;  // as written in the rule: "svc-1.team-1.example.com" or "*.team-9.apps..."
  std::string path;
  model::PathType path_type = model::PathType::kPrefix;
};

struct Synthetic {
  model::Objects objects;
  std::vector<SyntheticRoute> routes;
  std::vector<std::string> hosts;  // every rule host, wildcards included
};

inline constexpr std::uint64_t kSeed = 0x6761746568;  // "gateh"

// Path elements by depth: the first level looks like what fronts a service, deeper levels like
// resources and versions.
inline constexpr std::array<std::string_view, 32> kTopElements = {
    "api",      "static",  "assets",  "users",   "account",  "admin",    "auth",     "login",
    "health",   "metrics", "docs",    "blog",    "search",   "cart",     "checkout", "orders",
    "products", "images",  "graphql", "ws",      "webhooks", "internal", "public",   "media",
    "download", "help",    "support", "billing", "catalog",  "reports",  "v1",       "v2"};
inline constexpr std::array<std::string_view, 32> kInnerElements = {
    "v1",      "v2",      "v3",        "orders",    "users",         "profile",     "settings",
    "items",   "search",  "export",    "js",        "css",           "img",         "fonts",
    "status",  "events",  "stream",    "callbacks", "invoices",      "payments",    "sessions",
    "tokens",  "reviews", "inventory", "shipping",  "notifications", "preferences", "history",
    "summary", "upload",  "avatars",   "feed"};
// What clients append below a rule's path: ids, slugs, actions.
inline constexpr std::array<std::string_view, 12> kTailElements = {
    "12345",   "987654321",  "a1b2c3d4", "details",
    "edit",    "latest",     "page-2",   "thumb.png",
    "main.js", "index.html", "comments", "0f9e8d7c-6b5a-4321-9876-fedcba012345"};

// Whether host index `i` is written as a wildcard ("*.team-N.apps.example.com"): 1 host in 40.
inline bool is_wildcard_host(std::size_t i) {
  return i % 40 == 39;
}

inline std::string host_name(std::size_t i) {
  const std::string team = "team-" + std::to_string(i % 97);
  if (is_wildcard_host(i)) return "*.t" + std::to_string(i) + "." + team + ".apps.example.com";
  return "svc-" + std::to_string(i) + "." + team + ".example.com";
}

// A request host that a rule host selects: itself, or one label in front of a wildcard.
inline std::string request_host_for(std::string_view rule_host, std::mt19937_64& rng) {
  if (rule_host.starts_with("*."))
    return "tenant-" + std::to_string(rng() % 1000) + std::string(rule_host.substr(1));
  return std::string(rule_host);
}

namespace detail {

inline std::string random_path(std::mt19937_64& rng) {
  // Depth 1–4, shallow paths most common: 35% / 35% / 20% / 10%.
  const unsigned roll = static_cast<unsigned>(rng() % 100);
  const int depth = roll < 35 ? 1 : roll < 70 ? 2 : roll < 90 ? 3 : 4;
  std::string path = "/";
  path += kTopElements[rng() % kTopElements.size()];
  for (int d = 1; d < depth; ++d) {
    path += '/';
    path += kInnerElements[rng() % kInnerElements.size()];
  }
  return path;
}

inline model::ObjectMeta meta(std::string name, std::string ns, std::int64_t created,
                              int document) {
  model::ObjectMeta m;
  m.name = std::move(name);
  m.namespace_ = std::move(ns);
  m.creation_timestamp = created;
  m.labels["app.kubernetes.io/part-of"] = m.namespace_;
  m.resource_version = std::to_string(100000 + document);
  m.origin = {"synthetic.yaml", document};
  return m;
}

inline model::IngressBackend backend(const std::string& service, bool by_name) {
  model::IngressBackend b;
  b.service = model::IngressServiceBackend{service, {}};
  if (by_name)
    b.service->port.name = "http";
  else
    b.service->port.number = 80;
  return b;
}

// The Service an Ingress routes to (port 80 "http" → 8080) and its slice of 3 ready endpoints.
inline void add_service(model::Objects& objects, const std::string& name, const std::string& ns,
                        std::size_t index, int& document) {
  model::Service service;
  service.meta = meta(name, ns, 1'700'000'000 + static_cast<std::int64_t>(index), document++);
  model::ServicePort port;
  port.name = "http";
  port.port = 80;
  port.target_port.number = 8080;
  service.ports.push_back(port);
  objects.services.push_back(std::move(service));

  model::EndpointSlice slice;
  slice.meta =
      meta(name + "-x7k2p", ns, 1'700'000'000 + static_cast<std::int64_t>(index), document++);
  slice.meta.labels[model::kServiceNameLabel] = name;
  slice.address_type = "IPv4";
  model::EndpointPort endpoint_port;
  endpoint_port.name = "http";
  endpoint_port.port = 8080;
  slice.ports.push_back(endpoint_port);
  for (int e = 0; e < 3; ++e) {
    model::Endpoint endpoint;
    endpoint.addresses = {"127.0.0." + std::to_string(1 + (index * 3 + e) % 250)};
    endpoint.conditions.ready = true;
    endpoint.conditions.serving = true;
    endpoint.conditions.terminating = false;
    slice.endpoints.push_back(std::move(endpoint));
  }
  objects.endpoint_slices.push_back(std::move(slice));
}

}  // namespace detail

// Builds `paths` Ingress paths spread evenly over `hosts` hosts (unique per host, ~80% Prefix,
// ~20% Exact), grouped into Ingresses of 10 paths with one Service each.
inline Synthetic make_synthetic(std::size_t paths, std::size_t hosts, std::uint64_t seed = kSeed) {
  constexpr std::size_t kPathsPerIngress = 10;
  constexpr std::size_t kNamespaces = 50;
  std::mt19937_64 rng(seed);
  Synthetic out;
  out.routes.reserve(paths);

  // Routes first, in host order, so each Ingress covers one host (or a few, when hosts are small).
  for (std::size_t h = 0; h < hosts; ++h) {
    out.hosts.push_back(host_name(h));
    // The first `paths % hosts` hosts take one extra path, so the total is exact.
    const std::size_t count = paths / hosts + (h < paths % hosts ? 1 : 0);
    std::set<std::string> seen;
    if (count > 0 && h % 4 == 0) seen.insert("/");  // a quarter of the hosts have a "/" catch-all
    while (seen.size() < count) seen.insert(detail::random_path(rng));
    for (const std::string& p : seen) {
      const bool exact = p != "/" && rng() % 5 == 0;
      out.routes.push_back(SyntheticRoute{
          out.hosts.back(), p, exact ? model::PathType::kExact : model::PathType::kPrefix});
    }
  }

  int document = 0;
  model::Objects& objects = out.objects;
  for (std::size_t first = 0, index = 0; first < out.routes.size();
       first += kPathsPerIngress, ++index) {
    const std::string ns = "ns-" + std::to_string(index % kNamespaces);
    const std::string service = "backend-" + std::to_string(index);
    model::Ingress ingress;
    ingress.meta = detail::meta("ing-" + std::to_string(index), ns,
                                1'700'000'000 + static_cast<std::int64_t>(index), document++);
    ingress.meta.annotations[routing::kLegacyClassAnnotation] = routing::kDefaultClassName;
    const std::size_t last = std::min(first + kPathsPerIngress, out.routes.size());
    for (std::size_t r = first; r < last; ++r) {
      const SyntheticRoute& route = out.routes[r];
      if (ingress.rules.empty() || ingress.rules.back().host != route.host) {
        model::IngressRule rule;
        rule.host = route.host;
        rule.has_http = true;
        ingress.rules.push_back(std::move(rule));
      }
      model::HTTPIngressPath p;
      p.path = route.path;
      p.path_type = route.path_type;
      p.backend = detail::backend(service, index % 5 == 0);  // some name the port, not number
      ingress.rules.back().paths.push_back(std::move(p));
    }
    objects.ingresses.push_back(std::move(ingress));
    detail::add_service(objects, service, ns, index, document);
  }

  // The catch-all for unknown hosts, as most clusters have.
  model::Ingress fallback;
  fallback.meta = detail::meta("default-backend", "ingress-system", 1'600'000'000, document++);
  fallback.default_backend = detail::backend("default-http-backend", false);
  objects.ingresses.push_back(std::move(fallback));
  detail::add_service(objects, "default-http-backend", "ingress-system", 0, document);
  return out;
}

// Appends `depth` elements of tail-like names to a path ("/api" + 2 → "/api/12345/details").
inline std::string deeper(std::string path, int depth, std::mt19937_64& rng) {
  if (path == "/") path.clear();
  for (int d = 0; d < depth; ++d) {
    path += '/';
    path += kTailElements[rng() % kTailElements.size()];
  }
  return path.empty() ? "/" : path;
}

}  // namespace gatehouse::bench
