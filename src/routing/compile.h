// compile: Kubernetes objects in, an immutable RouteTable and one list of diagnostics out.
// A pure function (no clock, no I/O, no threads): the same objects give the same table, byte for
// byte, whatever their input order. The rules it implements are ../shared/SPEC.md's.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "model/diagnostic.h"
#include "model/objects.h"
#include "routing/route_table.h"

namespace gatehouse::routing {

inline constexpr const char* kControllerName = "gatehouse.dev/ingress-controller";
inline constexpr const char* kDefaultClassName = "gatehouse";
inline constexpr const char* kLegacyClassAnnotation = "kubernetes.io/ingress.class";
inline constexpr const char* kDefaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class";

// A Service port named on the command line: NAMESPACE/SERVICE:PORT (PORT a number or a name).
struct ServiceRef {
  std::string namespace_;
  std::string service;
  std::string port;
};
Result<ServiceRef> parse_service_ref(std::string_view text);

struct CompileOptions {
  std::string ingress_class = kDefaultClassName;  // --ingress-class: the legacy annotation's value
  std::string controller = kControllerName;       // IngressClass spec.controller that is ours
  // Serve Ingresses that name no class at all (SPEC.md §1.4). On for file sources.
  bool watch_ingress_without_class = true;
  std::optional<ServiceRef> default_backend;  // --default-backend
};

struct Compiled {
  std::shared_ptr<const RouteTable> table;
  model::Diagnostics diagnostics;
};

Compiled compile(const model::Objects& objects, const CompileOptions& options);

}  // namespace gatehouse::routing
