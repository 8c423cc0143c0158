// PathTrie after freeze: the hash-only lookup and the verified one (full key comparison, used
// when a hash collision is suspected) agree on every stored element, and the verified one finds
// nothing for an element that is not stored, though the build-time index is gone.
#include "routing/path_trie.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

namespace gatehouse::routing {
namespace {

TEST(PathTrie, VerifiedLookupAgreesWithHashLookupAfterFreeze) {
  std::mt19937 rng(7);
  PathTrie trie;
  std::map<std::pair<std::uint32_t, std::string>, std::uint32_t> stored;
  std::vector<std::uint32_t> nodes{trie.add_root()};
  for (int i = 0; i < 500; ++i) {
    const std::uint32_t parent = nodes[rng() % nodes.size()];
    std::string element(1 + rng() % 20, 'a');
    for (char& c : element) c = static_cast<char>('a' + rng() % 3);  // many near-duplicates
    const std::uint32_t child = trie.add_child(parent, element);
    trie.rules(child).prefix = child * 10;  // something to recognise the node by
    if (stored.emplace(std::make_pair(parent, element), child).second) nodes.push_back(child);
  }
  trie.freeze();
  ASSERT_FALSE(trie.verified_only());
  for (const auto& [key, child] : stored) {
    const auto& [parent, element] = key;
    PathTrie::Step fast = trie.find(parent, element);
    PathTrie::Step verified = trie.find_verified(parent, element);
    ASSERT_EQ(fast.node, child) << element;
    ASSERT_EQ(verified.node, child) << element;
    ASSERT_NE(verified.rules, nullptr);
    EXPECT_EQ(verified.rules->prefix, child * 10);
    // Not stored: the same element under a parent that does not have it, or a longer one.
    const std::string longer = element + "z";
    EXPECT_EQ(trie.find_verified(parent, longer).rules, nullptr);
    EXPECT_EQ(trie.find(parent, longer).rules, nullptr);
  }
}

}  // namespace
}  // namespace gatehouse::routing
