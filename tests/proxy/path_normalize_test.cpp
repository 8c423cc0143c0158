#include "proxy/path_normalize.h"

#include <gtest/gtest.h>

namespace gatehouse::proxy {
namespace {

std::string norm(std::string_view in, bool merge = true) {
  std::string out;
  EXPECT_EQ(normalize_path(in, PathPolicy{merge}, out), PathVerdict::kOk) << in;
  return out;
}

TEST(PathNormalize, DotSegmentsCannotEscapeARoute) {
  EXPECT_EQ(norm("/a/../b"), "/b");
  EXPECT_EQ(norm("/%2e%2e/b"), "/b");
  EXPECT_EQ(norm("/%2E%2e/%2e/b"), "/b");
  EXPECT_EQ(norm("/../../b"), "/b");
  EXPECT_EQ(norm("/a/b/.."), "/a/");
  EXPECT_EQ(norm("/a/."), "/a/");
  EXPECT_EQ(norm("/a/./b/./"), "/a/b/");
  EXPECT_EQ(norm("/.."), "/");
  EXPECT_EQ(norm("/a/..//b"), "/b");
  EXPECT_EQ(norm("/a/.../b"), "/a/.../b");  // "..." is an ordinary segment
  EXPECT_EQ(norm("/a/..b/c"), "/a/..b/c");
}

TEST(PathNormalize, UnreservedEscapesAreDecodedOthersKeptUpperCase) {
  EXPECT_EQ(norm("/%61%62c"), "/abc");
  EXPECT_EQ(norm("/%7euser"), "/~user");
  EXPECT_EQ(norm("/a%2fb"), "/a%2Fb");  // an escaped slash never becomes a separator
  EXPECT_EQ(norm("/a%2F..%2Fb"), "/a%2F..%2Fb");
  EXPECT_EQ(norm("/%e2%82%ac"), "/%E2%82%AC");
  EXPECT_EQ(norm("/sp%20ace"), "/sp%20ace");
}

TEST(PathNormalize, RepeatedSlashesMergeByPolicy) {
  EXPECT_EQ(norm("//b"), "/b");
  EXPECT_EQ(norm("/a//b///"), "/a/b/");
  EXPECT_EQ(norm("/a//b", false), "/a//b");
  EXPECT_EQ(norm("/a//../b", false), "/a/b");
  EXPECT_EQ(norm("/"), "/");
  EXPECT_EQ(norm("/a/"), "/a/");
}

TEST(PathNormalize, RejectsBadEscapesAndNonOriginPaths) {
  std::string out;
  for (const char* bad : {"/%", "/%2", "/%zz", "/a%2/b", "/%g0"})
    EXPECT_EQ(normalize_path(bad, {}, out), PathVerdict::kBadEncoding) << bad;
  EXPECT_EQ(normalize_path("", {}, out), PathVerdict::kNotOrigin);
  EXPECT_EQ(normalize_path("a/b", {}, out), PathVerdict::kNotOrigin);
  EXPECT_EQ(normalize_path("*", {}, out), PathVerdict::kNotOrigin);
  EXPECT_EQ(normalize_path("/" + std::string(70000, 'a'), {}, out), PathVerdict::kTooLong);
}

TEST(PathNormalize, ReusedBufferDoesNotReallocate) {
  std::string out;
  out.reserve(256);
  const char* before = out.data();
  for (int i = 0; i < 100; ++i) normalize_path("/a/../b/%63/./d//e", {}, out);
  EXPECT_EQ(out, "/b/c/d/e");
  EXPECT_EQ(out.data(), before);
}

}  // namespace
}  // namespace gatehouse::proxy
