// Builders for routing tests: Kubernetes objects as compact C++ values, and a world that gives
// every Service backend one ready endpoint so tests can focus on rules.
#pragma once

#include <string>
#include <vector>

#include "model/objects.h"
#include "routing/compile.h"

namespace gatehouse::routing::testing {

using model::PathType;

inline model::HTTPIngressPath path(std::string p, PathType type, std::string service,
                                   std::int32_t port = 80) {
  model::HTTPIngressPath out;
  out.path = std::move(p);
  out.path_type = type;
  out.backend.service = model::IngressServiceBackend{std::move(service), {"", port}};
  return out;
}

inline model::IngressRule rule(std::string host, std::vector<model::HTTPIngressPath> paths) {
  model::IngressRule out;
  out.host = std::move(host);
  out.has_http = !paths.empty();
  out.paths = std::move(paths);
  return out;
}

inline model::Ingress ingress(std::string name, std::vector<model::IngressRule> rules,
                              std::string ns = "default") {
  model::Ingress out;
  out.meta.name = std::move(name);
  out.meta.namespace_ = std::move(ns);
  out.rules = std::move(rules);
  return out;
}

inline model::IngressBackend service_backend(std::string service, std::int32_t port = 80) {
  model::IngressBackend b;
  b.service = model::IngressServiceBackend{std::move(service), {"", port}};
  return b;
}

inline model::Service service(std::string name, std::vector<model::ServicePort> ports,
                              std::string ns = "default") {
  model::Service out;
  out.meta.name = std::move(name);
  out.meta.namespace_ = std::move(ns);
  out.ports = std::move(ports);
  return out;
}

inline model::EndpointSlice slice(std::string service, std::string name,
                                  std::vector<model::EndpointPort> ports,
                                  std::vector<model::Endpoint> endpoints,
                                  std::string ns = "default") {
  model::EndpointSlice out;
  out.meta.name = std::move(name);
  out.meta.namespace_ = std::move(ns);
  out.meta.labels[model::kServiceNameLabel] = std::move(service);
  out.address_type = "IPv4";
  out.ports = std::move(ports);
  out.endpoints = std::move(endpoints);
  return out;
}

inline model::Endpoint endpoint(std::string address, std::optional<bool> ready = true) {
  model::Endpoint e;
  e.addresses = {std::move(address)};
  e.conditions.ready = ready;
  return e;
}

// Adds, for every Service backend named by `objects`' Ingresses, a Service with that port (number
// or name) and one ready endpoint 127.0.0.1:<n>, n counting from 20000.
inline void add_backends(model::Objects& objects) {
  std::vector<std::pair<std::string, model::ServiceBackendPort>> wanted;
  auto want = [&](const model::Ingress& i, const model::IngressBackend& b) {
    if (b.service) wanted.emplace_back(i.meta.namespace_ + "/" + b.service->name, b.service->port);
  };
  for (const auto& i : objects.ingresses) {
    if (i.default_backend) want(i, *i.default_backend);
    for (const auto& r : i.rules)
      for (const auto& p : r.paths) want(i, p.backend);
  }
  int next = 20000;
  for (const auto& [key, port] : wanted) {
    std::string ns = key.substr(0, key.find('/')), name = key.substr(key.find('/') + 1);
    bool exists = false;
    for (const auto& s : objects.services)
      if (s.meta.namespace_ == ns && s.meta.name == name) exists = true;
    if (exists) continue;
    model::ServicePort sp;
    sp.port = port.number ? port.number : 80;
    sp.name = port.name;
    objects.services.push_back(service(name, {sp}, ns));
    model::EndpointPort ep;
    ep.name = port.name;
    ep.port = next;
    objects.endpoint_slices.push_back(
        slice(name, name + "-abc", {ep}, {endpoint("127.0.0.1")}, ns));
    ++next;
  }
}

inline Compiled compile_with_backends(model::Objects objects, CompileOptions options = {}) {
  add_backends(objects);
  return compile(objects, options);
}

// The matched route's path ("" when no rule matched), for compact assertions.
inline std::string matched_path(const RouteTable& table, std::string_view host,
                                std::string_view request) {
  MatchResult m = table.match(host, request);
  return m.kind == MatchKind::kRoute ? std::string(m.route->path) : "";
}

inline std::string matched_service(const RouteTable& table, std::string_view host,
                                   std::string_view request) {
  MatchResult m = table.match(host, request);
  return m.cluster ? m.cluster->service : "";
}

}  // namespace gatehouse::routing::testing
