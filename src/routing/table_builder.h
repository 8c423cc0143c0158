// TableBuilder: the only writer of a RouteTable. compile() feeds it routes in precedence order
// (oldest Ingress first); the builder places each in its host's trie and resolves, per node, which
// rule wins there. Conflicts (same host, path and match type) keep the earlier route.
#pragma once

#include <memory>
#include <string_view>

#include "routing/route_table.h"

namespace gatehouse::routing {

class TableBuilder {
 public:
  TableBuilder();

  // Room for `routes` routes whose paths hold `path_bytes` bytes in all: one allocation each
  // instead of repeated growth (the compile of a large table is mostly allocation otherwise).
  void reserve(std::size_t routes, std::size_t path_bytes);
  std::uint32_t add_cluster(Cluster cluster);

  // The entry for `host` ("" = the host-less rules), created on first use.
  std::uint32_t host_entry(std::string_view host);

  // Adds a route (its id is assigned here). Returns the id of the earlier route that has the same
  // host, path as written and match type, in which case the new route is kept for display but
  // shadowed; kNone otherwise.
  // `host` is host_entry(route.host), which the caller has at hand (one lookup per rule rather
  // than per path).
  std::uint32_t add_route(Route route, std::uint32_t host);

  // Sets a host's default backend unless one is set already (the first, i.e. oldest, wins).
  bool set_host_default(std::uint32_t host, std::uint32_t cluster, const IngressRef& from);
  void set_default(std::uint32_t cluster, std::optional<IngressRef> from);

  const RouteTable& table() const { return *table_; }
  std::shared_ptr<const RouteTable> finish();

 private:
  std::unique_ptr<RouteTable> table_;
};

// True when `path` is matched as a prefix (Prefix and ImplementationSpecific).
inline bool is_prefix_like(model::PathType type) { return type != model::PathType::kExact; }

}  // namespace gatehouse::routing
