// PathTrie: the path elements of every host's rules, as one trie. Built by TableBuilder, then
// frozen into a lookup table whose slots carry the child's rules, so match() touches one cache
// line per path element.
//
// The frozen slots are compared by 64-bit hash, not by key: a request element whose hash collides
// with a stored one can lead the walk astray, so RouteTable verifies the rule it found against the
// request and, in the (astronomically rare) case it does not hold, walks again with full key
// comparison (find_verified). If two stored keys under one parent collide, the table is frozen in
// verified-only mode.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "routing/hash.h"

namespace gatehouse::routing {

class PathTrie {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;

  // The rules that end at one node (route ids); precedence among them is settled at build time.
  struct Rules {
    std::uint32_t exact_plain = kNone;  // Exact rule written without a trailing slash
    std::uint32_t exact_slash = kNone;  // Exact rule written with a trailing slash (or "/")
    std::uint32_t prefix = kNone;       // the Prefix-like rule that wins at this node
  };

  struct Step {
    std::uint32_t node = kNone;
    const Rules* rules = nullptr;
  };

  // ---- building
  void reserve(std::size_t nodes, std::size_t element_bytes) {
    nodes_.reserve(nodes);
    edges_.reserve(nodes, element_bytes);
  }
  std::uint32_t add_root();
  std::uint32_t add_child(std::uint32_t parent, std::string_view element);
  Rules& rules(std::uint32_t node) { return nodes_[node]; }

  // Freezes the trie: builds the lookup table and frees what only building needed (the edge
  // index and the per-node rules, which the slots carry). Take the root's rules first.
  void freeze();

  // ---- lookup (after freeze)
  // The child of `parent` named `element`, by hash only; {kNone, nullptr} when there is none.
  Step find(std::uint32_t parent, std::string_view element) const;
  // The same with the key compared byte for byte.
  Step find_verified(std::uint32_t parent, std::string_view element) const;
  bool verified_only() const { return verified_only_; }

  std::size_t memory_bytes() const {
    return nodes_.capacity() * sizeof(Rules) + slot_count_ * sizeof(Slot) +
           edges_.memory_bytes() + keys_.capacity();
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t parent = 0;
    std::uint32_t node = kNone;  // kNone marks an empty slot
    Rules rules;
    std::uint32_t key = 0;  // offset into keys_ of the element (for verified lookups)
  };
  static_assert(sizeof(Slot) == 32);

  struct FreeSlots {
    void operator()(Slot* slots) const;
  };

  // What a lookup reads comes first, on one cache line with the HostTable fields before it.
  // The frozen copy of edges_ keyed by hash, power-of-two size. Large tables are backed by huge
  // pages where the kernel allows: a random probe then costs a cache miss but no TLB miss.
  std::unique_ptr<Slot[], FreeSlots> slots_;
  std::size_t slot_count_ = 0;
  bool verified_only_ = false;
  std::vector<Rules> nodes_;  // while building
  FlatIndex edges_;           // (parent, element) → child, while building
  std::string keys_;          // after freeze: each element as a 4-byte length and its bytes
};

inline PathTrie::Step PathTrie::find(std::uint32_t parent, std::string_view element) const {
  const std::uint64_t hash = hash_bytes(element, parent);
  const std::size_t mask = slot_count_ - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.node == kNone) return {};
    if (s.hash == hash && s.parent == parent) return {s.node, &s.rules};
  }
}

}  // namespace gatehouse::routing
