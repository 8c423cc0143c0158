#include "model/decode.h"

#include <array>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>
#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "base/strings.h"
#include "base/base64.h"
#include "model/decode_fields.h"
#include "model/validate.h"
#include "model/yaml_to_json.h"

namespace gatehouse::model {
namespace json = boost::json;
using detail::child_path;
using detail::FieldReader;
using detail::item_path;
using detail::key_path;
using detail::member;

namespace {

constexpr std::size_t kMaxJsonDepth = 64;

struct KindInfo {
  std::string_view kind;
  std::string_view api_version;
  bool namespaced;
};

constexpr std::array<KindInfo, 5> kKinds = {{
    {"Ingress", "networking.k8s.io/v1", true},
    {"IngressClass", "networking.k8s.io/v1", false},
    {"Service", "v1", true},
    {"Secret", "v1", true},
    {"EndpointSlice", "discovery.k8s.io/v1", true},
}};

const KindInfo* find_kind(std::string_view kind) {
  for (const auto& k : kKinds)
    if (k.kind == kind) return &k;
  return nullptr;
}

// kind/apiVersion for List items that omit them: an "IngressList" from an API server carries
// them once for all its items.
struct ItemDefaults {
  std::string kind;
  std::string api_version;
};

// ---- metadata ------------------------------------------------------------------------------

void decode_meta(FieldReader& r, const json::object& object, const KindInfo& info,
                 const Origin& origin, ObjectMeta& meta) {
  meta.origin = origin;
  meta.namespace_ = info.namespaced ? "default" : "";
  const json::object* m = r.object(object, "metadata", "");
  if (!m) {
    if (!member(object, "metadata")) r.error("metadata.name", "required");
    return;
  }
  const std::string path = "metadata";
  meta.name = r.string(*m, "name", path).value_or("");
  if (meta.name.empty() && !r.failed()) r.error("metadata.name", "required");
  if (info.namespaced) {
    std::string ns = r.string(*m, "namespace", path).value_or("");
    if (!ns.empty()) meta.namespace_ = std::move(ns);
  }
  meta.labels = r.string_map(*m, "labels", path);
  meta.annotations = r.string_map(*m, "annotations", path);
  if (auto ts = r.string(*m, "creationTimestamp", path)) {
    meta.creation_timestamp = detail::parse_rfc3339(*ts);
    if (!meta.creation_timestamp)
      r.error("metadata.creationTimestamp",
              "must be an RFC 3339 time like 2024-01-02T03:04:05Z, got " + quoted(*ts));
  }
  meta.resource_version = r.string(*m, "resourceVersion", path).value_or("");
  meta.uid = r.string(*m, "uid", path).value_or("");
}

// ---- networking.k8s.io/v1 ------------------------------------------------------------------

IngressBackend decode_backend(FieldReader& r, const json::object& b, const std::string& path) {
  IngressBackend out;
  if (const json::object* s = r.object(b, "service", path)) {
    const std::string service_path = child_path(path, "service");
    IngressServiceBackend service;
    service.name = r.string(*s, "name", service_path).value_or("");
    if (const json::object* p = r.object(*s, "port", service_path)) {
      const std::string port_path = child_path(service_path, "port");
      service.port.name = r.string(*p, "name", port_path).value_or("");
      service.port.number = r.int32(*p, "number", port_path).value_or(0);
    }
    out.service = std::move(service);
  }
  if (const json::object* res = r.object(b, "resource", path)) {
    const std::string resource_path = child_path(path, "resource");
    TypedLocalObjectReference ref;
    ref.api_group = r.string(*res, "apiGroup", resource_path).value_or("");
    ref.kind = r.string(*res, "kind", resource_path).value_or("");
    ref.name = r.string(*res, "name", resource_path).value_or("");
    out.resource = std::make_shared<const TypedLocalObjectReference>(std::move(ref));
  }
  return out;
}

std::optional<PathType> parse_path_type(std::string_view s) {
  if (s == "Exact") return PathType::kExact;
  if (s == "Prefix") return PathType::kPrefix;
  if (s == "ImplementationSpecific") return PathType::kImplementationSpecific;
  return std::nullopt;
}

HTTPIngressPath decode_http_path(FieldReader& r, const json::object& p, const std::string& path) {
  HTTPIngressPath out;
  out.path = r.string(p, "path", path).value_or("");
  if (auto type = r.string(p, "pathType", path)) {
    if (auto parsed = parse_path_type(*type)) {
      out.path_type = *parsed;
    } else {
      r.error(child_path(path, "pathType"),
              "unsupported value " + quoted(*type) +
                  ": must be Exact, Prefix or ImplementationSpecific");
    }
  } else if (!member(p, "pathType")) {
    out.path_type = PathType::kPrefix;  // SPEC.md §2 (ours): the talk's foobar omits it
    out.path_type_defaulted = true;
  }
  if (const json::object* b = r.object(p, "backend", path))
    out.backend = decode_backend(r, *b, child_path(path, "backend"));
  return out;
}

IngressRule decode_rule(FieldReader& r, const json::object& rule, const std::string& path) {
  IngressRule out;
  out.host = r.string(rule, "host", path).value_or("");
  const json::object* http = r.object(rule, "http", path);
  if (!http) return out;
  out.has_http = true;
  const std::string http_path = child_path(path, "http");
  const std::string paths_path = child_path(http_path, "paths");
  if (const json::array* paths = r.array(*http, "paths", http_path)) {
    for (std::size_t i = 0; i < paths->size(); ++i) {
      const std::string p_path = item_path(paths_path, i);
      if (const json::object* p = r.as_object((*paths)[i], p_path))
        out.paths.push_back(decode_http_path(r, *p, p_path));
    }
  }
  return out;
}

// status.loadBalancer.ingress[].ip / .hostname. Status is written by controllers, not users:
// read leniently, so that a malformed status never rejects the object.
std::vector<std::string> load_balancer_addresses(const json::object& object) {
  std::vector<std::string> out;
  const json::value* status = object.if_contains("status");
  const json::value* lb = status && status->is_object() ? status->get_object().if_contains("loadBalancer") : nullptr;
  const json::value* list = lb && lb->is_object() ? lb->get_object().if_contains("ingress") : nullptr;
  if (!list || !list->is_array()) return out;
  for (const json::value& entry : list->get_array()) {
    if (!entry.is_object()) continue;
    for (const char* key : {"ip", "hostname"}) {
      const json::value* v = entry.get_object().if_contains(key);
      if (v && v->is_string() && !v->get_string().empty()) {
        out.emplace_back(v->get_string());
        break;
      }
    }
  }
  return out;
}

void decode_ingress(FieldReader& r, const json::object& object, Ingress& ingress) {
  ingress.status_addresses = load_balancer_addresses(object);
  const json::object* spec = r.object(object, "spec", "");
  if (!spec) return;
  const std::string path = "spec";
  ingress.ingress_class_name = r.string(*spec, "ingressClassName", path);
  if (const json::object* b = r.object(*spec, "defaultBackend", path))
    ingress.default_backend = decode_backend(r, *b, "spec.defaultBackend");
  if (const json::array* tls = r.array(*spec, "tls", path)) {
    for (std::size_t i = 0; i < tls->size(); ++i) {
      const std::string t_path = item_path("spec.tls", i);
      if (const json::object* t = r.as_object((*tls)[i], t_path)) {
        IngressTLS entry;
        entry.hosts = r.string_list(*t, "hosts", t_path);
        entry.secret_name = r.string(*t, "secretName", t_path).value_or("");
        ingress.tls.push_back(std::move(entry));
      }
    }
  }
  if (const json::array* rules = r.array(*spec, "rules", path)) {
    for (std::size_t i = 0; i < rules->size(); ++i) {
      const std::string rule_path = item_path("spec.rules", i);
      if (const json::object* rule = r.as_object((*rules)[i], rule_path))
        ingress.rules.push_back(decode_rule(r, *rule, rule_path));
    }
  }
}

void decode_ingress_class(FieldReader& r, const json::object& object, IngressClass& ingress_class) {
  if (const json::object* spec = r.object(object, "spec", ""))
    ingress_class.controller = r.string(*spec, "controller", "spec").value_or("");
}

// ---- v1 ------------------------------------------------------------------------------------

ServicePort decode_service_port(FieldReader& r, const json::object& p, const std::string& path) {
  ServicePort out;
  out.name = r.string(p, "name", path).value_or("");
  out.protocol = r.string(p, "protocol", path).value_or("");
  if (out.protocol.empty()) out.protocol = "TCP";
  out.app_protocol = r.string(p, "appProtocol", path).value_or("");
  out.port = r.int32(p, "port", path).value_or(0);
  if (const json::value* target = member(p, "targetPort")) {
    const std::string target_path = child_path(path, "targetPort");
    if (target->is_string()) {
      out.target_port.is_string = true;
      out.target_port.str = std::string(target->get_string());
    } else if (target->is_number()) {
      out.target_port.number = r.as_int32(*target, target_path).value_or(0);
    } else {
      r.error(target_path, std::string("must be an integer or a string, got ") +
                               detail::json_type_name(*target));
    }
  }
  // The API server defaults an omitted (or zero) targetPort to the port.
  if (!out.target_port.is_string && out.target_port.number == 0) out.target_port.number = out.port;
  return out;
}

void decode_service(FieldReader& r, const json::object& object, Service& service) {
  service.status_addresses = load_balancer_addresses(object);
  const json::object* spec = r.object(object, "spec", "");
  if (!spec) return;
  const std::string path = "spec";
  service.type = r.string(*spec, "type", path).value_or("");
  if (service.type.empty()) service.type = "ClusterIP";
  service.external_name = r.string(*spec, "externalName", path).value_or("");
  if (const json::array* ports = r.array(*spec, "ports", path)) {
    for (std::size_t i = 0; i < ports->size(); ++i) {
      const std::string p_path = item_path("spec.ports", i);
      if (const json::object* p = r.as_object((*ports)[i], p_path))
        service.ports.push_back(decode_service_port(r, *p, p_path));
    }
  }
}

void decode_secret(FieldReader& r, const json::object& object, Secret& secret) {
  secret.type = r.string(object, "type", "").value_or("");
  if (secret.type.empty()) secret.type = "Opaque";
  if (const json::object* data = r.object(object, "data", "")) {
    for (const auto& entry : *data) {
      const std::string field = key_path("data", entry.key());
      if (entry.value().is_null()) {
        secret.data[std::string(entry.key())] = "";
        continue;
      }
      auto encoded = r.as_string(entry.value(), field);
      if (!encoded) continue;
      if (auto bytes = decode_base64(*encoded)) {
        secret.data[std::string(entry.key())] = std::move(*bytes);
      } else {
        r.error(field, "invalid base64");
      }
    }
  }
  // stringData is write-only sugar: the API server merges it over data.
  for (auto& [key, value] : r.string_map(object, "stringData", "")) secret.data[key] = value;
}

// ---- discovery.k8s.io/v1 -------------------------------------------------------------------

void decode_endpoint_slice(FieldReader& r, const json::object& object, EndpointSlice& slice) {
  slice.address_type = r.string(object, "addressType", "").value_or("");
  if (const json::array* endpoints = r.array(object, "endpoints", "")) {
    for (std::size_t i = 0; i < endpoints->size(); ++i) {
      const std::string e_path = item_path("endpoints", i);
      const json::object* e = r.as_object((*endpoints)[i], e_path);
      if (!e) continue;
      Endpoint endpoint;
      endpoint.addresses = r.string_list(*e, "addresses", e_path);
      if (const json::object* c = r.object(*e, "conditions", e_path)) {
        const std::string c_path = child_path(e_path, "conditions");
        endpoint.conditions.ready = r.boolean(*c, "ready", c_path);
        endpoint.conditions.serving = r.boolean(*c, "serving", c_path);
        endpoint.conditions.terminating = r.boolean(*c, "terminating", c_path);
      }
      slice.endpoints.push_back(std::move(endpoint));
    }
  }
  if (const json::array* ports = r.array(object, "ports", "")) {
    for (std::size_t i = 0; i < ports->size(); ++i) {
      const std::string p_path = item_path("ports", i);
      const json::object* p = r.as_object((*ports)[i], p_path);
      if (!p) continue;
      EndpointPort port;
      port.name = r.string(*p, "name", p_path);
      port.port = r.int32(*p, "port", p_path);
      port.protocol = r.string(*p, "protocol", p_path).value_or("");
      if (port.protocol.empty()) port.protocol = "TCP";
      port.app_protocol = r.string(*p, "appProtocol", p_path);
      slice.ports.push_back(std::move(port));
    }
  }
}

// ---- objects -------------------------------------------------------------------------------

// Decodes the kind-specific fields into a T, validates it and appends it to `list` when both
// succeed.
template <class T, class DecodeFn>
void decode_as(FieldReader& r, const json::object& object, const KindInfo& info,
               const Origin& origin, std::vector<T>& list, Diagnostics& diagnostics,
               DecodeFn decode_fields) {
  T typed;
  decode_meta(r, object, info, origin, typed.meta);
  decode_fields(r, object, typed);
  if (r.failed()) return;
  if (validate(typed, diagnostics)) list.push_back(std::move(typed));
}

std::optional<std::string> peek_string(const json::object& object, std::string_view key) {
  const json::value* v = member(object, key);
  if (v && v->is_string()) return std::string(v->get_string());
  return std::nullopt;
}

void decode_one(const json::value& value, const Origin& origin, const ItemDefaults& defaults,
                Objects& out, Diagnostics& diagnostics) {
  Diagnostic context;
  context.origin = origin;
  if (!value.is_object()) {
    context.message = std::string("a manifest object must be a JSON object / YAML mapping, got ") +
                      detail::json_type_name(value);
    diagnostics.push_back(std::move(context));
    return;
  }
  const json::object& object = value.get_object();

  // Name what is known before any field is checked, so every diagnostic can say it.
  std::string kind = peek_string(object, "kind").value_or(defaults.kind);
  context.kind = kind;
  const KindInfo* info = find_kind(kind);
  if (const json::value* m = member(object, "metadata"); m && m->is_object()) {
    context.name = peek_string(m->get_object(), "name").value_or("");
    context.namespace_ = peek_string(m->get_object(), "namespace").value_or("");
  }
  if (info && !info->namespaced) {
    context.namespace_.clear();
  } else if (info && context.namespace_.empty()) {
    context.namespace_ = "default";
  }

  FieldReader r(context, diagnostics);
  std::optional<std::string> kind_field = r.string(object, "kind", "");
  std::optional<std::string> api_version = r.string(object, "apiVersion", "");
  if (r.failed()) return;
  if (!kind_field && defaults.kind.empty()) return r.error("kind", "required");
  if (!api_version) {
    if (defaults.api_version.empty()) return r.error("apiVersion", "required");
    api_version = defaults.api_version;
  }
  if (!info) {
    // A kind gatehouse does not read (Deployment, ConfigMap, HTTPRoute ...): one line says so, so
    // that nobody takes it for applied.
    context.severity = Severity::kWarning;
    context.message = "not read: gatehouse reads Ingress, IngressClass, Service, EndpointSlice "
                      "and Secret";
    diagnostics.push_back(std::move(context));
    return;
  }
  if (*api_version != info->api_version) {
    return r.error("apiVersion", "unsupported apiVersion " + quoted(*api_version) + " for " + kind +
                                     " (want " + std::string(info->api_version) + ")");
  }

  if (kind == "Ingress") {
    decode_as(r, object, *info, origin, out.ingresses, diagnostics, decode_ingress);
  } else if (kind == "IngressClass") {
    decode_as(r, object, *info, origin, out.ingress_classes, diagnostics, decode_ingress_class);
  } else if (kind == "Service") {
    decode_as(r, object, *info, origin, out.services, diagnostics, decode_service);
  } else if (kind == "Secret") {
    decode_as(r, object, *info, origin, out.secrets, diagnostics, decode_secret);
  } else if (kind == "EndpointSlice") {
    decode_as(r, object, *info, origin, out.endpoint_slices, diagnostics, decode_endpoint_slice);
  }
}

// One top-level value: an object, a List of objects, or an array of objects. With
// `items_are_documents` (JSON) each item's document index is its position; otherwise (a YAML
// document) every item keeps the document's index.
void decode_document(const json::value& value, const Origin& origin, bool items_are_documents,
                     Objects& out, Diagnostics& diagnostics) {
  auto decode_items = [&](const json::array& items, const ItemDefaults& defaults) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      Origin item_origin = origin;
      if (items_are_documents) item_origin.document = static_cast<int>(i);
      decode_one(items[i], item_origin, defaults, out, diagnostics);
    }
  };
  if (value.is_array()) return decode_items(value.get_array(), {});
  if (value.is_object()) {
    const json::object& object = value.get_object();
    std::string kind = peek_string(object, "kind").value_or("");
    const json::value* items = object.if_contains("items");
    if (kind == "List" || (ends_with(kind, "List") && items)) {
      ItemDefaults defaults;
      if (kind != "List") {
        defaults.kind = kind.substr(0, kind.size() - 4);
        defaults.api_version = peek_string(object, "apiVersion").value_or("");
      }
      if (!items || items->is_null()) return;
      if (!items->is_array()) {
        Diagnostic d;
        d.origin = origin;
        d.kind = kind;
        d.field = "items";
        d.message = std::string("must be an array, got ") + detail::json_type_name(*items);
        diagnostics.push_back(std::move(d));
        return;
      }
      return decode_items(items->get_array(), defaults);
    }
  }
  decode_one(value, origin, {}, out, diagnostics);
}

void add_error(const Origin& origin, std::string message, Diagnostics& diagnostics) {
  Diagnostic d;
  d.origin = origin;
  d.message = std::move(message);
  diagnostics.push_back(std::move(d));
}

// "line 3, column 7" of byte `offset` in `text`.
std::string line_column(std::string_view text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// Parses `text` as one JSON value; on failure returns nullopt and sets `error`.
std::optional<json::value> parse_json(std::string_view text, std::string& error) {
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  json::parser parser(json::storage_ptr(), options);
  boost::system::error_code ec;
  std::size_t consumed = parser.write(text.data(), text.size(), ec);
  if (ec) {
    error = "invalid JSON at " + line_column(text, consumed) + ": " + ec.message();
    return std::nullopt;
  }
  return parser.release();
}

void decode_yaml(std::string_view text, const Origin& origin, Objects& out,
                 Diagnostics& diagnostics) {
  for_each_yaml_document(text, [&](int document, Result<json::value> value) {
    Origin doc_origin = origin;
    doc_origin.document = document;
    if (!value.ok())
      return add_error(doc_origin, "invalid YAML: " + value.error().message, diagnostics);
    decode_document(*value, doc_origin, false, out, diagnostics);
  });
}

}  // namespace

void decode_object(const json::value& object, const Origin& origin, Objects& out,
                   Diagnostics& diagnostics, std::string_view kind, std::string_view api_version) {
  try {
    decode_one(object, origin, ItemDefaults{std::string(kind), std::string(api_version)}, out,
               diagnostics);
  } catch (const std::exception& e) {
    add_error(origin, std::string("cannot decode: ") + e.what(), diagnostics);
  } catch (...) {
    add_error(origin, "cannot decode: unknown failure", diagnostics);
  }
}

void decode_manifest(std::string_view text, std::string_view file, Objects& out,
                     Diagnostics& diagnostics, ManifestFormat format) {
  Origin origin{std::string(file), 0};
  try {
    if (starts_with(text, "\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark
    std::size_t first = text.find_first_not_of(" \t\r\n");
    bool looks_json = first != std::string_view::npos && (text[first] == '{' || text[first] == '[');
    bool by_name = ends_with(file, ".json");
    bool json_text = format == ManifestFormat::kJson ||
                     (format == ManifestFormat::kAuto && (by_name || looks_json));
    if (!json_text) return decode_yaml(text, origin, out, diagnostics);

    std::string error;
    if (auto value = parse_json(text, error)) {
      return decode_document(*value, origin, true, out, diagnostics);
    }
    // A .yaml file that merely starts with '{' may be YAML flow style, not JSON.
    if (format == ManifestFormat::kAuto && !by_name)
      return decode_yaml(text, origin, out, diagnostics);
    add_error(origin, std::move(error), diagnostics);
  } catch (const std::exception& e) {
    add_error(origin, std::string("cannot decode: ") + e.what(), diagnostics);
  } catch (...) {
    add_error(origin, "cannot decode: unknown failure", diagnostics);
  }
}

}  // namespace gatehouse::model
