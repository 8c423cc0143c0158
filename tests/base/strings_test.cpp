#include "base/strings.h"

#include <gtest/gtest.h>

namespace gatehouse {

TEST(Strings, SplitKeepsEmptyElements) {
  auto parts = split("/a//b/", '/');
  ASSERT_EQ(parts.size(), 5u);
  EXPECT_EQ(parts[0], "");
  EXPECT_EQ(parts[1], "a");
  EXPECT_EQ(parts[2], "");
  EXPECT_EQ(parts[3], "b");
  EXPECT_EQ(parts[4], "");
}

TEST(Strings, QuotedEscapesControlBytesAndCutsLongInput) {
  EXPECT_EQ(quoted("a\"b\n"), "\"a\\\"b\\x0a\"");
  std::string long_text(500, 'x');
  EXPECT_EQ(gatehouse::quoted(long_text).size(), 1u + 120 + 3 + 1);
}

TEST(Strings, ToLowerTouchesOnlyAscii) { EXPECT_EQ(to_lower("Foo.ORG\xc3\x89"), "foo.org\xc3\x89"); }

}  // namespace gatehouse
