// A fast, non-cryptographic hash for short keys (host names, path elements), and FlatIndex, the
// open-addressing table keyed by (tag, string) that the RouteTable is built from. Tables are built
// once per snapshot and never change, so a request only reads them: no locks, no allocation.
// Keys come from the configuration, not from clients, so a client cannot lengthen probe chains.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::routing {

namespace detail {
inline std::uint64_t load64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline std::uint64_t load32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
__extension__ using uint128 = unsigned __int128;
inline std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  uint128 product = static_cast<uint128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}
}  // namespace detail

// Inline because match() hashes every path element: short keys (the common case) are read with
// at most two overlapping loads and no loop.
inline std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed) {
  using namespace detail;
  constexpr std::uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull;
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  std::uint64_t h = seed ^ (n * k0);
  std::uint64_t a, b;
  if (n <= 16) {
    if (n >= 8) {
      a = load64(p);
      b = load64(p + n - 8);
    } else if (n >= 4) {
      a = load32(p);
      b = load32(p + n - 4);
    } else if (n > 0) {
      a = (static_cast<std::uint64_t>(static_cast<unsigned char>(p[0])) << 16) |
          (static_cast<std::uint64_t>(static_cast<unsigned char>(p[n >> 1])) << 8) |
          static_cast<unsigned char>(p[n - 1]);
      b = 0;
    } else {
      a = b = 0;
    }
  } else {
    while (n > 16) {
      h = mix(load64(p) ^ k1, load64(p + 8) ^ h);
      p += 16;
      n -= 16;
    }
    a = load64(p + n - 16);
    b = load64(p + n - 8);
  }
  return mix(k1 ^ bytes.size(), mix(a ^ k1, b ^ h));
}

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
  // Makes room for `entries` keys of `key_bytes` in all, so building grows nothing.
  void reserve(std::size_t entries, std::size_t key_bytes);
  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot) + arena_.capacity(); }

  // Calls f(tag, key, hash, value) for every entry.
  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.value != kMissing)
        f(s.tag, std::string_view(arena_.data() + s.key_offset, s.key_length), s.hash, s.value);
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t key_offset = 0;
    std::uint32_t key_length = 0;
    std::uint32_t tag = 0;
    std::uint32_t value = kMissing;  // kMissing marks an empty slot
  };
  void grow();
  void grow(std::size_t slots);  // to `slots` (a power of two), rehashing

  std::vector<Slot> slots_;  // power-of-two size, at most half full
  std::string arena_;
  std::size_t size_ = 0;
};

}  // namespace gatehouse::routing
