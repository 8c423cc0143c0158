// A Cluster: one backend of the routing table, a Service port (or a resource) of one namespace,
// resolved to its ready endpoints (SPEC.md §7).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::routing {

// "No index": no route, no cluster, no host.
inline constexpr std::uint32_t kNone = 0xffffffffu;

struct Endpoint {
  std::string address;  // an IPv4 or IPv6 literal, as the EndpointSlice lists it
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

std::string to_string(const Endpoint& endpoint);  // "10.0.0.1:80", "[fd00::1]:80"

// Why a Cluster has nothing to dial. Every status but kReady answers 503.
enum class ClusterStatus : std::uint8_t {
  kReady,
  kNoService,     // the Service does not exist
  kNoPort,        // the Service has no such port
  kNoEndpoints,   // no ready endpoint carries the port
  kExternalName,  // ExternalName Services are never proxied (off-cluster)
  kResource,      // a resource backend: not supported by gatehouse
};

const char* to_string(ClusterStatus status);

// What the pods speak, from the Service port's appProtocol (KEP-3726's standard values), decided
// when the table is compiled so a request only reads a field.
enum class PodProtocol : std::uint8_t {
  kHttp1,     // unset, "http", "kubernetes.io/ws", or a value gatehouse does not know
  kHttp1Tls,  // "https", "kubernetes.io/wss": HTTP/1.1 over TLS
  kH2c,       // "kubernetes.io/h2c": HTTP/2 cleartext with prior knowledge (gRPC)
};

PodProtocol pod_protocol(std::string_view app_protocol);

struct Cluster {
  std::string namespace_;
  std::string service;       // or the resource's Kind/name for kResource
  std::string port;          // the Ingress's port reference as written: "8080" or "http"
  std::string app_protocol;  // the Service port's appProtocol, "" when unset
  PodProtocol protocol = PodProtocol::kHttp1;  // read from app_protocol
  ClusterStatus status = ClusterStatus::kNoService;
  std::string detail;  // why not ready, for 503 pages and `explain`
  std::vector<Endpoint> endpoints;

  std::string label() const;  // "foo-a:8080" (namespace omitted)
  bool operator==(const Cluster&) const = default;
};

}  // namespace gatehouse::routing
