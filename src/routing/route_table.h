// The RouteTable: the immutable result of compiling Kubernetes objects (compile.h). Workers share
// it as shared_ptr<const RouteTable>; match() is the hot path and only reads.
//
// Layout: exact hosts and wildcard suffixes map to a HostTable (host_table.h), which holds that
// host's rules as a trie of path elements. HostTables are immutable and shared between
// consecutive RouteTables: a change recompiles only the hosts it touches, and a RouteTable is
// the index over them plus the clusters the rules send requests to.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "routing/hash.h"
#include "routing/host_table.h"

namespace gatehouse::routing {

// How a host was chosen for a request.
enum class HostMatch : std::uint8_t { kExact, kWildcard, kAnyHost };

enum class MatchKind : std::uint8_t {
  kRoute,        // a rule matched: route and cluster are set
  kHostDefault,  // a host was chosen but no path matched: its default backend
  kDefault,      // no host and no host-less rule matched: the default backend
  kNotFound,     // nothing matched and there is no default backend: 404
};

struct MatchResult {
  MatchKind kind = MatchKind::kNotFound;
  const Route* route = nullptr;         // set for kRoute
  std::uint32_t host = kNone;           // index into hosts() of the host the route belongs to
  const Cluster* cluster = nullptr;     // set for every kind but kNotFound
  std::uint32_t cluster_id = kNone;     // index into clusters() of `cluster`
};

// One route with the name `gatehouse routes` gives it: rules are numbered r1, r2, ... host by
// host in hosts() order, and within a host in precedence order (oldest Ingress first).
struct RouteView {
  const HostTable* host = nullptr;
  const Route* route = nullptr;
  std::uint32_t number = 0;  // 1-based
  std::string name() const { return "r" + std::to_string(number); }
};

class RouteTable {
 public:
  // Finds where a request goes. `host` is the Host header (or absolute-form authority) as sent:
  // it is lower-cased, and a ":port" and one trailing dot are removed here. `path` is the request
  // path, already normalized by the caller; anything from '?' on is ignored. Never allocates.
  MatchResult match(std::string_view host, std::string_view path) const;

  // The host a request's host selects (its index into hosts()), or kNone when none does, not
  // even the host-less rules.
  std::uint32_t choose_host(std::string_view host, HostMatch* how = nullptr) const;

  // Every host's rules, in the order the hosts first appear in the Ingresses (oldest first).
  const std::vector<std::shared_ptr<const HostTable>>& hosts() const { return hosts_; }
  // The clusters the hosts' routes and defaults name by id. An id no route uses any more may
  // hold nullptr.
  const std::vector<std::shared_ptr<const Cluster>>& clusters() const { return clusters_; }
  const Cluster& cluster(std::uint32_t id) const { return *clusters_[id]; }
  const Cluster* default_cluster() const {
    return default_cluster_ == kNone ? nullptr : clusters_[default_cluster_].get();
  }
  const std::optional<IngressRef>& default_from() const { return default_from_; }

  std::size_t route_count() const { return route_count_; }
  // "r<N>" for route `route` of host `host` (an index into hosts()).
  std::string route_name(std::uint32_t host, std::uint32_t route) const {
    std::string name(1, 'r');  // not "r" + to_string(): GCC 12 -O3 warns wrongly (-Wrestrict)
    name += std::to_string(route_base_[host] + route + 1);
    return name;
  }
  // Every route, numbered. Builds a list: for display and tests, not for requests.
  std::vector<RouteView> routes() const;

  std::size_t memory_bytes() const;

 private:
  friend class Compiler;

  std::vector<std::shared_ptr<const HostTable>> hosts_;
  std::vector<std::uint32_t> route_base_;  // routes of the hosts before each host
  std::size_t route_count_ = 0;
  std::vector<std::shared_ptr<const Cluster>> clusters_;
  FlatIndex exact_hosts_;     // "foo.org" → index into hosts_
  FlatIndex wildcard_hosts_;  // "foo.org" (from "*.foo.org") → index into hosts_
  std::uint32_t any_host_ = kNone;
  std::uint32_t default_cluster_ = kNone;
  std::optional<IngressRef> default_from_;
};

// Normalizes a Host header for matching: lower-case, without ":port", without one trailing dot.
// Writes into `buffer` (at least kMaxHostLength bytes) and returns a view of it; returns an empty
// view for an empty or over-long host.
inline constexpr std::size_t kMaxHostLength = 255;
std::string_view normalize_host(std::string_view host, char* buffer);

}  // namespace gatehouse::routing
