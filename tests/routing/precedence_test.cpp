#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "routing/fixtures.h"

namespace gatehouse::routing {
namespace {

using namespace testing;  // NOLINT
constexpr auto P = PathType::kPrefix;
constexpr auto E = PathType::kExact;

TEST(Precedence, LongestPathWinsWhateverTheOrder) {
  model::Objects objects;
  objects.ingresses.push_back(ingress(
      "p", {rule("h.org", {path("/", P, "root"), path("/a/b/c", P, "abc"), path("/a", P, "a")})}));
  auto t = compile_with_backends(objects).table;
  EXPECT_EQ(matched_service(*t, "h.org", "/a/b/c/d"), "abc");
  EXPECT_EQ(matched_service(*t, "h.org", "/a/b"), "a");
  EXPECT_EQ(matched_service(*t, "h.org", "/z"), "root");
}

TEST(Precedence, ExactBeatsPrefixAtEqualLengthEvenWithTrailingSlash) {
  model::Objects objects;
  objects.ingresses.push_back(
      ingress("p", {rule("h.org", {path("/foo/", P, "prefix-slash"), path("/foo", E, "exact")})}));
  auto t = compile_with_backends(objects).table;
  EXPECT_EQ(matched_service(*t, "h.org", "/foo"), "exact");
  EXPECT_EQ(matched_service(*t, "h.org", "/foo/"), "prefix-slash");
}

TEST(Precedence, TrailingSlashPrefixBeatsTheSamePathWithout) {
  for (bool slash_first : {true, false}) {
    model::Objects objects;
    auto with = path("/foo/", P, "with"), without = path("/foo", P, "without");
    objects.ingresses.push_back(ingress(
        "p", {rule("h.org", slash_first ? std::vector{with, without} : std::vector{without, with})}));
    auto t = compile_with_backends(objects).table;
    EXPECT_EQ(matched_service(*t, "h.org", "/foo"), "with");
    EXPECT_EQ(matched_service(*t, "h.org", "/foo/x"), "with");
  }
}

TEST(Precedence, RulesOfOneHostMergeAcrossIngresses) {
  model::Objects objects;
  objects.ingresses.push_back(ingress("one", {rule("h.org", {path("/a", P, "a")})}));
  objects.ingresses.push_back(ingress("two", {rule("h.org", {path("/b", P, "b")})}, "other"));
  auto t = compile_with_backends(objects).table;
  EXPECT_EQ(matched_service(*t, "h.org", "/a"), "a");
  EXPECT_EQ(matched_service(*t, "h.org", "/b"), "b");
  EXPECT_EQ(t->match("h.org", "/b").cluster->namespace_, "other");
}

model::Objects conflicting(std::optional<std::int64_t> ts_x, std::optional<std::int64_t> ts_y) {
  model::Objects objects;
  auto x = ingress("x", {rule("h.org", {path("/same", P, "from-x")})});
  auto y = ingress("y", {rule("h.org", {path("/same", P, "from-y")})});
  x.meta.creation_timestamp = ts_x;
  y.meta.creation_timestamp = ts_y;
  objects.ingresses = {x, y};
  return objects;
}

TEST(Conflicts, OlderIngressWins) {
  auto c = compile_with_backends(conflicting(2000, 1000));
  EXPECT_EQ(matched_service(*c.table, "h.org", "/same"), "from-y");
  ASSERT_EQ(c.diagnostics.size(), 1u);
  EXPECT_EQ(c.diagnostics[0].name, "x");
  EXPECT_EQ(c.diagnostics[0].field, "spec.rules[0].http.paths[0]");
  EXPECT_NE(c.diagnostics[0].message.find("already defined by"), std::string::npos);
}

TEST(Conflicts, NamespaceAndNameBreakTiesAndMissingTimestampIsNewest) {
  EXPECT_EQ(matched_service(*compile_with_backends(conflicting(std::nullopt, std::nullopt)).table,
                            "h.org", "/same"),
            "from-x");
  EXPECT_EQ(matched_service(*compile_with_backends(conflicting(std::nullopt, 5)).table, "h.org",
                            "/same"),
            "from-y");
  EXPECT_EQ(matched_service(*compile_with_backends(conflicting(7, 7)).table, "h.org", "/same"),
            "from-x");
}

TEST(Conflicts, EarlierRuleInOneIngressWinsAndDifferentTypesDoNotConflict) {
  model::Objects objects;
  objects.ingresses.push_back(ingress(
      "p", {rule("h.org", {path("/d", P, "first"), path("/d", P, "second"), path("/d", E, "exact")})}));
  auto c = compile_with_backends(objects);
  EXPECT_EQ(matched_service(*c.table, "h.org", "/d/x"), "first");
  EXPECT_EQ(matched_service(*c.table, "h.org", "/d"), "exact");
  ASSERT_EQ(c.diagnostics.size(), 1u);
  EXPECT_EQ(c.diagnostics[0].field, "spec.rules[0].http.paths[1]");
  EXPECT_EQ(c.table->routes()[1].route->shadowed_by, 0u);
}

TEST(Compile, SameObjectsInAnyOrderGiveTheSameTable) {
  model::Objects objects;
  for (int i = 0; i < 12; ++i)
    objects.ingresses.push_back(ingress(
        "ing" + std::to_string(i),
        {rule(i % 3 ? "h" + std::to_string(i % 4) + ".org" : "",
              {path("/p" + std::to_string(i % 5), i % 2 ? P : E, "s" + std::to_string(i)),
               path("/", P, "root" + std::to_string(i % 2))})}));
  add_backends(objects);
  auto describe = [](const RouteTable& t) {
    std::string out;
    for (const RouteView& r : t.routes())
      out += r.name() + " " + r.host->host() + std::string(r.route->path) + " " +
             t.cluster(r.route->cluster).label() + " " + std::to_string(r.route->shadowed_by) +
             "\n";
    return out;
  };
  const std::string expected = describe(*compile(objects, {}).table);
  std::mt19937 rng(42);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(objects.ingresses.begin(), objects.ingresses.end(), rng);
    std::shuffle(objects.services.begin(), objects.services.end(), rng);
    std::shuffle(objects.endpoint_slices.begin(), objects.endpoint_slices.end(), rng);
    EXPECT_EQ(describe(*compile(objects, {}).table), expected);
  }
}

}  // namespace
}  // namespace gatehouse::routing
