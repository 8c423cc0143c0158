#include "routing/path_normalize.h"

#include <gtest/gtest.h>

namespace gatehouse::routing {
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
  EXPECT_EQ(norm("/api/group%2Fproject"), "/api/group%2Fproject");
  EXPECT_EQ(norm("/a%2F...%2Fb"), "/a%2F...%2Fb");  // "..." is no dot-segment
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

// An escaped slash beside a dot-segment is what a pod that decodes %2F before resolving dots
// would turn into a path outside the rule that matched ("/pub/..%2Finternal" → "/internal").
TEST(PathNormalize, RefusesDotSegmentsBesideEscapedSlashes) {
  std::string out;
  for (const char* bad : {"/pub/..%2finternal", "/pub/..%2Finternal", "/pub/%2e%2e%2Fx",
                          "/a%2F..%2Fb", "/a/.%2F", "/a/%2F..", "/a/..%5Cb", "/x%5c.%5cy",
                          "/pub%2F..%2F..%2Finternal"})
    EXPECT_EQ(normalize_path(bad, {}, out), PathVerdict::kDotSlash) << bad;
}

// RFC 9112 §3.2 and RFC 9113 §8.3.1: a path holds pchar and '/' only; a fragment never reaches
// the router or the pod.
TEST(PathNormalize, RefusesCharactersOutsideThePathGrammar) {
  std::string out;
  for (const char* bad : {"/internal/secret.txt#/../../pub/x", "/a#", "/a\\..\\b", "/a b",
                          "/a\"b", "/a<b>", "/a{b}", "/a|b", "/a^b", "/a`b", "/a[b]",
                          "/a\x7f", "/a\x80", "/a\tb"})
    EXPECT_EQ(normalize_path(bad, {}, out), PathVerdict::kBadCharacter) << bad;
  EXPECT_EQ(norm("/a!$&'()*+,;=:@b-._~"), "/a!$&'()*+,;=:@b-._~");
}

TEST(PathNormalize, TargetsNormalizeThePathThenCheckTheQuery) {
  std::string out;
  EXPECT_EQ(normalize_target("/a/../b", "q=1", {}, out), PathVerdict::kOk);
  EXPECT_EQ(out, "/b");
  EXPECT_EQ(normalize_target("/a", "q=1#f", {}, out), PathVerdict::kBadQuery);
  EXPECT_EQ(normalize_target("/a#", "q", {}, out), PathVerdict::kBadCharacter);
  EXPECT_EQ(path_refusal_status(PathVerdict::kBadQuery), 400);
  EXPECT_EQ(path_refusal_status(PathVerdict::kTooLong), 414);
}

TEST(PathNormalize, QueriesAreVisibleAsciiWithoutFragments) {
  EXPECT_TRUE(valid_query(""));
  EXPECT_TRUE(valid_query("a=1&b=%2F|[x]{y}/?z"));
  EXPECT_FALSE(valid_query("a=1#frag"));
  EXPECT_FALSE(valid_query("a=1 2"));
  EXPECT_FALSE(valid_query("a=\x80"));
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
}  // namespace gatehouse::routing
