// The current objects, keyed by kind/namespace/name. Putting an object whose key is already
// present replaces it (the later one wins) and reports a warning naming both origins.
#pragma once

#include <map>
#include <string>
#include <tuple>

#include "model/diagnostic.h"
#include "model/objects.h"

namespace gatehouse::store {

class ObjectStore {
 public:
  // Adds every object of `objects`, in order; a duplicate key replaces the earlier object and
  // appends a warning to `diagnostics`.
  void put(model::Objects&& objects, model::Diagnostics& diagnostics);

  // The objects, each kind sorted by namespace/name: the same store always gives the same value.
  model::Objects snapshot() const;

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name
  std::map<Key, model::Ingress> ingresses_;
  std::map<Key, model::IngressClass> ingress_classes_;
  std::map<Key, model::Service> services_;
  std::map<Key, model::EndpointSlice> endpoint_slices_;
  std::map<Key, model::Secret> secrets_;
};

}  // namespace gatehouse::store
