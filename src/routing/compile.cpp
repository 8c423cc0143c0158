#include "routing/compile.h"

#include "routing/annotations.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

#include "routing/resolve.h"
#include "routing/table_builder.h"

namespace gatehouse::routing {

namespace {

using model::Diagnostic;
using model::Diagnostics;
using model::Ingress;
using model::Severity;

using Name = std::pair<std::string, std::string>;  // namespace, name

// SPEC.md §5.2's order of Ingresses: oldest first; a missing creationTimestamp (files) counts as
// newer than any real one; ties by namespace/name.
using Age = std::tuple<bool, std::int64_t, std::string, std::string>;

// An Age without its namespace/name (kept where the name is at hand: a map's key).
using Created = std::pair<bool, std::int64_t>;

Created created_of(const Ingress& ingress) {
  const auto& t = ingress.meta.creation_timestamp;
  return {!t.has_value(), t.value_or(0)};
}

template <class Name>
Age age_of(const Name& name, const Created& created) {
  return {created.first, created.second, name.first, name.second};
}

// Where a host goes in RouteTable::hosts(): where it first appears when the Ingresses are read
// oldest first, i.e. the age of its oldest Ingress and the index of that Ingress's first rule
// naming it. Unique per host: a rule names one host.
using HostOrder = std::pair<Age, std::uint32_t>;

std::string field_of_path(std::size_t rule, std::size_t path) {
  return "spec.rules[" + std::to_string(rule) + "].http.paths[" + std::to_string(path) + "]";
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

template <class T>
Name name_of(const T& object) {
  return {object.meta.namespace_, object.meta.name};
}

template <class T>
bool sorted_and_unique(const std::vector<T>& objects) {
  for (std::size_t i = 1; i < objects.size(); ++i) {
    const auto& a = objects[i - 1].meta;
    const auto& b = objects[i].meta;
    if (std::tie(a.namespace_, a.name) >= std::tie(b.namespace_, b.name)) return false;
  }
  return true;
}

// One kind of the compile's input, found by namespace/name in O(log n): the vector itself when
// it is sorted with one object per key (a store's snapshot always is), else an index of pointers
// to it, sorted, the last of objects sharing a key kept (as a store would).
template <class T>
class ByName {
 public:
  void reset(const std::vector<T>* objects, bool may_be_unsorted) {
    objects_ = objects;
    index_.clear();
    indexed_ = may_be_unsorted && !sorted_and_unique(*objects);
    if (!indexed_) return;
    for (const T& object : *objects) index_.push_back(&object);
    std::stable_sort(index_.begin(), index_.end(),
                     [](const T* a, const T* b) { return name_of(*a) < name_of(*b); });
    std::vector<const T*> unique;
    for (std::size_t i = 0; i < index_.size(); ++i)
      if (i + 1 == index_.size() || name_of(*index_[i]) != name_of(*index_[i + 1]))
        unique.push_back(index_[i]);
    index_ = std::move(unique);
  }

  const T* find(const std::string& ns, const std::string& name) const {
    auto key = std::tie(ns, name);
    auto less = [](const T& object, const auto& k) {
      return std::tie(object.meta.namespace_, object.meta.name) < k;
    };
    const T* found = nullptr;
    if (indexed_) {
      auto it = std::lower_bound(index_.begin(), index_.end(), key,
                                 [&](const T* object, const auto& k) { return less(*object, k); });
      if (it != index_.end()) found = *it;
    } else {
      auto it = std::lower_bound(objects_->begin(), objects_->end(), key, less);
      if (it != objects_->end()) found = &*it;
    }
    if (!found || found->meta.namespace_ != ns || found->meta.name != name) return nullptr;
    return found;
  }

  // Calls f(object) for every object, one per key.
  template <class F>
  void for_each(F&& f) const {
    if (indexed_)
      for (const T* object : index_) f(*object);
    else
      for (const T& object : *objects_) f(object);
  }

 private:
  const std::vector<T>* objects_ = nullptr;
  std::vector<const T*> index_;
  bool indexed_ = false;
};

}  // namespace

struct Compiler::State {
  struct ClusterSlot {
    std::string key;  // "" when the slot is free
    Name service;     // (namespace, Service name); empty for a resource backend
    std::shared_ptr<const Cluster> cluster;
    model::IngressBackend backend;  // what it resolves, for resolving again
    std::string port_label;
    std::set<const std::string*> hosts;  // the hosts whose HostTable names it (keys of `hosts`)
    std::set<Name> defaults_of;   // the Ingresses whose spec.defaultBackend it is
    bool pinned = false;          // --default-backend
  };

  struct IngressInfo {
    Created created;  // with the map key, its Age
    std::vector<std::string> hosts;  // the host entries its rules create (ours only)
    std::uint32_t default_cluster = kNone;
  };

  struct HostInfo {
    std::set<Name> ingresses;  // ours, with a rule naming this host
    std::shared_ptr<const HostTable> table;
    std::vector<std::uint32_t> clusters;  // every cluster id the table names, sorted
    Diagnostics diagnostics;
    // Its entry in host_order while it has one (map iterators stay valid until erased).
    std::optional<std::map<HostOrder, std::pair<const std::string, HostInfo>*>::iterator> place;
  };

  explicit State(CompileOptions o) : options(std::move(o)) {}

  CompileOptions options;
  // The current compile's input.
  const model::Objects* objects = nullptr;
  ByName<Ingress> ingress_objects;
  ByName<model::Service> service_objects;
  ByName<model::EndpointSlice> slice_objects;

  // IngressClasses (any change to one compiles everything again).
  std::map<std::string, std::string> class_controllers;  // name → spec.controller
  std::optional<std::string> default_class_controller;
  Diagnostics class_diagnostics;

  std::map<Name, IngressInfo> ingresses;                // every Ingress that is ours
  std::set<Name> refused;  // ours by class, refused for an annotation (annotations_allow)
  std::map<Name, Diagnostics> ingress_diagnostics;      // of any Ingress; non-empty lists only
  std::map<Age, Name> global_default_candidates;        // ours, no rules, a defaultBackend
  std::unordered_map<std::string, HostInfo> hosts;
  std::map<HostOrder, std::pair<const std::string, HostInfo>*> host_order;  // → hosts' entry

  std::vector<ClusterSlot> clusters;
  std::vector<std::uint32_t> free_clusters;
  std::unordered_map<std::string, std::uint32_t> cluster_ids;  // key → id
  std::map<Name, std::set<std::uint32_t>> clusters_of_service;
  std::map<Name, std::set<std::string>> slices_of_service;  // (ns, Service) → slice names
  std::map<Name, std::string> service_of_slice;             // (ns, slice) → its Service label
  std::uint32_t option_default = kNone;

  std::string key;  // scratch for cluster keys
  bool initialized = false;

  // ---- IngressClasses

  void load_classes() {
    std::vector<const model::IngressClass*> defaults;
    for (const auto& c : objects->ingress_classes) {
      class_controllers[c.meta.name] = c.controller;
      auto a = c.meta.annotations.find(kDefaultClassAnnotation);
      if (a != c.meta.annotations.end() && a->second == "true") defaults.push_back(&c);
    }
    if (defaults.size() == 1) {
      default_class_controller = defaults.front()->controller;
    } else if (defaults.size() > 1) {
      std::string names;
      for (const auto* c : defaults) names += (names.empty() ? "" : ", ") + c->meta.name;
      class_diagnostics.push_back(Diagnostic{
          Severity::kWarning, defaults.front()->meta.origin, "IngressClass", "", "",
          std::string("metadata.annotations[") + kDefaultClassAnnotation + "]",
          "more than one IngressClass is marked default (" + names + "): none is used as default"});
    }
  }

  static void warn(Diagnostics& out, const Ingress& ingress, std::string field,
                   std::string message) {
    out.push_back(Diagnostic{Severity::kWarning, ingress.meta.origin, "Ingress",
                             ingress.meta.namespace_, ingress.meta.name, std::move(field),
                             std::move(message)});
  }

  // SPEC.md §1: ingressClassName, else the legacy annotation, else the default class, else
  // --watch-ingress-without-class.
  bool is_ours(const Ingress& ingress, Diagnostics& out) const {
    if (ingress.ingress_class_name) {
      const std::string& name = *ingress.ingress_class_name;
      auto c = class_controllers.find(name);
      if (c == class_controllers.end()) {
        if (name == options.ingress_class)
          warn(out, ingress, "spec.ingressClassName",
               "IngressClass " + name + " does not exist; create it with spec.controller: " +
                   options.controller + " to serve this Ingress");
        else
          warn(out, ingress, "spec.ingressClassName",
               "IngressClass " + name + " does not exist: the Ingress is not served");
        return false;
      }
      return c->second == options.controller;
    }
    auto legacy = ingress.meta.annotations.find(kLegacyClassAnnotation);
    if (legacy != ingress.meta.annotations.end()) return legacy->second == options.ingress_class;
    if (default_class_controller) return *default_class_controller == options.controller;
    return options.watch_ingress_without_class;
  }

  // Reports the annotations of other controllers this Ingress carries (annotations.h); false
  // when one of them, missing, would expose what it protects and the policy is to refuse.
  bool annotations_allow(const Ingress& ingress, Diagnostics& out) const {
    bool allow = true;
    for (const UnsupportedAnnotation& a : unsupported_annotations(ingress.meta.annotations)) {
      const std::string field = "metadata.annotations[" + a.key + "]";
      if (!a.exposing) {
        warn(out, ingress, field, "not implemented by gatehouse: ignored");
      } else if (options.unsupported_annotations == UnsupportedAnnotations::kWarn) {
        warn(out, ingress, field,
             "not implemented by gatehouse: served WITHOUT " + std::string(a.why) +
                 " (--unsupported-annotations=warn)");
      } else {
        out.push_back(Diagnostic{Severity::kError, ingress.meta.origin, "Ingress",
                                 ingress.meta.namespace_, ingress.meta.name, field,
                                 "not implemented by gatehouse, and serving the Ingress without " +
                                     std::string(a.why) +
                                     " would expose it: the Ingress is not served "
                                     "(--unsupported-annotations=warn serves it anyway)"});
        allow = false;
      }
    }
    return allow;
  }

  // ---- clusters

  // Keyed "ns/service/#number" or "ns/service/name" (namespace and service names hold no '/';
  // a port name "80" is not port 80), or "ns//kind/group/name" for a resource; built in a
  // reused buffer, since this runs once per path.
  void make_key(const std::string& ns, const model::IngressBackend& backend) {
    key.assign(ns).append(1, '/');
    if (backend.service) {
      const auto& s = *backend.service;
      key.append(s.name).append(1, '/');
      if (s.port.name.empty())
        key.append(1, '#').append(std::to_string(s.port.number));
      else
        key.append(s.port.name);
    } else {
      const auto& r = *backend.resource;
      key.append("/").append(r.kind).append(1, '/').append(r.api_group).append(1, '/').append(
          r.name);
    }
  }

  Cluster resolve(const ClusterSlot& slot) const {
    if (!slot.backend.service) return resolve_resource(slot.service.first, *slot.backend.resource);
    const std::string& ns = slot.service.first;
    const model::Service* service = service_objects.find(ns, slot.service.second);
    std::vector<const model::EndpointSlice*> slices;
    auto names = slices_of_service.find(slot.service);
    if (names != slices_of_service.end())
      for (const std::string& name : names->second)
        if (const auto* s = slice_objects.find(ns, name)) slices.push_back(s);
    return resolve_service(ns, *slot.backend.service, slot.port_label, service, slices);
  }

  // The cluster for `backend` of namespace `ns`, resolved on first use. The caller records who
  // holds it (hosts, defaults_of, pinned) before anything calls release().
  std::uint32_t acquire(const std::string& ns, const model::IngressBackend& backend) {
    make_key(ns, backend);
    auto found = cluster_ids.find(key);
    if (found != cluster_ids.end()) return found->second;
    std::uint32_t id;
    if (!free_clusters.empty()) {
      id = free_clusters.back();
      free_clusters.pop_back();
    } else {
      id = static_cast<std::uint32_t>(clusters.size());
      clusters.emplace_back();
    }
    ClusterSlot& slot = clusters[id];
    slot.key = key;
    slot.backend = backend;
    if (backend.service) {
      slot.service = {ns, backend.service->name};
      const auto& port = backend.service->port;
      slot.port_label = port.name.empty() ? std::to_string(port.number) : port.name;
      clusters_of_service[slot.service].insert(id);
    } else {
      slot.service = {ns, ""};
    }
    slot.cluster = std::make_shared<const Cluster>(resolve(slot));
    cluster_ids.emplace(key, id);
    return id;
  }

  // Frees cluster `id` once nothing holds it.
  void release(std::uint32_t id) {
    ClusterSlot& slot = clusters[id];
    if (!slot.hosts.empty() || !slot.defaults_of.empty() || slot.pinned) return;
    cluster_ids.erase(slot.key);
    if (slot.backend.service) {
      auto it = clusters_of_service.find(slot.service);
      it->second.erase(id);
      if (it->second.empty()) clusters_of_service.erase(it);
    }
    slot = ClusterSlot{};
    free_clusters.push_back(id);
  }

  // Resolves the clusters of a changed Service again. A cluster whose status changed makes its
  // holders compile again (their diagnostics name it); one whose endpoints alone changed is
  // swapped in place: the HostTables name clusters by id.
  void refresh_service(const Name& service, std::set<std::string>& dirty_hosts,
                       std::set<Name>& changed_ingresses) {
    auto ids = clusters_of_service.find(service);
    if (ids == clusters_of_service.end()) return;
    for (std::uint32_t id : ids->second) {
      ClusterSlot& slot = clusters[id];
      Cluster now = resolve(slot);
      if (now == *slot.cluster) continue;
      if (now.status != slot.cluster->status || now.detail != slot.cluster->detail) {
        for (const std::string* host : slot.hosts) dirty_hosts.insert(*host);
        changed_ingresses.insert(slot.defaults_of.begin(), slot.defaults_of.end());
      }
      slot.cluster = std::make_shared<const Cluster>(std::move(now));
    }
  }

  // Moves EndpointSlice `slice` in the Service index; returns the Services it left and joined.
  void index_slice(const Name& slice, std::set<Name>& dirty_services) {
    auto old = service_of_slice.find(slice);
    if (old != service_of_slice.end()) {
      Name service{slice.first, old->second};
      dirty_services.insert(service);
      auto names = slices_of_service.find(service);
      names->second.erase(slice.second);
      if (names->second.empty()) slices_of_service.erase(names);
      service_of_slice.erase(old);
    }
    const auto* now = slice_objects.find(slice.first, slice.second);
    if (!now) return;
    auto label = now->meta.labels.find(model::kServiceNameLabel);
    if (label == now->meta.labels.end()) return;
    Name service{slice.first, label->second};
    dirty_services.insert(service);
    slices_of_service[service].insert(slice.second);
    service_of_slice.emplace(slice, label->second);
  }

  // ---- Ingresses

  // Forgets what Ingress `name` contributed and reads it again (if it still exists); every host
  // it named before or names now goes to `dirty_hosts`.
  void refresh_ingress(const Name& name, std::set<std::string>& dirty_hosts) {
    auto old = ingresses.find(name);
    if (old != ingresses.end()) {
      for (const std::string& host : old->second.hosts) {
        hosts[host].ingresses.erase(name);
        dirty_hosts.insert(host);
      }
      global_default_candidates.erase(age_of(name, old->second.created));
      const std::uint32_t cluster = old->second.default_cluster;
      ingresses.erase(old);
      if (cluster != kNone) {
        clusters[cluster].defaults_of.erase(name);
        release(cluster);
      }
    }
    ingress_diagnostics.erase(name);

    refused.erase(name);
    const Ingress* ingress = ingress_objects.find(name.first, name.second);
    if (!ingress) return;
    Diagnostics diagnostics;
    const bool ours = is_ours(*ingress, diagnostics);
    if (ours && !annotations_allow(*ingress, diagnostics)) {
      refused.insert(name);  // its paths answer as if it did not exist
    } else if (ours) {
      IngressInfo info;
      info.created = created_of(*ingress);
      bool named_host = false;
      for (const auto& rule : ingress->rules) {
        named_host |= !rule.host.empty();
        // A host without http claims it too; a host-less rule without paths creates nothing.
        if (rule.host.empty() && rule.paths.empty()) continue;
        info.hosts.push_back(rule.host);
      }
      std::sort(info.hosts.begin(), info.hosts.end());
      info.hosts.erase(std::unique(info.hosts.begin(), info.hosts.end()), info.hosts.end());
      for (const std::string& host : info.hosts) {
        hosts[host].ingresses.insert(name);
        dirty_hosts.insert(host);
      }
      // SPEC.md §6: a host's default is the defaultBackend of the oldest Ingress naming that
      // host; the global default is that of the oldest Ingress without rules.
      if (ingress->default_backend) {
        info.default_cluster = acquire(ingress->meta.namespace_, *ingress->default_backend);
        clusters[info.default_cluster].defaults_of.insert(name);
        report_cluster(diagnostics, *ingress, info.default_cluster, "spec.defaultBackend");
        if (ingress->rules.empty())
          global_default_candidates.emplace(age_of(name, info.created), name);
        else if (!named_host)
          warn(diagnostics, *ingress, "spec.defaultBackend",
               "an Ingress whose rules name no host does not set the default for other hosts; "
               "put the defaultBackend in an Ingress without rules");
      }
      ingresses.emplace(name, std::move(info));
    }
    if (!diagnostics.empty()) ingress_diagnostics.emplace(name, std::move(diagnostics));
  }

  void report_cluster(Diagnostics& out, const Ingress& ingress, std::uint32_t id,
                      std::string field) const {
    const Cluster& c = *clusters[id].cluster;
    if (c.status != ClusterStatus::kReady)
      warn(out, ingress, std::move(field), c.detail + "; requests for it answer 503");
  }

  // ---- hosts

  // Compiles host `host` again from the Ingresses that name it, or drops it when none does.
  void rebuild_host(const std::string& host) {
    auto it = hosts.find(host);
    if (it == hosts.end()) return;
    HostInfo& info = it->second;
    std::vector<std::uint32_t> old_clusters = std::move(info.clusters);
    info.clusters.clear();
    const std::string* host_key = &it->first;  // stable while the host exists
    for (std::uint32_t id : old_clusters) clusters[id].hosts.erase(host_key);

    if (info.ingresses.empty()) {
      hosts.erase(it);
      for (std::uint32_t id : old_clusters) release(id);
      return;
    }

    // Precedence order: oldest Ingress first (SPEC.md §5.2).
    std::vector<std::pair<Age, const Ingress*>> sources;
    sources.reserve(info.ingresses.size());
    std::size_t routes = 0, path_bytes = 0;
    for (const Name& name : info.ingresses) {
      const Ingress* ingress = ingress_objects.find(name.first, name.second);
      if (!ingress)
        throw std::logic_error("compile: Ingress " + name.first + "/" + name.second +
                               " is gone but was not named as changed");
      sources.emplace_back(age_of(name, ingresses.at(name).created), ingress);
      for (const auto& rule : ingress->rules)
        if (rule.host == host)
          for (const auto& p : rule.paths) {
            ++routes;
            path_bytes += p.path.size() + 1;
          }
    }
    std::sort(sources.begin(), sources.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });

    TableBuilder builder(host);
    builder.reserve(routes, path_bytes);
    Diagnostics diagnostics;
    std::optional<HostOrder> order;
    std::uint32_t last_cluster = kNone;  // consecutive paths mostly name the same backend
    const model::IngressBackend* last_backend = nullptr;
    for (const auto& [age, ingress] : sources) {
      const IngressRef ref{ingress->meta.namespace_, ingress->meta.name};
      std::uint32_t ref_index = kNone;
      last_backend = nullptr;  // the memo is per namespace
      for (std::size_t i = 0; i < ingress->rules.size(); ++i) {
        const model::IngressRule& rule = ingress->rules[i];
        if (rule.host != host || (host.empty() && rule.paths.empty())) continue;
        if (!order) order = HostOrder{age, static_cast<std::uint32_t>(i)};
        for (std::size_t j = 0; j < rule.paths.size(); ++j) {
          const model::HTTPIngressPath& p = rule.paths[j];
          Route route;
          std::string route_path = p.path.empty() ? "/" : p.path;
          route.path_type = p.path_type;
          if (!last_backend || !same_backend(*last_backend, p.backend)) {
            last_cluster = acquire(ref.namespace_, p.backend);
            info.clusters.push_back(last_cluster);
          }
          last_backend = &p.backend;
          route.cluster = last_cluster;
          if (ref_index == kNone) ref_index = builder.add_ingress(ref);
          route.ingress = ref_index;
          route.rule_index = static_cast<std::uint32_t>(i);
          route.path_index = static_cast<std::uint32_t>(j);
          const std::uint32_t shadowed_by = builder.add_route(route, std::move(route_path));
          const Route& added = builder.table().routes().back();
          if (shadowed_by != kNone) {
            const Route& winner = builder.table().routes()[shadowed_by];
            warn(diagnostics, *ingress, field_of_path(i, j),
                 "host " + (host.empty() ? std::string("(any)") : host) + " path " + builder.path(added.id) +
                     " is already defined by " +
                     field_of_path(winner.rule_index, winner.path_index) + " of Ingress " +
                     builder.table().ingress_of(winner).namespace_ + "/" +
                     builder.table().ingress_of(winner).name +
                     " (older, or first by namespace/name); this path is ignored");
          } else {
            report_cluster(diagnostics, *ingress, added.cluster, field_of_path(i, j) + ".backend");
          }
        }
      }
    }
    for (const auto& [age, ingress] : sources) {
      const std::uint32_t cluster =
          ingresses.at(name_of(*ingress)).default_cluster;
      if (cluster == kNone || host.empty()) continue;
      if (builder.set_default(cluster, IngressRef{ingress->meta.namespace_, ingress->meta.name}))
        info.clusters.push_back(cluster);
    }

    std::sort(info.clusters.begin(), info.clusters.end());
    info.clusters.erase(std::unique(info.clusters.begin(), info.clusters.end()),
                        info.clusters.end());
    for (std::uint32_t id : info.clusters) clusters[id].hosts.insert(host_key);
    for (std::uint32_t id : old_clusters) release(id);
    info.table = builder.finish();
    info.diagnostics = std::move(diagnostics);
    // Both hold unless `changes` missed an object (the caller's contract): fail loudly then.
    if (!order) throw std::logic_error("compile: host " + host + " has no rule");
    auto placed = host_order.emplace(std::move(*order), &*it);
    if (!placed.second)
      throw std::logic_error("compile: host " + host + " lost its place; changes were incomplete");
    info.place = placed.first;
  }

  static bool same_backend(const model::IngressBackend& a, const model::IngressBackend& b) {
    if (!a.service || !b.service) return false;
    return a.service->name == b.service->name && a.service->port.number == b.service->port.number &&
           a.service->port.name == b.service->port.name;
  }
};

Compiler::Compiler(CompileOptions options) : state_(std::make_unique<State>(std::move(options))) {}
Compiler::~Compiler() = default;
Compiler::Compiler(Compiler&&) noexcept = default;
Compiler& Compiler::operator=(Compiler&&) noexcept = default;

Compiled Compiler::compile(const model::Objects& objects, const model::ObjectChanges& changes) {
  bool everything = changes.all || !state_->initialized;
  for (const model::ObjectKey& key : changes.keys)
    everything |= key.kind == model::Kind::kIngressClass;

  if (everything) state_ = std::make_unique<State>(std::move(state_->options));
  State& s = *state_;
  s.objects = &objects;
  // Lookups are binary searches; compiling everything accepts objects in any order.
  s.ingress_objects.reset(&objects.ingresses, everything);
  s.service_objects.reset(&objects.services, everything);
  s.slice_objects.reset(&objects.endpoint_slices, everything);
  struct Clear {
    State& s;
    ~Clear() {
      s.objects = nullptr;
      s.ingress_objects.reset(nullptr, false);
      s.service_objects.reset(nullptr, false);
      s.slice_objects.reset(nullptr, false);
    }
  } clear{s};

  std::set<Name> changed_ingresses;
  std::set<std::string> dirty_hosts;
  std::set<Name> dirty_services;
  if (everything) {
    s.load_classes();
    s.slice_objects.for_each(
        [&](const model::EndpointSlice& slice) { s.index_slice(name_of(slice), dirty_services); });
    s.ingress_objects.for_each(
        [&](const Ingress& ingress) { changed_ingresses.insert(name_of(ingress)); });
    if (s.options.default_backend) {
      const ServiceRef& ref = *s.options.default_backend;
      model::IngressBackend backend;
      backend.service = model::IngressServiceBackend{ref.service, {}};
      if (all_digits(ref.port))
        backend.service->port.number = std::stoi(ref.port.substr(0, 6));
      else
        backend.service->port.name = ref.port;
      s.option_default = s.acquire(ref.namespace_, backend);
      s.clusters[s.option_default].pinned = true;
    }
    s.initialized = true;
  } else {
    for (const model::ObjectKey& key : changes.keys) {
      Name name{key.namespace_, key.name};
      switch (key.kind) {
        case model::Kind::kIngress:
          changed_ingresses.insert(std::move(name));
          break;
        case model::Kind::kService:
          dirty_services.insert(std::move(name));
          break;
        case model::Kind::kEndpointSlice:
          s.index_slice(name, dirty_services);
          break;
        case model::Kind::kIngressClass:  // handled above: compiles everything
        case model::Kind::kSecret:        // not used for routing
          break;
      }
    }
    for (const Name& service : dirty_services)
      s.refresh_service(service, dirty_hosts, changed_ingresses);
  }
  for (const Name& name : changed_ingresses) s.refresh_ingress(name, dirty_hosts);
  // Two hosts may swap places (an Ingress's rules reordered): free every place first.
  for (const std::string& host : dirty_hosts) {
    auto it = s.hosts.find(host);
    if (it == s.hosts.end() || !it->second.place) continue;
    s.host_order.erase(*it->second.place);
    it->second.place.reset();
  }
  for (const std::string& host : dirty_hosts) s.rebuild_host(host);

  auto table = std::make_unique<RouteTable>();
  Diagnostics diagnostics;
  assemble(*table, diagnostics);
  return Compiled{std::shared_ptr<const RouteTable>(std::move(table)), std::move(diagnostics)};
}

// The RouteTable over the current HostTables, and every diagnostic, in a fixed order: classes,
// Ingresses (by namespace/name), hosts (in table order), the default backend.
bool Compiler::owns(const std::string& namespace_, const std::string& name) const {
  return state_->ingresses.count(Name(namespace_, name)) > 0;
}

bool Compiler::refused(const std::string& namespace_, const std::string& name) const {
  return state_->refused.count(Name(namespace_, name)) > 0;
}

bool Compiler::would_own(const model::Ingress& ingress) const {
  Diagnostics ignored;
  return state_->is_ours(ingress, ignored);
}

void Compiler::assemble(RouteTable& t, Diagnostics& diagnostics) {
  State& s = *state_;
  diagnostics = s.class_diagnostics;
  for (const auto& [name, list] : s.ingress_diagnostics)
    diagnostics.insert(diagnostics.end(), list.begin(), list.end());

  t.hosts_.reserve(s.host_order.size());
  t.route_base_.reserve(s.host_order.size());
  for (const auto& [order, entry] : s.host_order) {
    const std::string& host = entry->first;
    const State::HostInfo& info = entry->second;
    const auto index = static_cast<std::uint32_t>(t.hosts_.size());
    if (host.empty())
      t.any_host_ = index;
    else if (host.starts_with("*."))
      t.wildcard_hosts_.insert(0, std::string_view(host).substr(2), index);
    else
      t.exact_hosts_.insert(0, host, index);
    t.route_base_.push_back(static_cast<std::uint32_t>(t.route_count_));
    t.route_count_ += info.table->routes().size();
    t.hosts_.push_back(info.table);
    diagnostics.insert(diagnostics.end(), info.diagnostics.begin(), info.diagnostics.end());
  }

  t.clusters_.reserve(s.clusters.size());
  for (const auto& slot : s.clusters) t.clusters_.push_back(slot.cluster);

  const Name* global_from = nullptr;
  for (const auto& [age, name] : s.global_default_candidates) {
    if (!global_from) {
      global_from = &name;
      t.default_cluster_ = s.ingresses.at(name).default_cluster;
      t.default_from_ = IngressRef{name.first, name.second};
      continue;
    }
    const Ingress* ingress = s.ingress_objects.find(name.first, name.second);
    if (!ingress)
      throw std::logic_error("compile: Ingress " + name.first + "/" + name.second +
                             " is gone but was not named as changed");
    State::warn(diagnostics, *ingress, "spec.defaultBackend",
                "the default backend for unmatched hosts is already set by the older Ingress " +
                    global_from->first + "/" + global_from->second + "; this one is not used");
  }
  if (!global_from && s.option_default != kNone) {
    const Cluster& c = *s.clusters[s.option_default].cluster;
    if (c.status != ClusterStatus::kReady)
      diagnostics.push_back(Diagnostic::about_option(Severity::kWarning, "--default-backend",
                                                     c.detail + "; unmatched requests answer 503"));
    t.default_cluster_ = s.option_default;
  }
}

Result<ServiceRef> parse_service_ref(std::string_view text) {
  std::size_t slash = text.find('/');
  std::size_t colon = text.rfind(':');
  if (slash == std::string_view::npos || colon == std::string_view::npos || colon < slash ||
      slash == 0 || colon == slash + 1 || colon + 1 == text.size())
    return Error::invalid("expected NAMESPACE/SERVICE:PORT, got \"" + std::string(text) + "\"");
  ServiceRef ref{std::string(text.substr(0, slash)),
                 std::string(text.substr(slash + 1, colon - slash - 1)),
                 std::string(text.substr(colon + 1))};
  if (all_digits(ref.port) && (ref.port.size() > 5 || std::stoi(ref.port) < 1 ||
                               std::stoi(ref.port) > 65535))
    return Error::invalid("port " + ref.port + " is not in 1-65535");
  return ref;
}

Compiled compile(const model::Objects& objects, const CompileOptions& options) {
  return Compiler(options).compile(objects, model::ObjectChanges::everything());
}

}  // namespace gatehouse::routing
