#include "routing/cluster.h"

namespace gatehouse::routing {

std::string to_string(const Endpoint& endpoint) {
  if (endpoint.address.find(':') != std::string::npos)
    return "[" + endpoint.address + "]:" + std::to_string(endpoint.port);
  return endpoint.address + ":" + std::to_string(endpoint.port);
}

const char* to_string(ClusterStatus status) {
  switch (status) {
    case ClusterStatus::kReady:
      return "ready";
    case ClusterStatus::kNoService:
      return "no such Service";
    case ClusterStatus::kNoPort:
      return "no such Service port";
    case ClusterStatus::kNoEndpoints:
      return "no ready endpoints";
    case ClusterStatus::kExternalName:
      return "ExternalName Service (not proxied)";
    case ClusterStatus::kResource:
      return "resource backend (not supported)";
  }
  return "?";
}

std::string Cluster::label() const {
  if (status == ClusterStatus::kResource) return service;
  return service + ":" + port;
}

PodProtocol pod_protocol(std::string_view app_protocol) {
  if (app_protocol == "kubernetes.io/h2c") return PodProtocol::kH2c;
  if (app_protocol == "https" || app_protocol == "kubernetes.io/wss") return PodProtocol::kHttp1Tls;
  return PodProtocol::kHttp1;
}

}  // namespace gatehouse::routing
