#include "routing/path_trie.h"

#include <sys/mman.h>

#include <bit>
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
  edges_.for_each([&](std::uint32_t parent, std::string_view, std::uint64_t hash,
                      std::uint32_t child) {
    std::size_t i = hash & mask;
    for (; slots_[i].node != kNone; i = (i + 1) & mask)
      if (slots_[i].hash == hash && slots_[i].parent == parent) verified_only_ = true;
    slots_[i] = Slot{hash, parent, child, nodes_[child], 0};
  });
}

PathTrie::Step PathTrie::find_verified(std::uint32_t parent, std::string_view element) const {
  std::uint32_t child = edges_.find(parent, element);
  if (child == FlatIndex::kMissing) return {};
  return {child, &nodes_[child]};
}

}  // namespace gatehouse::routing
