// Backend resolution (SPEC.md §7): an Ingress backend of a namespace → a Cluster, from the
// Service and the EndpointSlices labelled with its name.
#pragma once

#include <string>
#include <vector>

#include "model/objects.h"
#include "routing/cluster.h"

namespace gatehouse::routing {

// `service` is the Service named by `backend` in `ns` (nullptr when there is none), `slices` the
// EndpointSlices labelled with its name, ordered by name. `port_label` is the port as written.
Cluster resolve_service(const std::string& ns, const model::IngressServiceBackend& backend,
                        const std::string& port_label, const model::Service* service,
                        const std::vector<const model::EndpointSlice*>& slices);

// A resource backend: kept for display, never proxied.
Cluster resolve_resource(const std::string& ns, const model::TypedLocalObjectReference& resource);

}  // namespace gatehouse::routing
