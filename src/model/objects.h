// The Kubernetes objects gatehouse reads, as typed values. Field names follow the Kubernetes API
// (networking.k8s.io/v1, v1, discovery.k8s.io/v1); only the fields gatehouse uses are kept.
// Decoding and validation live in decode.h; these types carry no behaviour.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gatehouse::model {

// Where an object was read from: a file and the 0-based index of the document in it, or an API
// server watch. Not part of the Kubernetes object; kept so every diagnostic can name its source.
struct Origin {
  std::string file;   // path, or "kube" for objects from an API server
  int document = 0;   // 0-based index of the YAML document / List item
};

struct ObjectMeta {
  std::string name;
  std::string namespace_;  // "default" when a namespaced object omits it
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  // metadata.creationTimestamp as Unix seconds; absent for most objects read from files, which
  // SPEC.md counts as newer than any real timestamp.
  std::optional<std::int64_t> creation_timestamp;
  std::string resource_version;
  std::string uid;
  Origin origin;
};

// ---- networking.k8s.io/v1 -------------------------------------------------------------------

enum class PathType : std::uint8_t { kExact, kPrefix, kImplementationSpecific };

struct ServiceBackendPort {
  std::string name;         // exactly one of name and number is set
  std::int32_t number = 0;  // 0 when unset
};

struct IngressServiceBackend {
  std::string name;
  ServiceBackendPort port;
};

struct TypedLocalObjectReference {
  std::string api_group;
  std::string kind;
  std::string name;
};

// Exactly one of service and resource is set (validated at decode time). A resource backend is
// rare and three strings long: boxed, so every path of every Ingress is ~90 bytes smaller.
struct IngressBackend {
  std::optional<IngressServiceBackend> service;
  std::shared_ptr<const TypedLocalObjectReference> resource;
};

struct HTTPIngressPath {
  std::string path;  // "" when omitted: allowed only for ImplementationSpecific, read as "/"
  PathType path_type = PathType::kPrefix;
  bool path_type_defaulted = false;  // pathType was missing and read as Prefix (SPEC.md §2)
  IngressBackend backend;
};

struct IngressRule {
  std::string host;  // "" = any host; "*.foo.com" = a wildcard of exactly one label
  bool has_http = false;
  std::vector<HTTPIngressPath> paths;  // spec.rules[].http.paths
};

struct IngressTLS {
  std::vector<std::string> hosts;
  std::string secret_name;
};

struct Ingress {
  ObjectMeta meta;
  std::optional<std::string> ingress_class_name;
  std::optional<IngressBackend> default_backend;
  std::vector<IngressTLS> tls;
  std::vector<IngressRule> rules;
  // status.loadBalancer.ingress[]: each entry's ip, else its hostname, in order.
  std::vector<std::string> status_addresses;
};

struct IngressClass {
  ObjectMeta meta;  // cluster-scoped: namespace_ is ""
  std::string controller;
};

// ---- v1 ------------------------------------------------------------------------------------

// An IntOrString: targetPort may be a number or the name of a container port.
struct IntOrString {
  bool is_string = false;
  std::int32_t number = 0;
  std::string str;
};

struct ServicePort {
  std::string name;  // "" for an unnamed port (allowed when the Service has exactly one)
  std::string protocol = "TCP";
  std::string app_protocol;  // e.g. "kubernetes.io/h2c", "https"
  std::int32_t port = 0;
  IntOrString target_port;
};

struct Service {
  ObjectMeta meta;
  std::string type = "ClusterIP";  // ClusterIP, NodePort, LoadBalancer, ExternalName
  std::string external_name;
  std::vector<ServicePort> ports;
  std::vector<std::string> status_addresses;  // status.loadBalancer.ingress[]: ip or hostname
};

struct Secret {
  ObjectMeta meta;
  std::string type = "Opaque";
  std::map<std::string, std::string> data;  // base64-decoded data, merged with stringData
};

// ---- discovery.k8s.io/v1 -------------------------------------------------------------------

struct EndpointConditions {
  std::optional<bool> ready;
  std::optional<bool> serving;
  std::optional<bool> terminating;
};

struct Endpoint {
  std::vector<std::string> addresses;
  EndpointConditions conditions;
};

struct EndpointPort {
  std::optional<std::string> name;  // nil and "" both mean the Service's unnamed port
  std::optional<std::int32_t> port;
  std::string protocol = "TCP";
  std::optional<std::string> app_protocol;
};

struct EndpointSlice {
  ObjectMeta meta;
  std::string address_type;  // IPv4, IPv6 or FQDN
  std::vector<Endpoint> endpoints;
  std::vector<EndpointPort> ports;
};

// The label that ties an EndpointSlice to its Service.
inline constexpr const char* kServiceNameLabel = "kubernetes.io/service-name";

// Every object gatehouse knows, as one value: the compiler's input.
struct Objects {
  std::vector<Ingress> ingresses;
  std::vector<IngressClass> ingress_classes;
  std::vector<Service> services;
  std::vector<EndpointSlice> endpoint_slices;
  std::vector<Secret> secrets;
};

const char* to_string(PathType type);

}  // namespace gatehouse::model
