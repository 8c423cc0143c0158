// compile: Kubernetes objects in, an immutable RouteTable and one list of diagnostics out.
// A pure function (no clock, no I/O, no threads): the same objects give the same table, byte for
// byte, whatever their input order. The rules it implements are ../shared/SPEC.md's.
//
// Compiler does the same incrementally: told which objects changed since its last compile, it
// compiles again only the hosts they touch and shares the other HostTables with the previous
// table (docs/decisions/0005).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "model/diagnostic.h"
#include "model/object_changes.h"
#include "model/objects.h"
#include "routing/annotations.h"
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
  // What an annotation of another controller that gatehouse does not implement does to its
  // Ingress (routing/annotations.h): --unsupported-annotations.
  UnsupportedAnnotations unsupported_annotations = UnsupportedAnnotations::kRefuse;
};

struct Compiled {
  std::shared_ptr<const RouteTable> table;
  model::Diagnostics diagnostics;
};

Compiled compile(const model::Objects& objects, const CompileOptions& options);

// Not thread-safe: one owner (the control thread) calls compile.
class Compiler {
 public:
  explicit Compiler(CompileOptions options);
  ~Compiler();
  Compiler(Compiler&&) noexcept;
  Compiler& operator=(Compiler&&) noexcept;

  // The same result as compile(objects, options), in time proportional to the change when
  // `changes` lists which objects differ from those of the previous call. With `changes.all`
  // (and on the first call) it compiles everything. Otherwise `changes` must name every object
  // added, removed or changed since the previous call, and each kind of `objects` must be sorted
  // by namespace/name with one object per key (as ObjectStore::snapshot and ManifestCache give
  // them). If it throws, the next call must pass `changes.all`.
  Compiled compile(const model::Objects& objects, const model::ObjectChanges& changes);

  // Whether the last compile found this Ingress to be ours (its class, SPEC.md §1.4).
  bool owns(const std::string& namespace_, const std::string& name) const;
  // Whether the last compile refused this Ingress of ours for an annotation it does not
  // implement (its errors say which): it is not served, but its Events are ours to write.
  bool refused(const std::string& namespace_, const std::string& name) const;
  // Whether an Ingress with this class (ingressClassName, annotations) would be ours, by the
  // IngressClasses of the last compile: for Ingresses that failed validation.
  bool would_own(const model::Ingress& ingress) const;

 private:
  struct State;
  void assemble(RouteTable& table, model::Diagnostics& diagnostics);
  void run(const model::ObjectChanges& changes);
  std::unique_ptr<State> state_;
};

}  // namespace gatehouse::routing
