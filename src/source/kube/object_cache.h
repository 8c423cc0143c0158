// The objects an API server's watches have delivered, kept as the routing compiler wants them:
// each kind sorted by namespace/name, one object per key, patched in place as events arrive, with
// the keys changed since the last snapshot. Objects are decoded (and validated) once, on arrival;
// one that fails validation is left out with a diagnostic, as a malformed manifest is.
#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/diagnostic.h"
#include "model/object_changes.h"
#include "model/objects.h"

namespace gatehouse::source::kube {

class ObjectCache {
 public:
  ObjectCache();

  // An ADDED or MODIFIED object (`kind`/`api_version` fill in what list items leave out).
  // Returns its resourceVersion ("" when it has none); sets *key to "namespace/name".
  std::string put(model::Kind kind, const boost::json::value& object, std::string* key = nullptr);
  // A DELETED object, or one that failed validation.
  void remove(model::Kind kind, const std::string& namespace_, const std::string& name);
  // After a (re)list of `kind` in `namespace_` ("" for all): every object of that kind and scope
  // not in `listed` is gone. Keys in `listed` are "namespace/name".
  void keep_only(model::Kind kind, const std::string& namespace_,
                 const std::vector<std::string>& listed);

  // The objects now. Cheap when nothing else holds the previous snapshot (the next put patches
  // it in place); otherwise the next change copies them first.
  std::shared_ptr<const model::Objects> objects() const { return objects_; }

  // The keys changed since the last call, and the diagnostics of objects that failed validation
  // since then.
  model::ObjectChanges take_changes();
  model::Diagnostics take_diagnostics();
  bool has_changes() const { return changed_.all || !changed_.keys.empty(); }

  // Ingresses that failed validation, by "namespace/name", while they do: their errors, and
  // what names their class (metadata, spec.ingressClassName) so a controller can tell whether
  // the rejection is its to report.
  struct Refused {
    model::Ingress claim;
    model::Diagnostics errors;
  };
  const std::map<std::string, Refused>& refused_ingresses() const { return refused_; }

 private:
  model::Objects& writable();
  void drop(model::Kind kind, const std::string& namespace_, const std::string& name);
  // Starts as `all`: until the first take_changes (after the first sync) there is nothing to
  // be incremental about, and no key list to grow while an informer cannot list.
  model::ObjectChanges changed_ = model::ObjectChanges::everything();
  model::Diagnostics diagnostics_;
  std::shared_ptr<model::Objects> objects_;
  // resourceVersion by kind and "namespace/name": an object seen again unchanged (a relist) is
  // not reported as a change.
  std::map<std::pair<model::Kind, std::string>, std::string> versions_;
  std::map<std::string, Refused> refused_;
};

}  // namespace gatehouse::source::kube
