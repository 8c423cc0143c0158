// The Kubernetes documentation's path-matching examples (concepts/services-networking/ingress,
// "Examples"), all 18 rows; the two rows that list two request paths are checked once per path.
#include <gtest/gtest.h>

#include "routing/explain.h"
#include "routing/fixtures.h"

namespace gatehouse::routing {
namespace {

using namespace testing;  // NOLINT

struct Row {
  std::vector<std::pair<std::string, PathType>> paths;
  std::string request;
  std::string expected;  // the rule path that must win, "" for no match (default backend)
};

constexpr auto P = PathType::kPrefix;
constexpr auto E = PathType::kExact;

const std::vector<Row> kDocumentationTable = {
    {{{"/", P}}, "/anything/at/all", "/"},
    {{{"/foo", E}}, "/foo", "/foo"},
    {{{"/foo", E}}, "/bar", ""},
    {{{"/foo", E}}, "/foo/", ""},
    {{{"/foo/", E}}, "/foo", ""},
    {{{"/foo", P}}, "/foo", "/foo"},
    {{{"/foo", P}}, "/foo/", "/foo"},
    {{{"/foo/", P}}, "/foo", "/foo/"},
    {{{"/foo/", P}}, "/foo/", "/foo/"},
    {{{"/aaa/bb", P}}, "/aaa/bbb", ""},
    {{{"/aaa/bbb", P}}, "/aaa/bbb", "/aaa/bbb"},
    {{{"/aaa/bbb/", P}}, "/aaa/bbb", "/aaa/bbb/"},
    {{{"/aaa/bbb", P}}, "/aaa/bbb/", "/aaa/bbb"},
    {{{"/aaa/bbb", P}}, "/aaa/bbb/ccc", "/aaa/bbb"},
    {{{"/aaa/bbb", P}}, "/aaa/bbbxyz", ""},
    {{{"/", P}, {"/aaa", P}}, "/aaa/ccc", "/aaa"},
    {{{"/", P}, {"/aaa", P}, {"/aaa/bbb", P}}, "/aaa/bbb", "/aaa/bbb"},
    {{{"/", P}, {"/aaa", P}, {"/aaa/bbb", P}}, "/ccc", "/"},
    {{{"/aaa", P}}, "/ccc", ""},
    {{{"/foo", P}, {"/foo", E}}, "/foo", "/foo"},  // Mixed: Exact is preferred
};

TEST(PathMatch, KubernetesDocumentationTable) {
  for (std::size_t i = 0; i < kDocumentationTable.size(); ++i) {
    const Row& row = kDocumentationTable[i];
    std::vector<model::HTTPIngressPath> paths;
    for (std::size_t j = 0; j < row.paths.size(); ++j)
      paths.push_back(path(row.paths[j].first, row.paths[j].second, "svc" + std::to_string(j)));
    model::Objects objects;
    objects.ingresses.push_back(ingress("docs", {rule("foo.org", paths)}));
    auto compiled = compile_with_backends(objects);
    SCOPED_TRACE("row " + std::to_string(i) + ": request " + row.request);
    MatchResult m = compiled.table->match("foo.org", row.request);
    if (row.expected.empty()) {
      EXPECT_NE(m.kind, MatchKind::kRoute);
      continue;
    }
    ASSERT_EQ(m.kind, MatchKind::kRoute);
    EXPECT_EQ(m.route->path, row.expected);
    if (row.paths.size() == 2 && row.paths[1].second == E) {
      EXPECT_EQ(m.route->path_type, E) << "Exact must win over Prefix for the same path";
    }
  }
}

TEST(PathMatch, ReferenceMatcherAgreesWithTheTable) {
  EXPECT_TRUE(path_matches("/foo", P, "/foo/"));
  EXPECT_TRUE(path_matches("/foo/", P, "/foo"));
  EXPECT_FALSE(path_matches("/aaa/bbb", P, "/aaa/bbbxyz"));
  EXPECT_FALSE(path_matches("/foo", E, "/foo/"));
  EXPECT_TRUE(path_matches("/", P, "/x/y"));
}

TEST(PathMatch, MatchingIsCaseSensitive) {
  model::Objects objects;
  objects.ingresses.push_back(ingress("c", {rule("foo.org", {path("/Foo", P, "a"),
                                                              path("/bar", E, "b")})}));
  auto table = compile_with_backends(objects).table;
  EXPECT_EQ(matched_path(*table, "foo.org", "/Foo/x"), "/Foo");
  EXPECT_EQ(matched_path(*table, "foo.org", "/foo/x"), "");
  EXPECT_EQ(matched_path(*table, "foo.org", "/BAR"), "");
}

TEST(PathMatch, QueryStringIsIgnored) {
  model::Objects objects;
  objects.ingresses.push_back(ingress("q", {rule("foo.org", {path("/a", E, "a")})}));
  auto table = compile_with_backends(objects).table;
  EXPECT_EQ(matched_path(*table, "foo.org", "/a?x=/b"), "/a");
  EXPECT_EQ(matched_path(*table, "foo.org", "/a/?x"), "");
}

TEST(PathMatch, EmptyElementsDoNotMatchDeeperRules) {
  model::Objects objects;
  objects.ingresses.push_back(
      ingress("e", {rule("foo.org", {path("/a", P, "a"), path("/a/b", P, "ab"),
                                     path("/a/b/", E, "exact")})}));
  auto table = compile_with_backends(objects).table;
  EXPECT_EQ(matched_path(*table, "foo.org", "/a//b"), "/a");
  EXPECT_EQ(matched_path(*table, "foo.org", "/a/b//"), "/a/b");
  EXPECT_EQ(matched_path(*table, "foo.org", "/a/b/"), "/a/b/");
  EXPECT_EQ(matched_service(*table, "foo.org", "/a/b/"), "exact");
  EXPECT_EQ(matched_path(*table, "foo.org", "//"), "");
}

TEST(PathMatch, ImplementationSpecificIsPrefixAndAnEmptyPathIsRoot) {
  model::Objects objects;
  auto empty = path("", PathType::kImplementationSpecific, "root");
  objects.ingresses.push_back(ingress(
      "i", {rule("foo.org", {path("/api", PathType::kImplementationSpecific, "api"), empty})}));
  auto table = compile_with_backends(objects).table;
  EXPECT_EQ(matched_service(*table, "foo.org", "/api/v1"), "api");
  EXPECT_EQ(matched_service(*table, "foo.org", "/apiv1"), "root");
}

}  // namespace
}  // namespace gatehouse::routing
