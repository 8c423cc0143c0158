#include "model/validate.h"

#include <arpa/inet.h>

#include <set>
#include <utility>

#include "base/strings.h"

namespace gatehouse::model {

namespace {

constexpr std::string_view kIngressClassAnnotation = "kubernetes.io/ingress.class";
constexpr std::size_t kMaxSubdomain = 253;
constexpr std::size_t kMaxLabel = 63;
constexpr std::size_t kMaxPortName = 15;
constexpr std::int32_t kMaxPort = 65535;

// Collects the diagnostics of one object, each already naming origin, kind and namespace/name.
class Reporter {
 public:
  Reporter(const ObjectMeta& meta, const char* kind, Diagnostics& diagnostics)
      : diagnostics_(diagnostics) {
    context_.origin = meta.origin;
    context_.kind = kind;
    context_.namespace_ = meta.namespace_;
    context_.name = meta.name;
  }

  bool ok() const { return ok_; }

  void error(std::string field, std::string message) {
    ok_ = false;
    add(Severity::kError, std::move(field), std::move(message));
  }
  void warning(std::string field, std::string message) {
    add(Severity::kWarning, std::move(field), std::move(message));
  }
  // Reports `problem`, if any, as an error on `field`.
  void check(std::string field, std::optional<std::string> problem) {
    if (problem) error(std::move(field), std::move(*problem));
  }

 private:
  void add(Severity severity, std::string field, std::string message) {
    Diagnostic d = context_;
    d.severity = severity;
    d.field = std::move(field);
    d.message = std::move(message);
    diagnostics_.push_back(std::move(d));
  }

  Diagnostic context_;
  Diagnostics& diagnostics_;
  bool ok_ = true;
};

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

std::optional<std::string> check_label(std::string_view label) {
  if (label.empty()) return "must not contain an empty label";
  if (label.size() > kMaxLabel)
    return "each label must be no more than " + std::to_string(kMaxLabel) + " characters";
  for (char c : label) {
    if (c >= 'A' && c <= 'Z') return std::string("must be lower case");
    if (!is_lower_alnum(c) && c != '-')
      return "must contain only lower-case letters, digits, '-' and '.', not " +
             quoted(std::string_view(&c, 1));
  }
  if (label.front() == '-' || label.back() == '-')
    return std::string("each label must start and end with a letter or digit");
  return std::nullopt;
}

std::optional<std::string> check_port_range(std::int32_t port) {
  if (port < 1 || port > kMaxPort)
    return "must be between 1 and 65535, got " + std::to_string(port);
  return std::nullopt;
}

void validate_name(Reporter& r, const ObjectMeta& meta, bool dns1035, bool namespaced) {
  auto problem = dns1035 ? check_dns1035_label(meta.name) : check_dns1123_subdomain(meta.name);
  r.check("metadata.name", problem);
  if (namespaced) r.check("metadata.namespace", check_dns1123_label(meta.namespace_));
}

// ---- Ingress -------------------------------------------------------------------------------

void validate_backend(Reporter& r, const IngressBackend& backend, const std::string& path) {
  if (backend.service && backend.resource)
    return r.error(path, "cannot set both service and resource");
  if (!backend.service && !backend.resource)
    return r.error(path, "one of service or resource is required");
  if (backend.resource) {
    if (backend.resource->kind.empty()) r.error(path + ".resource.kind", "required");
    if (backend.resource->name.empty()) r.error(path + ".resource.name", "required");
    return;
  }
  const IngressServiceBackend& service = *backend.service;
  if (service.name.empty()) {
    r.error(path + ".service.name", "required");
  } else {
    r.check(path + ".service.name", check_dns1035_label(service.name));
  }
  const std::string port = path + ".service.port";
  bool has_name = !service.port.name.empty(), has_number = service.port.number != 0;
  if (has_name && has_number) return r.error(port, "cannot set both name and number");
  if (!has_name && !has_number) return r.error(port, "one of name or number is required");
  if (has_number) r.check(port + ".number", check_port_range(service.port.number));
  if (has_name) r.check(port + ".name", check_port_name(service.port.name));
}

std::optional<std::string> check_absolute_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::string("must be an absolute path");
  for (std::string_view bad : {"//", "/./", "/../", "%2f", "%2F"})
    if (path.find(bad) != std::string_view::npos) return "must not contain " + quoted(bad);
  for (std::string_view bad : {"/.", "/.."})
    if (ends_with(path, bad)) return "must not end with " + quoted(bad);
  return std::nullopt;
}

void validate_http_path(Reporter& r, const HTTPIngressPath& p, const std::string& path) {
  if (p.path_type_defaulted)
    r.warning(path + ".pathType", "missing; read as Prefix (the API server would require it)");
  if (p.path_type == PathType::kImplementationSpecific) {
    if (!p.path.empty() && p.path.front() != '/')
      r.error(path + ".path", "must be an absolute path");
  } else if (p.path.empty()) {
    r.error(path + ".path",
            std::string("required for pathType ") + to_string(p.path_type) +
                (p.path_type_defaulted ? " (pathType was missing and read as Prefix)" : ""));
  } else {
    r.check(path + ".path", check_absolute_path(p.path));
  }
  validate_backend(r, p.backend, path + ".backend");
}

}  // namespace

// ---- building blocks -----------------------------------------------------------------------

std::optional<std::string> check_dns1123_subdomain(std::string_view s) {
  if (s.empty()) return std::string("must not be empty");
  if (s.size() > kMaxSubdomain)
    return "must be no more than " + std::to_string(kMaxSubdomain) + " characters";
  for (std::string_view label : split(s, '.'))
    if (auto problem = check_label(label)) return problem;
  return std::nullopt;
}

std::optional<std::string> check_dns1123_label(std::string_view s) {
  if (s.empty()) return std::string("must not be empty");
  if (s.find('.') != std::string_view::npos) return std::string("must not contain '.'");
  return check_label(s);
}

std::optional<std::string> check_dns1035_label(std::string_view s) {
  if (auto problem = check_dns1123_label(s)) return problem;
  if (!(s.front() >= 'a' && s.front() <= 'z')) return std::string("must start with a letter");
  return std::nullopt;
}

bool is_ip_address(std::string_view s) {
  std::string text(s);  // inet_pton wants a terminated string
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

std::optional<std::string> check_ingress_host(std::string_view s, bool allow_wildcard) {
  if (s.empty()) return std::string("must not be empty");
  if (is_ip_address(s)) return std::string("must be a DNS name, not an IP address");
  if (s == "*") return std::string("a bare \"*\" is not a host: omit host to match any host");
  if (starts_with(s, "*.")) {
    if (!allow_wildcard) return std::string("must not be a wildcard");
    s.remove_prefix(2);
  }
  if (s.find('*') != std::string_view::npos)
    return std::string("a wildcard must be the whole first label: \"*.\" plus a DNS name");
  return check_dns1123_subdomain(s);
}

std::optional<std::string> check_port_name(std::string_view s) {
  if (s.empty()) return std::string("must not be empty");
  if (s.size() > kMaxPortName)
    return "must be no more than " + std::to_string(kMaxPortName) + " characters";
  bool letter = false;
  for (char c : s) {
    if (!is_lower_alnum(c) && c != '-')
      return std::string("must contain only lower-case letters, digits and '-'");
    letter = letter || (c >= 'a' && c <= 'z');
  }
  if (!letter) return std::string("must contain at least one letter");
  if (s.front() == '-' || s.back() == '-') return std::string("must not start or end with '-'");
  if (s.find("--") != std::string_view::npos) return std::string("must not contain \"--\"");
  return std::nullopt;
}

// ---- objects -------------------------------------------------------------------------------

bool validate(const Ingress& ingress, Diagnostics& diagnostics) {
  Reporter r(ingress.meta, "Ingress", diagnostics);
  validate_name(r, ingress.meta, false, true);
  if (ingress.rules.empty() && !ingress.default_backend)
    r.error("spec", "either defaultBackend or rules must be specified");
  if (ingress.ingress_class_name) {
    r.check("spec.ingressClassName", check_dns1123_subdomain(*ingress.ingress_class_name));
    auto annotation = ingress.meta.annotations.find(std::string(kIngressClassAnnotation));
    if (annotation != ingress.meta.annotations.end() &&
        annotation->second != *ingress.ingress_class_name) {
      r.error("spec.ingressClassName",
              quoted(*ingress.ingress_class_name) + " disagrees with the annotation " +
                  std::string(kIngressClassAnnotation) + "=" + quoted(annotation->second));
    }
  }
  if (ingress.default_backend) validate_backend(r, *ingress.default_backend, "spec.defaultBackend");
  for (std::size_t i = 0; i < ingress.tls.size(); ++i) {
    const auto& hosts = ingress.tls[i].hosts;
    for (std::size_t j = 0; j < hosts.size(); ++j) {
      r.check("spec.tls[" + std::to_string(i) + "].hosts[" + std::to_string(j) + "]",
              check_ingress_host(hosts[j], true));
    }
  }
  for (std::size_t i = 0; i < ingress.rules.size(); ++i) {
    const IngressRule& rule = ingress.rules[i];
    const std::string path = "spec.rules[" + std::to_string(i) + "]";
    if (!rule.host.empty()) r.check(path + ".host", check_ingress_host(rule.host, true));
    if (rule.has_http && rule.paths.empty())
      r.error(path + ".http.paths", "at least one path is required");
    for (std::size_t j = 0; j < rule.paths.size(); ++j)
      validate_http_path(r, rule.paths[j], path + ".http.paths[" + std::to_string(j) + "]");
  }
  return r.ok();
}

bool validate(const IngressClass& ingress_class, Diagnostics& diagnostics) {
  Reporter r(ingress_class.meta, "IngressClass", diagnostics);
  validate_name(r, ingress_class.meta, false, false);
  const std::string& controller = ingress_class.controller;
  if (controller.empty()) {
    r.error("spec.controller", "required");
  } else {
    // A domain-prefixed path, e.g. "gatehouse.dev/ingress-controller".
    std::size_t slash = controller.find('/');
    if (slash == std::string::npos || slash + 1 == controller.size()) {
      r.error("spec.controller", "must be a domain-prefixed path such as example.com/controller");
    } else {
      r.check("spec.controller", check_dns1123_subdomain(controller.substr(0, slash)));
    }
  }
  return r.ok();
}

bool validate(const Service& service, Diagnostics& diagnostics) {
  Reporter r(service.meta, "Service", diagnostics);
  validate_name(r, service.meta, true, true);
  const std::string& type = service.type;
  if (type != "ClusterIP" && type != "NodePort" && type != "LoadBalancer" &&
      type != "ExternalName") {
    r.error("spec.type", "unsupported value " + quoted(type) +
                             ": must be ClusterIP, NodePort, LoadBalancer or ExternalName");
  }
  if (type == "ExternalName") {
    std::string_view name = service.external_name;
    if (ends_with(name, ".")) name.remove_suffix(1);  // a fully qualified name is fine
    r.check("spec.externalName", check_dns1123_subdomain(name));
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < service.ports.size(); ++i) {
    const ServicePort& port = service.ports[i];
    const std::string path = "spec.ports[" + std::to_string(i) + "]";
    if (port.name.empty()) {
      if (service.ports.size() > 1)
        r.error(path + ".name", "required when the Service has more than one port");
    } else {
      r.check(path + ".name", check_dns1123_label(port.name));
      if (!names.insert(port.name).second) r.error(path + ".name", "duplicate port name");
    }
    if (port.protocol != "TCP" && port.protocol != "UDP" && port.protocol != "SCTP")
      r.error(path + ".protocol", "unsupported value " + quoted(port.protocol));
    r.check(path + ".port", check_port_range(port.port));
    if (port.target_port.is_string) {
      r.check(path + ".targetPort", check_port_name(port.target_port.str));
    } else {
      r.check(path + ".targetPort", check_port_range(port.target_port.number));
    }
  }
  return r.ok();
}

bool validate(const EndpointSlice& slice, Diagnostics& diagnostics) {
  Reporter r(slice.meta, "EndpointSlice", diagnostics);
  validate_name(r, slice.meta, false, true);
  const std::string& type = slice.address_type;
  bool known_type = type == "IPv4" || type == "IPv6" || type == "FQDN";
  if (!known_type)
    r.error("addressType", "unsupported value " + quoted(type) + ": must be IPv4, IPv6 or FQDN");
  for (std::size_t i = 0; i < slice.endpoints.size(); ++i) {
    const auto& addresses = slice.endpoints[i].addresses;
    const std::string path = "endpoints[" + std::to_string(i) + "].addresses";
    if (addresses.empty()) r.error(path, "at least one address is required");
    for (std::size_t j = 0; j < addresses.size() && known_type; ++j) {
      std::string text = addresses[j];
      unsigned char buf[16];
      bool ok = type == "IPv4"   ? inet_pton(AF_INET, text.c_str(), buf) == 1
                : type == "IPv6" ? inet_pton(AF_INET6, text.c_str(), buf) == 1
                                 : !check_dns1123_subdomain(text).has_value();
      if (!ok)
        r.error(path + "[" + std::to_string(j) + "]", "must be a valid " + type + " address");
    }
  }
  for (std::size_t i = 0; i < slice.ports.size(); ++i) {
    const EndpointPort& port = slice.ports[i];
    const std::string path = "ports[" + std::to_string(i) + "]";
    if (port.port) r.check(path + ".port", check_port_range(*port.port));
    if (port.name && !port.name->empty()) r.check(path + ".name", check_dns1123_label(*port.name));
  }
  return r.ok();
}

bool validate(const Secret& secret, Diagnostics& diagnostics) {
  Reporter r(secret.meta, "Secret", diagnostics);
  validate_name(r, secret.meta, false, true);
  return r.ok();
}

}  // namespace gatehouse::model
