#include "routing/table_builder.h"

namespace gatehouse::routing {

namespace {
// "/a/b/" → ("/a/b", true); "/" → ("", true); "/a" → ("/a", false).
std::pair<std::string_view, bool> trim_slash(std::string_view path) {
  if (!path.empty() && path.back() == '/') return {path.substr(0, path.size() - 1), true};
  return {path, false};
}
}  // namespace

TableBuilder::TableBuilder(std::string host) : table_(std::make_unique<HostTable>()) {
  table_->host_ = std::move(host);
}

void TableBuilder::reserve(std::size_t routes, std::size_t path_bytes) {
  HostTable& t = *table_;
  paths_.reserve(routes);
  t.routes_.reserve(routes);
  t.keys_.reserve(routes);
  t.path_arena_.reserve(path_bytes);
  // About one trie node per route: a path's first elements are mostly shared with others.
  t.trie_.reserve(routes + 1, path_bytes);
}

std::uint32_t TableBuilder::add_route(Route route, std::string path) {
  HostTable& t = *table_;
  route.id = static_cast<std::uint32_t>(t.routes_.size());
  if (t.root_ == kNone) t.root_ = t.trie_.add_root();

  auto [trimmed, slash] = trim_slash(path);
  std::uint32_t node = t.root_;
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
    const std::string& current_path = paths_[current.id];
    if (current_path == path) {
      shadowed_by = current.id;  // a conflict: the earlier (older) route keeps the path
    } else if (slash && !current_path.ends_with('/')) {
      n.prefix = route.id;  // "/foo/" is preferred over "/foo" (the longer path as written)
    }
  }
  route.shadowed_by = shadowed_by;
  t.routes_.push_back(route);
  paths_.push_back(std::move(path));
  return shadowed_by;
}

std::uint32_t TableBuilder::add_ingress(IngressRef ingress) {
  table_->ingresses_.push_back(std::move(ingress));
  return static_cast<std::uint32_t>(table_->ingresses_.size() - 1);
}

bool TableBuilder::set_default(std::uint32_t cluster, const IngressRef& from) {
  HostTable& t = *table_;
  if (t.default_cluster_ != kNone) return false;
  t.default_cluster_ = cluster;
  t.default_from_ = from;
  return true;
}

std::shared_ptr<const HostTable> TableBuilder::finish() {
  HostTable& t = *table_;
  if (t.root_ != kNone) {
    t.root_rules_ = t.trie_.rules(t.root_);
    t.trie_.freeze();
  }
  t.keys_.reserve(t.routes_.size());
  std::size_t bytes = 0;
  for (const std::string& path : paths_) bytes += path.size();
  t.path_arena_.reserve(bytes);  // exactly: the routes' views must not move
  for (Route& r : t.routes_) {
    const std::string& path = paths_[r.id];
    t.keys_.push_back({static_cast<std::uint32_t>(t.path_arena_.size()),
                       static_cast<std::uint32_t>(path.size()), r.cluster,
                       r.path_type == model::PathType::kExact});
    t.path_arena_.append(path);
  }
  for (Route& r : t.routes_) {
    const auto& key = t.keys_[r.id];
    r.path = std::string_view(t.path_arena_.data() + key.path_offset, key.path_length);
  }
  paths_.clear();
  return std::shared_ptr<const HostTable>(std::move(table_));
}

}  // namespace gatehouse::routing
