#include "routing/route_table.h"

#include "base/strings.h"

namespace gatehouse::routing {

std::string to_string(const Endpoint& endpoint) {
  if (endpoint.address.find(':') != std::string::npos)
    return "[" + endpoint.address + "]:" + std::to_string(endpoint.port);
  return endpoint.address + ":" + std::to_string(endpoint.port);
}

const char* to_string(ClusterStatus status) {
  switch (status) {
    case ClusterStatus::kReady:
      return "ready";
    case ClusterStatus::kNoService:
      return "no such Service";
    case ClusterStatus::kNoPort:
      return "no such Service port";
    case ClusterStatus::kNoEndpoints:
      return "no ready endpoints";
    case ClusterStatus::kExternalName:
      return "ExternalName Service (not proxied)";
    case ClusterStatus::kResource:
      return "resource backend (not supported)";
  }
  return "?";
}

std::string Cluster::label() const {
  if (status == ClusterStatus::kResource) return service;
  return service + ":" + port;
}

std::string_view normalize_host(std::string_view host, char* buffer) {
  if (!host.empty() && host.front() == '[') {
    // An IPv6 literal: keep "[...]" and drop any port. It never equals a rule host (rules are DNS
    // names), so it selects the host-less rules.
    std::size_t close = host.find(']');
    if (close != std::string_view::npos) host = host.substr(0, close + 1);
  } else {
    std::size_t colon = host.find(':');
    if (colon != std::string_view::npos) host = host.substr(0, colon);
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  }
  if (host.empty() || host.size() > kMaxHostLength) return {};
  for (std::size_t i = 0; i < host.size(); ++i) buffer[i] = ascii_lower(host[i]);
  return {buffer, host.size()};
}

const HostEntry* RouteTable::choose_host(std::string_view host, HostMatch* how) const {
  char buffer[kMaxHostLength];
  std::string_view h = normalize_host(host, buffer);
  if (!h.empty()) {
    std::uint32_t e = exact_hosts_.find(0, h);
    if (e != FlatIndex::kMissing) {
      if (how) *how = HostMatch::kExact;
      return &hosts_[e];
    }
    // A wildcard covers exactly one more, non-empty label: "*.foo.com" is found under "foo.com"
    // by dropping the request host's first label.
    std::size_t dot = h.find('.');
    if (dot != std::string_view::npos && dot > 0) {
      e = wildcard_hosts_.find(0, h.substr(dot + 1));
      if (e != FlatIndex::kMissing) {
        if (how) *how = HostMatch::kWildcard;
        return &hosts_[e];
      }
    }
  }
  if (any_host_ == kNone) return nullptr;
  if (how) *how = HostMatch::kAnyHost;
  return &hosts_[any_host_];
}

std::uint32_t RouteTable::walk(const HostEntry& entry, std::string_view path,
                               bool verified) const {
  const bool slash = path.back() == '/';
  const std::string_view trimmed = slash ? path.substr(0, path.size() - 1) : path;

  const PathTrie::Rules* rules = &trie_.rules(entry.root);
  std::uint32_t node = entry.root;
  std::uint32_t best = rules->prefix;
  std::size_t pos = 1;
  bool consumed = trimmed.empty();
  while (!consumed) {
    std::size_t end = trimmed.find('/', pos);
    const bool last = end == std::string_view::npos;
    if (last) end = trimmed.size();
    std::string_view element = trimmed.substr(pos, end - pos);
    PathTrie::Step step = verified ? trie_.find_verified(node, element) : trie_.find(node, element);
    if (!step.rules) break;
    node = step.node;
    rules = step.rules;
    if (rules->prefix != kNone) best = rules->prefix;
    pos = end + 1;
    consumed = last;
  }
  if (consumed) {
    // The whole path reached this node: an Exact rule here is the longest possible match and
    // beats a Prefix of equal length (SPEC.md §5).
    std::uint32_t exact = slash ? rules->exact_slash : rules->exact_plain;
    if (exact != kNone) best = exact;
  }
  return best;
}

bool RouteTable::holds(std::uint32_t id, std::string_view path) const {
  const RouteKey& key = keys_[id];
  std::string_view rule(path_arena_.data() + key.path_offset, key.path_length);
  if (key.exact) return rule == path;
  if (rule.back() == '/') rule.remove_suffix(1);
  return path.starts_with(rule) && (path.size() == rule.size() || path[rule.size()] == '/');
}

MatchResult RouteTable::match_in(const HostEntry& entry, std::string_view path) const {
  MatchResult result;
  if (entry.root == kNone) return result;
  std::size_t query = path.find('?');
  if (query != std::string_view::npos) path = path.substr(0, query);
  if (path.empty()) path = "/";
  if (path.front() != '/') return result;  // not an origin-form path: no rule can match it

  std::uint32_t best = walk(entry, path, trie_.verified_only());
  // The fast walk compares elements by hash; confirm the winner, else walk again with keys.
  if (best != kNone && !holds(best, path)) best = walk(entry, path, true);
  if (best != kNone) {
    result.kind = MatchKind::kRoute;
    result.route = &routes_[best];
    result.cluster = &clusters_[keys_[best].cluster];
  }
  return result;
}

MatchResult RouteTable::match(std::string_view host, std::string_view path) const {
  const HostEntry* entry = choose_host(host);
  if (entry) {
    MatchResult result = match_in(*entry, path);
    if (result.kind == MatchKind::kRoute) return result;
    if (!entry->host.empty()) {
      // A chosen host never falls through to other hosts' rules or the global default.
      if (entry->default_cluster != kNone) {
        result.kind = MatchKind::kHostDefault;
        result.cluster = &clusters_[entry->default_cluster];
      }
      return result;
    }
  }
  MatchResult result;
  if (default_cluster_ != kNone) {
    result.kind = MatchKind::kDefault;
    result.cluster = &clusters_[default_cluster_];
  }
  return result;
}

std::size_t RouteTable::memory_bytes() const {
  std::size_t bytes = sizeof(*this) + trie_.memory_bytes() +
                      routes_.capacity() * sizeof(Route) + clusters_.capacity() * sizeof(Cluster) +
                      hosts_.capacity() * sizeof(HostEntry) + exact_hosts_.memory_bytes() +
                      wildcard_hosts_.memory_bytes();
  bytes += keys_.capacity() * sizeof(RouteKey) + path_arena_.capacity();
  for (const Route& r : routes_) bytes += r.host.capacity() + r.path.capacity();
  for (const Cluster& c : clusters_) bytes += c.endpoints.capacity() * sizeof(Endpoint);
  for (const HostEntry& h : hosts_) bytes += h.routes.capacity() * sizeof(std::uint32_t);
  return bytes;
}

}  // namespace gatehouse::routing
