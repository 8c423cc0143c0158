// TableBuilder: the only writer of a HostTable. The compiler feeds it one host's routes in
// precedence order (oldest Ingress first); the builder places each in the host's trie and
// resolves, per node, which rule wins there. Conflicts (same path and match type) keep the
// earlier route.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "routing/host_table.h"

namespace gatehouse::routing {

class TableBuilder {
 public:
  explicit TableBuilder(std::string host);

  // Room for `routes` routes whose paths hold `path_bytes` bytes in all.
  void reserve(std::size_t routes, std::size_t path_bytes);

  // Adds a route whose path is `path` (its id is assigned here; route.path is set by finish).
  // Returns the id of the earlier route that has the same path as written and match type, in
  // which case the new route is kept for display but shadowed; kNone otherwise.
  std::uint32_t add_route(Route route, std::string path);

  // The index routes of Ingress `ingress` are added with (Route::ingress): call once per
  // Ingress, before its routes.
  std::uint32_t add_ingress(IngressRef ingress);

  // Sets the host's default backend unless one is set already (the first, i.e. oldest, wins).
  bool set_default(std::uint32_t cluster, const IngressRef& from);

  const HostTable& table() const { return *table_; }
  // Route `id`'s path until finish() (Route::path is set only then).
  const std::string& path(std::uint32_t id) const { return paths_[id]; }
  std::shared_ptr<const HostTable> finish();

 private:
  std::unique_ptr<HostTable> table_;
  std::vector<std::string> paths_;  // by route id, until finish() moves them into the table
};

}  // namespace gatehouse::routing
