#include "routing/route_table.h"

#include "base/strings.h"

namespace gatehouse::routing {

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

std::uint32_t RouteTable::choose_host(std::string_view host, HostMatch* how) const {
  char buffer[kMaxHostLength];
  std::string_view h = normalize_host(host, buffer);
  if (!h.empty()) {
    std::uint32_t e = exact_hosts_.find(0, h);
    if (e != FlatIndex::kMissing) {
      if (how) *how = HostMatch::kExact;
      return e;
    }
    // A wildcard covers exactly one more, non-empty label: "*.foo.com" is found under "foo.com"
    // by dropping the request host's first label.
    std::size_t dot = h.find('.');
    if (dot != std::string_view::npos && dot > 0) {
      e = wildcard_hosts_.find(0, h.substr(dot + 1));
      if (e != FlatIndex::kMissing) {
        if (how) *how = HostMatch::kWildcard;
        return e;
      }
    }
  }
  if (any_host_ == kNone) return kNone;
  if (how) *how = HostMatch::kAnyHost;
  return any_host_;
}

MatchResult RouteTable::match(std::string_view host, std::string_view path) const {
  MatchResult result;
  const std::uint32_t index = choose_host(host);
  if (index != kNone) {
    const HostTable& entry = *hosts_[index];
    std::size_t query = path.find('?');
    if (query != std::string_view::npos) path = path.substr(0, query);
    if (path.empty()) path = "/";
    std::uint32_t route = entry.match(path);
    if (route != kNone) {
      result.kind = MatchKind::kRoute;
      result.route = &entry.routes()[route];
      result.host = index;
      result.cluster_id = entry.cluster_of(route);
      result.cluster = clusters_[result.cluster_id].get();
      return result;
    }
    if (!entry.host().empty()) {
      // A chosen host never falls through to other hosts' rules or the global default.
      if (entry.default_cluster() != kNone) {
        result.kind = MatchKind::kHostDefault;
        result.host = index;
        result.cluster_id = entry.default_cluster();
        result.cluster = clusters_[result.cluster_id].get();
      }
      return result;
    }
  }
  if (default_cluster_ != kNone) {
    result.kind = MatchKind::kDefault;
    result.cluster_id = default_cluster_;
    result.cluster = clusters_[default_cluster_].get();
  }
  return result;
}

std::vector<RouteView> RouteTable::routes() const {
  std::vector<RouteView> out;
  out.reserve(route_count_);
  for (std::size_t h = 0; h < hosts_.size(); ++h)
    for (const Route& r : hosts_[h]->routes())
      out.push_back(RouteView{hosts_[h].get(), &r, route_base_[h] + r.id + 1});
  return out;
}

std::size_t RouteTable::memory_bytes() const {
  std::size_t bytes = sizeof(*this) + hosts_.capacity() * sizeof(hosts_[0]) +
                      route_base_.capacity() * sizeof(std::uint32_t) +
                      clusters_.capacity() * sizeof(clusters_[0]) + exact_hosts_.memory_bytes() +
                      wildcard_hosts_.memory_bytes();
  for (const auto& h : hosts_) bytes += h->memory_bytes();
  for (const auto& c : clusters_) {
    if (!c) continue;
    bytes += sizeof(Cluster) + c->endpoints.capacity() * sizeof(Endpoint);
  }
  return bytes;
}

}  // namespace gatehouse::routing
