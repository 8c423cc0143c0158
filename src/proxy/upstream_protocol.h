// What a pod speaks, from its Service port's appProtocol (KEP-3726's standard values): HTTP/1.1
// unless the port says otherwise. The choice is per cluster, made on each request from the
// RouteTable's Cluster (a string compare, no lookup).
#pragma once

#include <string>

#include "routing/cluster.h"

namespace gatehouse::proxy {

enum class UpstreamProtocol : unsigned char {
  kHttp1,     // unset, "http", "kubernetes.io/ws", or a value gatehouse does not know
  kHttp1Tls,  // "https", "kubernetes.io/wss": HTTP/1.1 over TLS (tls/pod_tls.h)
  kH2c,       // "kubernetes.io/h2c": HTTP/2 cleartext with prior knowledge (gRPC)
};

inline UpstreamProtocol upstream_protocol(const routing::Cluster& cluster) {
  const std::string& p = cluster.app_protocol;
  if (p.empty()) return UpstreamProtocol::kHttp1;
  if (p == "kubernetes.io/h2c") return UpstreamProtocol::kH2c;
  if (p == "https" || p == "kubernetes.io/wss") return UpstreamProtocol::kHttp1Tls;
  return UpstreamProtocol::kHttp1;
}

}  // namespace gatehouse::proxy
