#include "routing/compile.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "routing/table_builder.h"

namespace gatehouse::routing {

namespace {

using model::Diagnostic;
using model::Diagnostics;
using model::Ingress;
using model::Severity;

using NamespacedName = std::pair<std::string, std::string>;

// Oldest first; a missing creationTimestamp (files) counts as newer than any real one; ties by
// namespace/name (SPEC.md §5.2).
bool older(const Ingress* a, const Ingress* b) {
  const auto& ta = a->meta.creation_timestamp;
  const auto& tb = b->meta.creation_timestamp;
  return std::forward_as_tuple(!ta.has_value(), ta.value_or(0), a->meta.namespace_,
                               a->meta.name) <
         std::forward_as_tuple(!tb.has_value(), tb.value_or(0), b->meta.namespace_,
                               b->meta.name);
}

std::string field_of_path(std::size_t rule, std::size_t path) {
  return "spec.rules[" + std::to_string(rule) + "].http.paths[" + std::to_string(path) + "]";
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

class Compiler {
 public:
  Compiler(const model::Objects& objects, const CompileOptions& options)
      : objects_(objects), options_(options) {
    for (const auto& s : objects.services) services_[{s.meta.namespace_, s.meta.name}] = &s;
    for (const auto& slice : objects.endpoint_slices) {
      auto label = slice.meta.labels.find(model::kServiceNameLabel);
      if (label != slice.meta.labels.end())
        slices_[{slice.meta.namespace_, label->second}].push_back(&slice);
    }
    for (auto& [key, list] : slices_)
      std::sort(list.begin(), list.end(),
                [](auto* a, auto* b) { return a->meta.name < b->meta.name; });
    for (const auto& c : objects.ingress_classes) classes_[c.meta.name] = &c;
  }

  Compiled run() {
    find_default_class();
    std::vector<const Ingress*> ours;
    for (const auto& ingress : objects_.ingresses)
      if (is_ours(ingress)) ours.push_back(&ingress);
    std::sort(ours.begin(), ours.end(), older);

    std::size_t paths = 0, path_bytes = 0;
    for (const Ingress* ingress : ours)
      for (const auto& rule : ingress->rules)
        for (const auto& p : rule.paths) {
          ++paths;
          path_bytes += p.path.size();
        }
    builder_.reserve(paths, path_bytes);
    for (const Ingress* ingress : ours) add_rules(*ingress);
    for (const Ingress* ingress : ours) add_defaults(*ingress);
    if (!global_default_from_ && options_.default_backend) {
      const ServiceRef& ref = *options_.default_backend;
      model::IngressServiceBackend backend{ref.service, {}};
      if (all_digits(ref.port))
        backend.port.number = std::stoi(ref.port.substr(0, 6));
      else
        backend.port.name = ref.port;
      std::uint32_t cluster = cluster_for(ref.namespace_, backend);
      const Cluster& c = builder_.table().clusters()[cluster];
      if (c.status != ClusterStatus::kReady)
        diagnostics_.push_back(Diagnostic{Severity::kWarning, {}, "", "", "", "--default-backend",
                                          c.detail + "; unmatched requests answer 503"});
      builder_.set_default(cluster, std::nullopt);
    }
    return Compiled{builder_.finish(), std::move(diagnostics_)};
  }

 private:
  void warn(const Ingress& ingress, std::string field, std::string message) {
    diagnostics_.push_back(Diagnostic{Severity::kWarning, ingress.meta.origin, "Ingress",
                                      ingress.meta.namespace_, ingress.meta.name, std::move(field),
                                      std::move(message)});
  }

  void find_default_class() {
    std::vector<const model::IngressClass*> defaults;
    for (const auto& [name, c] : classes_) {
      auto a = c->meta.annotations.find(kDefaultClassAnnotation);
      if (a != c->meta.annotations.end() && a->second == "true") defaults.push_back(c);
    }
    if (defaults.size() == 1) {
      default_class_ = defaults.front();
    } else if (defaults.size() > 1) {
      std::string names;
      for (const auto* c : defaults) names += (names.empty() ? "" : ", ") + c->meta.name;
      diagnostics_.push_back(Diagnostic{
          Severity::kWarning, defaults.front()->meta.origin, "IngressClass", "", "",
          std::string("metadata.annotations[") + kDefaultClassAnnotation + "]",
          "more than one IngressClass is marked default (" + names + "): none is used as default"});
    }
  }

  // SPEC.md §1: ingressClassName, else the legacy annotation, else the default class, else
  // --watch-ingress-without-class.
  bool is_ours(const Ingress& ingress) {
    if (ingress.ingress_class_name) {
      auto c = classes_.find(*ingress.ingress_class_name);
      if (c == classes_.end()) {
        if (*ingress.ingress_class_name == options_.ingress_class)
          warn(ingress, "spec.ingressClassName",
               "IngressClass " + *ingress.ingress_class_name +
                   " does not exist; create it with spec.controller: " + options_.controller +
                   " to serve this Ingress");
        else
          warn(ingress, "spec.ingressClassName",
               "IngressClass " + *ingress.ingress_class_name +
                   " does not exist: the Ingress is not served");
        return false;
      }
      return c->second->controller == options_.controller;
    }
    auto legacy = ingress.meta.annotations.find(kLegacyClassAnnotation);
    if (legacy != ingress.meta.annotations.end()) return legacy->second == options_.ingress_class;
    if (default_class_) return default_class_->controller == options_.controller;
    return options_.watch_ingress_without_class;
  }

  // The cluster for a Service backend of `ns`, built once per (namespace, service, port).
  std::uint32_t cluster_for(const std::string& ns, const model::IngressServiceBackend& backend) {
    // Consecutive paths mostly name the same backend.
    if (last_cluster_ != kNone && last_backend_ns_ == ns && last_backend_.name == backend.name &&
        last_backend_.port.number == backend.port.number &&
        last_backend_.port.name == backend.port.name)
      return last_cluster_;
    last_backend_ns_ = ns;
    last_backend_ = backend;
    last_cluster_ = cluster_id(ns, backend);
    return last_cluster_;
  }

  std::uint32_t cluster_id(const std::string& ns, const model::IngressServiceBackend& backend) {
    // Keyed "ns/service/port" (namespace and service names hold no '/'), built in a reused
    // buffer: this runs once per path, a hundred thousand times for a large table.
    key_.assign(ns).append(1, '/').append(backend.name).append(1, '/');
    if (backend.port.name.empty())
      key_.append(std::to_string(backend.port.number));
    else
      key_.append(backend.port.name);
    auto found = cluster_ids_.find(key_);
    if (found != cluster_ids_.end()) return found->second;
    const std::string port = key_.substr(ns.size() + backend.name.size() + 2);
    std::uint32_t id = builder_.add_cluster(resolve(ns, backend, port));
    cluster_ids_.emplace(key_, id);
    return id;
  }

  std::uint32_t cluster_for(const std::string& ns, const model::IngressBackend& backend) {
    if (backend.service) return cluster_for(ns, *backend.service);
    const auto& r = *backend.resource;
    Cluster c;
    c.namespace_ = ns;
    c.service = r.kind + "/" + r.name;
    c.status = ClusterStatus::kResource;
    c.detail = "resource backend " + (r.api_group.empty() ? "" : r.api_group + "/") + r.kind +
               " " + r.name + " is not supported";
    return builder_.add_cluster(std::move(c));
  }

  // SPEC.md §7: Service port by number or name, then the EndpointSlices labelled with the
  // Service's name, the slice port named like the Service port, ready endpoints only.
  Cluster resolve(const std::string& ns, const model::IngressServiceBackend& backend,
                  const std::string& port_label) {
    Cluster c;
    c.namespace_ = ns;
    c.service = backend.name;
    c.port = port_label;
    const std::string service_ref = "Service " + ns + "/" + backend.name;
    auto s = services_.find({ns, backend.name});
    if (s == services_.end()) {
      c.status = ClusterStatus::kNoService;
      c.detail = service_ref + " not found";
      return c;
    }
    const model::Service& service = *s->second;
    if (service.type == "ExternalName") {
      c.status = ClusterStatus::kExternalName;
      c.detail = service_ref + " is of type ExternalName (" + service.external_name +
                 "), which is never proxied";
      return c;
    }
    const model::ServicePort* port = nullptr;
    for (const auto& p : service.ports) {
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
    auto slices = slices_.find({ns, backend.name});
    if (slices != slices_.end()) {
      for (const model::EndpointSlice* slice : slices->second) {
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
    }
    if (c.endpoints.empty()) {
      c.status = ClusterStatus::kNoEndpoints;
      c.detail = service_ref + " port " + port_label + " has no ready endpoints";
    } else {
      c.status = ClusterStatus::kReady;
    }
    return c;
  }

  void report_cluster(const Ingress& ingress, std::uint32_t cluster, std::string field) {
    const Cluster& c = builder_.table().clusters()[cluster];
    if (c.status != ClusterStatus::kReady)
      warn(ingress, std::move(field), c.detail + "; requests for it answer 503");
  }

  void add_rules(const Ingress& ingress) {
    const IngressRef ref{ingress.meta.namespace_, ingress.meta.name};
    const std::string& ns = ingress.meta.namespace_;
    for (std::size_t i = 0; i < ingress.rules.size(); ++i) {
      const model::IngressRule& rule = ingress.rules[i];
      // A host without http claims it too; a host-less rule without paths creates nothing.
      if (rule.host.empty() && rule.paths.empty()) continue;
      const std::uint32_t host = builder_.host_entry(rule.host);
      for (std::size_t j = 0; j < rule.paths.size(); ++j) {
        const model::HTTPIngressPath& p = rule.paths[j];
        Route route;
        route.host = rule.host;
        route.path = p.path.empty() ? "/" : p.path;
        route.path_type = p.path_type;
        route.cluster = cluster_for(ns, p.backend);
        route.ingress = ref;
        route.rule_index = static_cast<std::uint32_t>(i);
        route.path_index = static_cast<std::uint32_t>(j);
        std::uint32_t shadowed_by = builder_.add_route(std::move(route), host);
        const Route& added = builder_.table().routes().back();
        if (shadowed_by != kNone) {
          const Route& winner = builder_.table().routes()[shadowed_by];
          warn(ingress, field_of_path(i, j),
               "host " + (rule.host.empty() ? std::string("(any)") : rule.host) + " path " +
                   added.path + " is already defined by " + winner.name() + " of Ingress " +
                   winner.ingress.namespace_ + "/" + winner.ingress.name +
                   " (older, or first by namespace/name); this path is ignored");
        } else {
          if (builder_.table().clusters()[added.cluster].status != ClusterStatus::kReady)
            report_cluster(ingress, added.cluster, field_of_path(i, j) + ".backend");
        }
      }
    }
  }

  // SPEC.md §6: a host's default is the defaultBackend of the oldest Ingress naming that host;
  // the global default is that of the oldest Ingress without rules.
  void add_defaults(const Ingress& ingress) {
    if (!ingress.default_backend) return;
    const IngressRef ref{ingress.meta.namespace_, ingress.meta.name};
    std::uint32_t cluster = cluster_for(ingress.meta.namespace_, *ingress.default_backend);
    report_cluster(ingress, cluster, "spec.defaultBackend");
    if (ingress.rules.empty()) {
      if (global_default_from_) {
        warn(ingress, "spec.defaultBackend",
             "the default backend for unmatched hosts is already set by the older Ingress " +
                 global_default_from_->namespace_ + "/" + global_default_from_->name +
                 "; this one is not used");
        return;
      }
      global_default_from_ = ref;
      builder_.set_default(cluster, ref);
      return;
    }
    std::set<std::string> hosts;
    for (const auto& rule : ingress.rules)
      if (!rule.host.empty()) hosts.insert(rule.host);
    if (hosts.empty())
      warn(ingress, "spec.defaultBackend",
           "an Ingress whose rules name no host does not set the default for other hosts; "
           "put the defaultBackend in an Ingress without rules");
    for (const std::string& host : hosts)
      builder_.set_host_default(builder_.host_entry(host), cluster, ref);
  }

  const model::Objects& objects_;
  const CompileOptions& options_;
  Diagnostics diagnostics_;
  TableBuilder builder_;
  std::map<NamespacedName, const model::Service*> services_;
  std::map<NamespacedName, std::vector<const model::EndpointSlice*>> slices_;
  std::map<std::string, const model::IngressClass*> classes_;
  const model::IngressClass* default_class_ = nullptr;
  std::unordered_map<std::string, std::uint32_t> cluster_ids_;  // "ns/service/port" → cluster
  std::string key_;
  std::string last_backend_ns_;  // the last Service backend cluster_for resolved, and its cluster
  model::IngressServiceBackend last_backend_;
  std::uint32_t last_cluster_ = kNone;
  std::optional<IngressRef> global_default_from_;
};

}  // namespace

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
  return Compiler(objects, options).run();
}

}  // namespace gatehouse::routing
