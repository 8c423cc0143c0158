// A HostTable: the compiled rules of one host ("foo.org", "*.foo.org", or "" for the rules
// without a host), immutable once built. Its rules form a trie of path elements ("/a/b" is
// root → "a" → "b"), so a lookup costs one probe per path element, however many rules there are;
// precedence among rules that share a node is decided when the table is built (TableBuilder).
// Consecutive RouteTables share the HostTables a change did not touch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/objects.h"
#include "routing/cluster.h"
#include "routing/path_trie.h"

namespace gatehouse::routing {

struct IngressRef {
  std::string namespace_;
  std::string name;
  bool operator==(const IngressRef&) const = default;
};

// One path of one rule of one Ingress, as compiled.
struct Route {
  std::uint32_t id = 0;  // index into its HostTable's routes(), which are in precedence order
  // As written; "/" when an ImplementationSpecific path was omitted. Points into its HostTable
  // (set when the table is finished), so it lives as long as the table.
  std::string_view path;
  model::PathType path_type = model::PathType::kPrefix;
  std::uint32_t cluster = kNone;  // index into RouteTable::clusters()
  std::uint32_t ingress = 0;      // index into its HostTable's ingresses()
  std::uint32_t rule_index = 0;
  std::uint32_t path_index = 0;
  std::uint32_t shadowed_by = kNone;  // the id of a conflicting, winning route: never matches
};

class HostTable {
 public:
  HostTable() = default;
  // Routes hold views into path_arena_, whose bytes may sit inside the string object itself
  // (short-string optimisation): a copied or moved table would leave them pointing at the old one.
  HostTable(const HostTable&) = delete;
  HostTable& operator=(const HostTable&) = delete;

  const std::string& host() const { return host_; }
  // Every route of this host, shadowed ones included, oldest Ingress first.
  const std::vector<Route>& routes() const { return routes_; }
  std::uint32_t default_cluster() const { return default_cluster_; }  // kNone when unset
  const IngressRef& default_from() const { return default_from_; }     // who set it
  // The Ingresses this host's routes come from, oldest first (routes name them by index).
  const std::vector<IngressRef>& ingresses() const { return ingresses_; }
  const IngressRef& ingress_of(const Route& route) const { return ingresses_[route.ingress]; }

  // The id of the route that wins for `path` (origin-form, normalized, no query), or kNone.
  // Never allocates.
  std::uint32_t match(std::string_view path) const;
  // Route `id`'s cluster, from the packed keys match() has just read.
  std::uint32_t cluster_of(std::uint32_t id) const { return keys_[id].cluster; }

  std::size_t memory_bytes() const;

 private:
  friend class TableBuilder;

  // The winning route id for `path`, or kNone. `verified` compares every path element byte for
  // byte instead of by hash (see PathTrie).
  std::uint32_t walk(std::string_view path, bool verified) const;
  // True when route `id` really matches `path` (SPEC.md §4): the check behind the hash-only walk.
  bool holds(std::uint32_t id, std::string_view path) const;

  // Ordered for match(): the fields it reads first share the object's first cache line (a
  // request for a random host finds its HostTable cold).
  std::uint32_t root_ = kNone;  // kNone when the host has no paths
  std::uint32_t default_cluster_ = kNone;
  PathTrie::Rules root_rules_;  // the root node's rules, a copy: one cache line fewer per lookup
  PathTrie trie_;
  // What match() needs of each route, packed apart from the Route objects so that a lookup
  // touches a few dense cache lines instead of a Route each.
  struct RouteKey {
    std::uint32_t path_offset = 0;  // into path_arena_
    std::uint32_t path_length = 0;
    std::uint32_t cluster = kNone;
    bool exact = false;
  };
  std::vector<RouteKey> keys_;
  std::string path_arena_;
  std::vector<Route> routes_;
  std::vector<IngressRef> ingresses_;
  std::string host_;
  IngressRef default_from_;
};

// True when `path` is matched as a prefix (Prefix and ImplementationSpecific).
inline bool is_prefix_like(model::PathType type) { return type != model::PathType::kExact; }

}  // namespace gatehouse::routing
