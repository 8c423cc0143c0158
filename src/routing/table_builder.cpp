#include "routing/table_builder.h"

namespace gatehouse::routing {

namespace {
// "/a/b/" → ("/a/b", true); "/" → ("", true); "/a" → ("/a", false).
std::pair<std::string_view, bool> trim_slash(std::string_view path) {
  if (!path.empty() && path.back() == '/') return {path.substr(0, path.size() - 1), true};
  return {path, false};
}
}  // namespace

TableBuilder::TableBuilder() : table_(std::make_unique<RouteTable>()) {}

void TableBuilder::reserve(std::size_t routes, std::size_t path_bytes) {
  RouteTable& t = *table_;
  t.routes_.reserve(routes);
  t.keys_.reserve(routes);
  t.path_arena_.reserve(path_bytes);
  // About one trie node per route: a path's first elements are mostly shared with others.
  t.trie_.reserve(routes, path_bytes);
}

std::uint32_t TableBuilder::add_cluster(Cluster cluster) {
  table_->clusters_.push_back(std::move(cluster));
  return static_cast<std::uint32_t>(table_->clusters_.size() - 1);
}

std::uint32_t TableBuilder::host_entry(std::string_view host) {
  RouteTable& t = *table_;
  const auto next = static_cast<std::uint32_t>(t.hosts_.size());
  std::uint32_t index;
  if (host.empty()) {
    if (t.any_host_ == kNone) t.any_host_ = next;
    index = t.any_host_;
  } else if (host.starts_with("*.")) {
    index = t.wildcard_hosts_.insert(0, host.substr(2), next);
  } else {
    index = t.exact_hosts_.insert(0, host, next);
  }
  if (index == next) {
    t.hosts_.emplace_back();
    t.hosts_.back().host = std::string(host);
  }
  return index;
}

std::uint32_t TableBuilder::add_route(Route route, std::uint32_t host) {
  RouteTable& t = *table_;
  route.id = static_cast<std::uint32_t>(t.routes_.size());
  HostEntry& entry = t.hosts_[host];
  if (entry.root == kNone) entry.root = t.trie_.add_root();
  entry.routes.push_back(route.id);

  auto [trimmed, slash] = trim_slash(route.path);
  std::uint32_t node = entry.root;
  std::size_t pos = 1;
  while (pos <= trimmed.size()) {
    std::size_t end = trimmed.find('/', pos);
    if (end == std::string_view::npos) end = trimmed.size();
    node = t.trie_.add_child(node, trimmed.substr(pos, end - pos));
    pos = end + 1;
  }

  std::uint32_t shadowed_by = kNone;
  PathTrie::Rules& n = t.trie_.rules(node);
  if (!is_prefix_like(route.path_type)) {
    std::uint32_t& slot = slash ? n.exact_slash : n.exact_plain;
    if (slot == kNone)
      slot = route.id;
    else
      shadowed_by = slot;
  } else if (n.prefix == kNone) {
    n.prefix = route.id;
  } else {
    const Route& current = t.routes_[n.prefix];
    if (current.path == route.path) {
      shadowed_by = current.id;  // a conflict: the earlier (older) route keeps the path
    } else if (slash && !current.path.ends_with('/')) {
      n.prefix = route.id;  // "/foo/" is preferred over "/foo" (the longer path as written)
    }
  }
  route.shadowed_by = shadowed_by;
  t.routes_.push_back(std::move(route));
  return shadowed_by;
}

bool TableBuilder::set_host_default(std::uint32_t host, std::uint32_t cluster,
                                    const IngressRef& from) {
  HostEntry& entry = table_->hosts_[host];
  if (entry.default_cluster != kNone) return false;
  entry.default_cluster = cluster;
  entry.default_from = from;
  return true;
}

void TableBuilder::set_default(std::uint32_t cluster, std::optional<IngressRef> from) {
  table_->default_cluster_ = cluster;
  table_->default_from_ = std::move(from);
}

std::shared_ptr<const RouteTable> TableBuilder::finish() {
  RouteTable& t = *table_;
  t.trie_.freeze();
  t.keys_.reserve(t.routes_.size());
  for (const Route& r : t.routes_) {
    t.keys_.push_back({static_cast<std::uint32_t>(t.path_arena_.size()),
                       static_cast<std::uint32_t>(r.path.size()), r.cluster,
                       r.path_type == model::PathType::kExact});
    t.path_arena_.append(r.path);
  }
  return std::shared_ptr<const RouteTable>(std::move(table_));
}

}  // namespace gatehouse::routing
