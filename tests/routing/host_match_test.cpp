#include <gtest/gtest.h>

#include "routing/fixtures.h"

namespace gatehouse::routing {
namespace {

using namespace testing;  // NOLINT
constexpr auto P = PathType::kPrefix;

std::shared_ptr<const RouteTable> hosts_table() {
  model::Objects objects;
  objects.ingresses.push_back(ingress(
      "hosts", {rule("foo.bar.com", {path("/", P, "exact")}),
                rule("*.bar.com", {path("/", P, "wildcard")}),
                rule("", {path("/", P, "any")}), rule("only.org", {path("/x", P, "only-x")})}));
  return compile_with_backends(objects).table;
}

TEST(HostMatch, ExactHostBeatsWildcardBeatsHostless) {
  auto t = hosts_table();
  EXPECT_EQ(matched_service(*t, "foo.bar.com", "/"), "exact");
  EXPECT_EQ(matched_service(*t, "baz.bar.com", "/"), "wildcard");
  EXPECT_EQ(matched_service(*t, "unknown.net", "/"), "any");
}

TEST(HostMatch, WildcardMatchesExactlyOneLabel) {
  auto t = hosts_table();
  EXPECT_EQ(matched_service(*t, "x.bar.com", "/"), "wildcard");
  EXPECT_EQ(matched_service(*t, "a.b.bar.com", "/"), "any");
  EXPECT_EQ(matched_service(*t, "bar.com", "/"), "any");
  EXPECT_EQ(matched_service(*t, ".bar.com", "/"), "any");  // the label must not be empty
}

TEST(HostMatch, CasePortAndTrailingDotAreIgnored) {
  auto t = hosts_table();
  EXPECT_EQ(matched_service(*t, "FOO.Bar.COM", "/"), "exact");
  EXPECT_EQ(matched_service(*t, "foo.bar.com:8080", "/"), "exact");
  EXPECT_EQ(matched_service(*t, "foo.bar.com.", "/"), "exact");
  EXPECT_EQ(matched_service(*t, "foo.bar.com.:443", "/"), "exact");
  EXPECT_EQ(matched_service(*t, "[::1]:80", "/"), "any");
  EXPECT_EQ(matched_service(*t, "", "/"), "any");
  EXPECT_EQ(matched_service(*t, std::string(300, 'a'), "/"), "any");
}

TEST(HostMatch, AChosenHostNeverFallsThrough) {
  auto t = hosts_table();
  // only.org has a rule, so its other paths get 404 rather than the host-less "/" rule.
  EXPECT_EQ(matched_service(*t, "only.org", "/x/1"), "only-x");
  MatchResult m = t->match("only.org", "/y");
  EXPECT_EQ(m.kind, MatchKind::kNotFound);
  EXPECT_EQ(m.cluster, nullptr);
}

TEST(HostMatch, AHostWithoutHttpClaimsItsHost) {
  model::Objects objects;
  objects.ingresses.push_back(
      ingress("claim", {rule("claimed.org", {}), rule("", {path("/", P, "any")})}));
  auto t = compile_with_backends(objects).table;
  EXPECT_EQ(t->match("claimed.org", "/").kind, MatchKind::kNotFound);
  EXPECT_EQ(matched_service(*t, "other.org", "/"), "any");
}

TEST(HostMatch, TalksFoobarTable) {
  model::Objects objects;
  objects.ingresses.push_back(ingress(
      "foobar", {rule("foo.org", {path("/a", P, "foo-a", 8080), path("/b", P, "foo-b", 8181)}),
                 rule("bar.org", {path("/a", P, "bar-a", 9090), path("/b", P, "bar-b", 9191)})}));
  auto t = compile_with_backends(objects).table;
  ASSERT_EQ(t->route_count(), 4u);
  const std::vector<RouteView> routes = t->routes();
  const char* expected[][4] = {{"r1", "foo.org", "/a", "foo-a:8080"},
                               {"r2", "foo.org", "/b", "foo-b:8181"},
                               {"r3", "bar.org", "/a", "bar-a:9090"},
                               {"r4", "bar.org", "/b", "bar-b:9191"}};
  for (std::size_t i = 0; i < 4; ++i) {
    const Route& r = *routes[i].route;
    EXPECT_EQ(routes[i].name(), expected[i][0]);
    EXPECT_EQ(routes[i].host->host(), expected[i][1]);
    EXPECT_EQ(r.path, expected[i][2]);
    EXPECT_EQ(t->cluster(r.cluster).label(), expected[i][3]);
    MatchResult m = t->match(expected[i][1], r.path);
    ASSERT_EQ(m.kind, MatchKind::kRoute);
    EXPECT_EQ(m.route, &r);
  }
  EXPECT_EQ(t->match("baz.org", "/a").kind, MatchKind::kNotFound);
  EXPECT_EQ(t->match("foo.org", "/c").kind, MatchKind::kNotFound);
}

}  // namespace
}  // namespace gatehouse::routing
