#include "source/kube/object_cache.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <type_traits>
#include <utility>

#include "model/decode.h"
#include "source/kube/json_fields.h"

namespace gatehouse::source::kube {

namespace json = boost::json;

namespace {

const char* api_version_of(model::Kind kind) {
  switch (kind) {
    case model::Kind::kIngress:
    case model::Kind::kIngressClass:
      return "networking.k8s.io/v1";
    case model::Kind::kEndpointSlice:
      return "discovery.k8s.io/v1";
    case model::Kind::kService:
    case model::Kind::kSecret:
      return "v1";
  }
  return "";
}

// Calls f(the vector of `kind`'s objects).
template <class F>
void with_list(model::Objects& objects, model::Kind kind, F&& f) {
  switch (kind) {
    case model::Kind::kIngress:
      return f(objects.ingresses);
    case model::Kind::kIngressClass:
      return f(objects.ingress_classes);
    case model::Kind::kService:
      return f(objects.services);
    case model::Kind::kEndpointSlice:
      return f(objects.endpoint_slices);
    case model::Kind::kSecret:
      return f(objects.secrets);
  }
}

// The vector of objects of type T.
template <class T>
std::vector<T>& list_of(model::Objects& objects) {
  if constexpr (std::is_same_v<T, model::Ingress>) return objects.ingresses;
  else if constexpr (std::is_same_v<T, model::IngressClass>) return objects.ingress_classes;
  else if constexpr (std::is_same_v<T, model::Service>) return objects.services;
  else if constexpr (std::is_same_v<T, model::EndpointSlice>) return objects.endpoint_slices;
  else return objects.secrets;
}

template <class T>
auto find_sorted(std::vector<T>& list, const std::string& ns, const std::string& name) {
  return std::lower_bound(list.begin(), list.end(), std::tie(ns, name),
                          [](const T& object, const auto& key) {
                            return std::tie(object.meta.namespace_, object.meta.name) < key;
                          });
}


// What names an Ingress's class, read leniently from an object that failed validation.
model::Ingress class_claim(const json::value& object, const std::string& ns, const std::string& name) {
  model::Ingress claim;
  claim.meta.namespace_ = ns;
  claim.meta.name = name;
  const json::object* o = object.if_object();
  const json::value* meta = o ? o->if_contains("metadata") : nullptr;
  const json::value* annotations =
      meta && meta->is_object() ? meta->get_object().if_contains("annotations") : nullptr;
  if (annotations && annotations->is_object())
    for (const auto& [key, value] : annotations->get_object())
      if (value.is_string()) claim.meta.annotations[std::string(key)] = std::string(value.get_string());
  const json::value* spec = o ? o->if_contains("spec") : nullptr;
  const json::value* class_name =
      spec && spec->is_object() ? spec->get_object().if_contains("ingressClassName") : nullptr;
  if (class_name && class_name->is_string()) claim.ingress_class_name = std::string(class_name->get_string());
  return claim;
}

}  // namespace

ObjectCache::ObjectCache() : objects_(std::make_shared<model::Objects>()) {}

model::Objects& ObjectCache::writable() {
  if (objects_.use_count() > 1) objects_ = std::make_shared<model::Objects>(*objects_);
  return *objects_;
}

std::string ObjectCache::put(model::Kind kind, const json::value& object, std::string* key) {
  std::string ns, name, version;
  if (const json::object* o = object.if_object()) {
    if (const json::value* m = o->if_contains("metadata"); m && m->is_object()) {
      ns = string_at(m->if_object(), "namespace");
      name = string_at(m->if_object(), "name");
      version = string_at(m->if_object(), "resourceVersion");
    }
  }
  if (kind == model::Kind::kIngressClass) ns.clear();
  else if (ns.empty()) ns = "default";
  if (key) *key = ns + "/" + name;
  if (name.empty()) return version;  // nothing to key it by; the decoder would refuse it too
  auto seen = versions_.find({kind, ns + "/" + name});
  if (seen != versions_.end() && !version.empty() && seen->second == version) return version;

  model::Objects decoded;
  model::Diagnostics problems;
  model::decode_object(object, model::Origin{"kube", 0}, decoded, problems, model::to_string(kind),
                       api_version_of(kind));
  bool valid = false;
  with_list(decoded, kind, [&](auto& list) { valid = list.size() == 1; });
  if (kind == model::Kind::kIngress) {
    if (valid) {
      refused_.erase(ns + "/" + name);
    } else {
      Refused& r = refused_[ns + "/" + name];
      r.claim = class_claim(object, ns, name);
      r.errors.clear();
      for (const auto& d : problems)
        if (d.severity == model::Severity::kError) r.errors.push_back(d);
    }
  }
  for (auto& d : problems) diagnostics_.push_back(std::move(d));
  if (!valid) {
    drop(kind, ns, name);
    return version;
  }
  with_list(writable(), kind, [&](auto& list) {
    using T = typename std::decay_t<decltype(list)>::value_type;
    T& fresh = list_of<T>(decoded).front();
    auto at = find_sorted(list, fresh.meta.namespace_, fresh.meta.name);
    if (at != list.end() && at->meta.namespace_ == fresh.meta.namespace_ &&
        at->meta.name == fresh.meta.name)
      *at = std::move(fresh);
    else
      list.insert(at, std::move(fresh));
  });
  versions_[{kind, ns + "/" + name}] = version;
  if (!changed_.all) changed_.keys.push_back({kind, ns, name});
  return version;
}

void ObjectCache::remove(model::Kind kind, const std::string& namespace_, const std::string& name) {
  if (kind == model::Kind::kIngress) refused_.erase(namespace_ + "/" + name);
  drop(kind, namespace_, name);
}

void ObjectCache::drop(model::Kind kind, const std::string& namespace_, const std::string& name) {
  versions_.erase({kind, namespace_ + "/" + name});
  bool found = false;
  with_list(*objects_, kind, [&](auto& list) {
    auto at = find_sorted(list, namespace_, name);
    found = at != list.end() && at->meta.namespace_ == namespace_ && at->meta.name == name;
  });
  if (!found) return;
  with_list(writable(), kind, [&](auto& list) { list.erase(find_sorted(list, namespace_, name)); });
  if (!changed_.all) changed_.keys.push_back({kind, namespace_, name});
}

void ObjectCache::keep_only(model::Kind kind, const std::string& namespace_,
                            const std::vector<std::string>& listed) {
  const std::set<std::string> keep(listed.begin(), listed.end());
  std::vector<std::pair<std::string, std::string>> gone;
  with_list(*objects_, kind, [&](auto& list) {
    for (const auto& object : list) {
      if (!namespace_.empty() && object.meta.namespace_ != namespace_) continue;
      if (!keep.count(object.meta.namespace_ + "/" + object.meta.name))
        gone.emplace_back(object.meta.namespace_, object.meta.name);
    }
  });
  for (const auto& [ns, name] : gone) remove(kind, ns, name);
  if (kind == model::Kind::kIngress)  // refused ones are in no list: forget those gone too
    for (auto it = refused_.begin(); it != refused_.end();)
      it = (namespace_.empty() || it->second.claim.meta.namespace_ == namespace_) &&
                   !keep.count(it->first)
               ? refused_.erase(it)
               : std::next(it);
}

model::ObjectChanges ObjectCache::take_changes() {
  model::ObjectChanges out = std::move(changed_);
  changed_ = model::ObjectChanges::none();
  // One entry per key: a burst of events for one object compiles it once.
  auto key = [](const model::ObjectKey& k) { return std::tie(k.kind, k.namespace_, k.name); };
  std::sort(out.keys.begin(), out.keys.end(),
            [&](const auto& a, const auto& b) { return key(a) < key(b); });
  out.keys.erase(std::unique(out.keys.begin(), out.keys.end(),
                             [&](const auto& a, const auto& b) { return key(a) == key(b); }),
                 out.keys.end());
  return out;
}

model::Diagnostics ObjectCache::take_diagnostics() { return std::exchange(diagnostics_, {}); }


}  // namespace gatehouse::source::kube
