#include "routing/host_table.h"

namespace gatehouse::routing {

std::uint32_t HostTable::walk(std::string_view path, bool verified) const {
  const bool slash = path.back() == '/';
  const std::string_view trimmed = slash ? path.substr(0, path.size() - 1) : path;

  const PathTrie::Rules* rules = &root_rules_;
  std::uint32_t node = root_;
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

bool HostTable::holds(std::uint32_t id, std::string_view path) const {
  const RouteKey& key = keys_[id];
  std::string_view rule(path_arena_.data() + key.path_offset, key.path_length);
  if (key.exact) return rule == path;
  if (rule.back() == '/') rule.remove_suffix(1);
  return path.starts_with(rule) && (path.size() == rule.size() || path[rule.size()] == '/');
}

std::uint32_t HostTable::match(std::string_view path) const {
  if (root_ == kNone || path.empty() || path.front() != '/') return kNone;
  std::uint32_t best = walk(path, trie_.verified_only());
  // The fast walk compares elements by hash; confirm the winner, else walk again with keys.
  if (best != kNone && !holds(best, path)) best = walk(path, true);
  return best;
}

std::size_t HostTable::memory_bytes() const {
  std::size_t bytes = sizeof(*this) + host_.capacity() + trie_.memory_bytes() +
                      routes_.capacity() * sizeof(Route) + keys_.capacity() * sizeof(RouteKey) +
                      path_arena_.capacity();
  bytes += ingresses_.capacity() * sizeof(IngressRef);
  return bytes;
}

}  // namespace gatehouse::routing
