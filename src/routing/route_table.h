// The RouteTable: the immutable result of compiling Kubernetes objects (compile.h). Workers share
// it as shared_ptr<const RouteTable>; match() is the hot path and only reads.
//
// Layout: exact hosts and wildcard suffixes map to a HostEntry; each HostEntry owns a trie of
// path elements ("/a/b" is root → "a" → "b"). All trie edges of all hosts live in one PathTrie
// keyed by (parent node, element), so a lookup costs one probe per path element, whatever the
// table's size. Precedence among rules that share a node is decided at compile time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/objects.h"
#include "routing/hash.h"
#include "routing/path_trie.h"

namespace gatehouse::routing {

inline constexpr std::uint32_t kNone = 0xffffffffu;

struct Endpoint {
  std::string address;  // an IPv4 or IPv6 literal, as the EndpointSlice lists it
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

std::string to_string(const Endpoint& endpoint);  // "10.0.0.1:80", "[fd00::1]:80"

// Why a Cluster has nothing to dial. Every status but kReady answers 503.
enum class ClusterStatus : std::uint8_t {
  kReady,
  kNoService,     // the Service does not exist
  kNoPort,        // the Service has no such port
  kNoEndpoints,   // no ready endpoint carries the port
  kExternalName,  // ExternalName Services are never proxied (off-cluster)
  kResource,      // a resource backend: not supported by gatehouse
};

const char* to_string(ClusterStatus status);

// One backend: a Service port (or resource) of one namespace, resolved to its ready endpoints.
struct Cluster {
  std::string namespace_;
  std::string service;     // or the resource's Kind/name for kResource
  std::string port;        // the Ingress's port reference as written: "8080" or "http"
  std::string app_protocol;  // the Service port's appProtocol, "" when unset
  ClusterStatus status = ClusterStatus::kNoService;
  std::string detail;  // why not ready, for 503 pages and `explain`
  std::vector<Endpoint> endpoints;

  std::string label() const;  // "foo-a:8080" (namespace omitted)
};

struct IngressRef {
  std::string namespace_;
  std::string name;
};

// One path of one rule of one Ingress, as compiled.
struct Route {
  std::uint32_t id = 0;  // index into RouteTable::routes(); shown as "r<id+1>"
  std::string host;      // "" = any host
  std::string path;      // as written; "/" when an ImplementationSpecific path was omitted
  model::PathType path_type = model::PathType::kPrefix;
  std::uint32_t cluster = kNone;
  IngressRef ingress;
  std::uint32_t rule_index = 0;
  std::uint32_t path_index = 0;
  std::uint32_t shadowed_by = kNone;  // a conflicting, winning route: this one never matches

  std::string name() const { return "r" + std::to_string(id + 1); }
};

// How a host was chosen for a request.
enum class HostMatch : std::uint8_t { kExact, kWildcard, kAnyHost };

struct HostEntry {
  std::string host;  // "foo.org", "*.foo.org", or "" for the rules without host
  std::uint32_t root = kNone;             // trie root node; kNone when the host has no paths
  std::uint32_t default_cluster = kNone;  // defaultBackend of the oldest Ingress naming the host
  IngressRef default_from;                // that Ingress
  std::vector<std::uint32_t> routes;      // every route of this host, shadowed ones included
};

enum class MatchKind : std::uint8_t {
  kRoute,        // a rule matched: route and cluster are set
  kHostDefault,  // a host was chosen but no path matched: its default backend
  kDefault,      // no host and no host-less rule matched: the default backend
  kNotFound,     // nothing matched and there is no default backend: 404
};

struct MatchResult {
  MatchKind kind = MatchKind::kNotFound;
  const Route* route = nullptr;      // set for kRoute
  const Cluster* cluster = nullptr;  // set for every kind but kNotFound
};

class RouteTable {
 public:
  // Finds where a request goes. `host` is the Host header (or absolute-form authority) as sent:
  // it is lower-cased, and a ":port" and one trailing dot are removed here. `path` is the request
  // path, already normalized by the caller; anything from '?' on is ignored. Never allocates.
  MatchResult match(std::string_view host, std::string_view path) const;

  // The HostEntry a request's host selects, or nullptr when none does (not even host-less rules).
  const HostEntry* choose_host(std::string_view host, HostMatch* how = nullptr) const;

  const std::vector<Route>& routes() const { return routes_; }
  const std::vector<Cluster>& clusters() const { return clusters_; }
  const std::vector<HostEntry>& hosts() const { return hosts_; }
  const Cluster* default_cluster() const {
    return default_cluster_ == kNone ? nullptr : &clusters_[default_cluster_];
  }
  const std::optional<IngressRef>& default_from() const { return default_from_; }
  std::size_t memory_bytes() const;

 private:
  friend class TableBuilder;

  // The winning route id among `entry`'s rules for `path`, or kNone. `verified` compares every
  // path element byte for byte instead of by hash (see PathTrie).
  std::uint32_t walk(const HostEntry& entry, std::string_view path, bool verified) const;
  // True when route `id` really matches `path` (SPEC.md §4): the check behind the hash-only walk.
  bool holds(std::uint32_t id, std::string_view path) const;
  MatchResult match_in(const HostEntry& entry, std::string_view path) const;

  std::vector<Route> routes_;
  std::vector<Cluster> clusters_;
  std::vector<HostEntry> hosts_;
  // What match() needs of each route, packed apart from the Route objects so that a lookup in a
  // large table touches a few dense cache lines instead of a ~170-byte Route.
  struct RouteKey {
    std::uint32_t path_offset = 0;  // into path_arena_
    std::uint32_t path_length = 0;
    std::uint32_t cluster = kNone;
    bool exact = false;
  };
  std::vector<RouteKey> keys_;
  std::string path_arena_;
  PathTrie trie_;
  FlatIndex exact_hosts_;     // "foo.org" → host entry
  FlatIndex wildcard_hosts_;  // "foo.org" (from "*.foo.org") → host entry
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
