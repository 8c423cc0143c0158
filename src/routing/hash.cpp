#include "routing/hash.h"

#include <cstring>

namespace gatehouse::routing {

std::uint32_t FlatIndex::insert(std::uint32_t tag, std::string_view key, std::uint32_t value) {
  if ((size_ + 1) * 2 > slots_.size()) grow();
  const std::uint64_t hash = hash_bytes(key, tag);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.value == kMissing) {
      s.hash = hash;
      s.key_offset = static_cast<std::uint32_t>(arena_.size());
      s.key_length = static_cast<std::uint32_t>(key.size());
      s.tag = tag;
      s.value = value;
      arena_.append(key);
      ++size_;
      return value;
    }
    if (s.hash == hash && s.tag == tag && s.key_length == key.size() &&
        std::memcmp(arena_.data() + s.key_offset, key.data(), key.size()) == 0)
      return s.value;
  }
}

std::uint32_t FlatIndex::find_hashed(std::uint32_t tag, std::string_view key,
                                     std::uint64_t hash) const {
  if (slots_.empty()) return kMissing;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.value == kMissing) return kMissing;
    if (s.hash == hash && s.tag == tag && s.key_length == key.size() &&
        std::memcmp(arena_.data() + s.key_offset, key.data(), key.size()) == 0)
      return s.value;
  }
}

void FlatIndex::reserve(std::size_t entries, std::size_t key_bytes) {
  arena_.reserve(key_bytes);
  std::size_t slots = slots_.empty() ? 16 : slots_.size();
  while (entries * 2 > slots) slots *= 2;
  if (slots != slots_.size()) grow(slots);
}

void FlatIndex::grow() { grow(slots_.empty() ? 16 : slots_.size() * 2); }

void FlatIndex::grow(std::size_t slots) {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(slots, Slot{});
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.value == kMissing) continue;
    std::size_t i = s.hash & mask;
    while (slots_[i].value != kMissing) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

}  // namespace gatehouse::routing
