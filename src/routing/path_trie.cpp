#include "routing/path_trie.h"

#include <sys/mman.h>

#include <bit>
#include <cstring>
#include <cstdlib>
#include <memory>
#include <new>

namespace gatehouse::routing {

std::uint32_t PathTrie::add_root() {
  nodes_.emplace_back();
  return static_cast<std::uint32_t>(nodes_.size() - 1);
}

std::uint32_t PathTrie::add_child(std::uint32_t parent, std::string_view element) {
  const auto next = static_cast<std::uint32_t>(nodes_.size());
  std::uint32_t found = edges_.insert(parent, element, next);
  if (found == next) nodes_.emplace_back();
  return found;
}

void PathTrie::FreeSlots::operator()(Slot* slots) const { std::free(slots); }

void PathTrie::freeze() {
  // At most ~60% full: short probe runs that mostly stay within one cache line.
  const std::size_t capacity = std::bit_ceil(edges_.size() * 5 / 3 + 2);
  constexpr std::size_t kHugePage = 2 << 20;
  const std::size_t bytes = capacity * sizeof(Slot);
  const std::size_t alignment = bytes >= kHugePage ? kHugePage : 64;
  void* memory = std::aligned_alloc(alignment, (bytes + alignment - 1) / alignment * alignment);
  if (!memory) throw std::bad_alloc();
  if (alignment == kHugePage) madvise(memory, bytes, MADV_HUGEPAGE);  // advice only: may be off
  slots_.reset(static_cast<Slot*>(memory));
  slot_count_ = capacity;
  std::uninitialized_fill_n(slots_.get(), capacity, Slot{});
  const std::size_t mask = capacity - 1;
  keys_.clear();
  edges_.for_each([&](std::uint32_t parent, std::string_view key, std::uint64_t hash,
                      std::uint32_t child) {
    std::size_t i = hash & mask;
    for (; slots_[i].node != kNone; i = (i + 1) & mask)
      if (slots_[i].hash == hash && slots_[i].parent == parent) verified_only_ = true;
    const auto offset = static_cast<std::uint32_t>(keys_.size());
    const auto length = static_cast<std::uint32_t>(key.size());
    keys_.append(reinterpret_cast<const char*>(&length), sizeof(length)).append(key);
    slots_[i] = Slot{hash, parent, child, nodes_[child], offset};
  });
  keys_.shrink_to_fit();
  // Only building needs these; the slots carry each node's rules (a small host's trie is
  // mostly this index otherwise).
  edges_ = FlatIndex();
  nodes_ = std::vector<Rules>();
}

// The element's slot has the element's hash, so a probe from that hash meets it before an empty
// slot; slots with the same hash but another key (a collision) are passed over.
PathTrie::Step PathTrie::find_verified(std::uint32_t parent, std::string_view element) const {
  const std::uint64_t hash = hash_bytes(element, parent);
  const std::size_t mask = slot_count_ - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.node == kNone) return {};
    if (s.hash != hash || s.parent != parent) continue;
    std::uint32_t length;
    std::memcpy(&length, keys_.data() + s.key, sizeof(length));
    if (std::string_view(keys_.data() + s.key + sizeof(length), length) == element)
      return {s.node, &s.rules};
  }
}

}  // namespace gatehouse::routing
