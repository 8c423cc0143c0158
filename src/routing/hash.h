// A fast, non-cryptographic hash for short keys (host names, path segments), and FlatIndex, the
// open-addressing table the RouteTable looks them up in. The table is built once per snapshot and
// never changes, so a request only reads it: no locks, no allocation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::routing {

std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed);

// Maps (tag, key) to a uint32 value. `tag` lets one table hold keys of many scopes, e.g. the
// children of every trie node (tag = parent node id). Keys are copied into an arena owned here.
class FlatIndex {
 public:
  static constexpr std::uint32_t kMissing = 0xffffffffu;

  // Inserts (tag, key) → value unless present; returns the value now stored for the key.
  std::uint32_t insert(std::uint32_t tag, std::string_view key, std::uint32_t value);
  std::uint32_t find(std::uint32_t tag, std::string_view key) const {
    return find_hashed(tag, key, hash_bytes(key, tag));
  }
  std::uint32_t find_hashed(std::uint32_t tag, std::string_view key, std::uint64_t hash) const;
  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot) + arena_.capacity(); }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t key_offset = 0;
    std::uint32_t key_length = 0;
    std::uint32_t tag = 0;
    std::uint32_t value = kMissing;  // kMissing marks an empty slot
  };
  void grow();

  std::vector<Slot> slots_;  // power-of-two size, at most half full
  std::string arena_;
  std::size_t size_ = 0;
};

}  // namespace gatehouse::routing
