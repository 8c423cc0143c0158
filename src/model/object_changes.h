// Which objects differ between two consecutive Objects values: what lets the compiler redo only
// the part of the routing table a change touches. A source that cannot tell says `all`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gatehouse::model {

enum class Kind : std::uint8_t { kIngress, kIngressClass, kService, kEndpointSlice, kSecret };

// "Ingress", "Service", ...: the kind as Kubernetes (and every Diagnostic) spells it.
inline const char* to_string(Kind kind) {
  switch (kind) {
    case Kind::kIngress:
      return "Ingress";
    case Kind::kIngressClass:
      return "IngressClass";
    case Kind::kService:
      return "Service";
    case Kind::kEndpointSlice:
      return "EndpointSlice";
    case Kind::kSecret:
      return "Secret";
  }
  return "?";
}

struct ObjectKey {
  Kind kind = Kind::kIngress;
  std::string namespace_;  // "" for cluster-scoped kinds
  std::string name;
};

struct ObjectChanges {
  bool all = true;              // unknown: every object may have changed
  std::vector<ObjectKey> keys;  // otherwise: every object added, removed or changed (a superset)

  static ObjectChanges everything() { return {}; }
  static ObjectChanges none() { return {false, {}}; }
};

}  // namespace gatehouse::model
