#include "store/object_store.h"

#include <utility>

namespace gatehouse::store {

namespace {

std::string origin_text(const model::Origin& origin) {
  return origin.file + "#" + std::to_string(origin.document);
}

// Inserts or replaces each object of `objects`; a replacement is a warning naming both origins.
template <class T>
void put_all(std::vector<T>&& objects, const char* kind,
             std::map<std::pair<std::string, std::string>, T>& into,
             model::Diagnostics& diagnostics) {
  for (T& object : objects) {
    auto key = std::make_pair(object.meta.namespace_, object.meta.name);
    auto it = into.find(key);
    if (it == into.end()) {
      into.emplace(std::move(key), std::move(object));
      continue;
    }
    model::Diagnostic d;
    d.severity = model::Severity::kWarning;
    d.origin = object.meta.origin;
    d.kind = kind;
    d.namespace_ = object.meta.namespace_;
    d.name = object.meta.name;
    d.message = "replaces the object from " + origin_text(it->second.meta.origin);
    diagnostics.push_back(std::move(d));
    it->second = std::move(object);
  }
  objects.clear();
}

template <class T>
std::vector<T> values(const std::map<std::pair<std::string, std::string>, T>& from) {
  std::vector<T> out;
  out.reserve(from.size());
  for (const auto& [key, object] : from) out.push_back(object);
  return out;
}

}  // namespace

void ObjectStore::put(model::Objects&& objects, model::Diagnostics& diagnostics) {
  put_all(std::move(objects.ingresses), "Ingress", ingresses_, diagnostics);
  put_all(std::move(objects.ingress_classes), "IngressClass", ingress_classes_, diagnostics);
  put_all(std::move(objects.services), "Service", services_, diagnostics);
  put_all(std::move(objects.endpoint_slices), "EndpointSlice", endpoint_slices_, diagnostics);
  put_all(std::move(objects.secrets), "Secret", secrets_, diagnostics);
}

model::Objects ObjectStore::snapshot() const {
  model::Objects out;
  out.ingresses = values(ingresses_);
  out.ingress_classes = values(ingress_classes_);
  out.services = values(services_);
  out.endpoint_slices = values(endpoint_slices_);
  out.secrets = values(secrets_);
  return out;
}

}  // namespace gatehouse::store
