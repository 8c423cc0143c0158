#include "routing/resolve.h"

#include <algorithm>
#include <optional>

namespace gatehouse::routing {

Cluster resolve_service(const std::string& ns, const model::IngressServiceBackend& backend,
                        const std::string& port_label, const model::Service* service,
                        const std::vector<const model::EndpointSlice*>& slices) {
  Cluster c;
  c.namespace_ = ns;
  c.service = backend.name;
  c.port = port_label;
  const std::string service_ref = "Service " + ns + "/" + backend.name;
  if (!service) {
    c.status = ClusterStatus::kNoService;
    c.detail = service_ref + " not found";
    return c;
  }
  if (service->type == "ExternalName") {
    c.status = ClusterStatus::kExternalName;
    c.detail = service_ref + " is of type ExternalName (" + service->external_name +
               "), which is never proxied";
    return c;
  }
  const model::ServicePort* port = nullptr;
  for (const auto& p : service->ports) {
    if (backend.port.name.empty() ? p.port == backend.port.number : p.name == backend.port.name) {
      port = &p;
      break;
    }
  }
  if (!port) {
    c.status = ClusterStatus::kNoPort;
    c.detail = service_ref + " has no port " + port_label;
    return c;
  }
  c.app_protocol = port->app_protocol;
  c.protocol = pod_protocol(c.app_protocol);
  for (const model::EndpointSlice* slice : slices) {
    if (slice->address_type != "IPv4" && slice->address_type != "IPv6") continue;
    // The slice port carries the number to dial: a named targetPort may differ pod by pod.
    std::optional<std::int32_t> number;
    for (const auto& sp : slice->ports)
      if (sp.name.value_or("") == port->name && sp.port) number = sp.port;
    if (!number) continue;
    for (const auto& e : slice->endpoints) {
      if (e.conditions.ready == false || e.addresses.empty()) continue;
      Endpoint endpoint{e.addresses.front(), static_cast<std::uint16_t>(*number)};
      if (std::find(c.endpoints.begin(), c.endpoints.end(), endpoint) == c.endpoints.end())
        c.endpoints.push_back(std::move(endpoint));
    }
  }
  if (c.endpoints.empty()) {
    c.status = ClusterStatus::kNoEndpoints;
    c.detail = service_ref + " port " + port_label + " has no ready endpoints";
  } else {
    c.status = ClusterStatus::kReady;
  }
  return c;
}

Cluster resolve_resource(const std::string& ns, const model::TypedLocalObjectReference& r) {
  Cluster c;
  c.namespace_ = ns;
  c.service = r.kind + "/" + r.name;
  c.status = ClusterStatus::kResource;
  c.detail = "resource backend " + (r.api_group.empty() ? "" : r.api_group + "/") + r.kind + " " +
             r.name + " is not supported";
  return c;
}

}  // namespace gatehouse::routing
