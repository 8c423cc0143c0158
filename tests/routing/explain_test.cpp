// explain() must tell the same story as match(): same winner, and reasons for the losers.
#include "routing/explain.h"

#include <gtest/gtest.h>

#include <random>

#include "routing/fixtures.h"

namespace gatehouse::routing {
namespace {

using namespace testing;  // NOLINT
constexpr auto P = PathType::kPrefix;
constexpr auto E = PathType::kExact;

TEST(Explain, NamesWinnerAndWhyEachCandidateLost) {
  model::Objects o;
  o.ingresses.push_back(ingress(
      "x", {rule("h.org", {path("/", P, "root"), path("/a", P, "a"), path("/a", E, "a-exact"),
                           path("/b", P, "b")})}));
  auto t = compile_with_backends(o).table;
  Explanation e = explain(*t, "H.org:80", "/a");
  EXPECT_EQ(e.host, "h.org");
  EXPECT_EQ(e.host_choice, "exact host h.org");
  ASSERT_EQ(e.candidates.size(), 4u);
  EXPECT_EQ(e.candidates[0].route->path_type, E);
  EXPECT_EQ(e.candidates[0].verdict, "wins");
  EXPECT_EQ(e.candidates[1].verdict, "loses: Exact beats Prefix at equal length");
  EXPECT_EQ(e.candidates[2].route->path, "/");
  EXPECT_NE(e.candidates[2].verdict.find("shorter match"), std::string::npos);
  EXPECT_FALSE(e.candidates[3].matches);
  EXPECT_NE(e.outcome.find("a-exact"), std::string::npos);
}

TEST(Explain, SaysWhichDefaultAnswers) {
  model::Objects o;
  o.ingresses.push_back(ingress("x", {rule("h.org", {path("/a", P, "a")})}));
  auto t = compile_with_backends(o).table;
  EXPECT_NE(explain(*t, "h.org", "/b").outcome.find("404 (no fall-through"), std::string::npos);
  EXPECT_NE(explain(*t, "z.org", "/b").host_choice.find("no host-less rules"), std::string::npos);
}

// Random tables and requests: explain's winner is always match's route.
TEST(Explain, AgreesWithMatchOnRandomTables) {
  std::mt19937 rng(7);
  const std::vector<std::string> elements = {"a", "b", "ab", "c"};
  auto random_path = [&](int max_depth, bool allow_empty) {
    std::string p;
    int depth = static_cast<int>(rng() % (max_depth + 1));
    for (int i = 0; i < depth; ++i) p += "/" + elements[rng() % elements.size()];
    if (p.empty() || rng() % 4 == 0) p += "/";
    if (allow_empty && rng() % 10 == 0) p += "/";
    return p;
  };
  const std::vector<std::string> hosts = {"h.org", "*.h.org", "", "x.h.org"};
  for (int round = 0; round < 40; ++round) {
    model::Objects o;
    for (int i = 0; i < 3; ++i) {
      std::vector<model::IngressRule> rules;
      for (int r = 0; r < 3; ++r) {
        std::vector<model::HTTPIngressPath> paths;
        for (int k = 0; k < 4; ++k)
          paths.push_back(path(random_path(3, false), rng() % 3 ? P : E,
                               "s" + std::to_string(rng() % 6)));
        rules.push_back(rule(hosts[rng() % hosts.size()], paths));
      }
      o.ingresses.push_back(ingress("i" + std::to_string(i), rules));
    }
    auto t = compile_with_backends(o).table;
    for (int q = 0; q < 200; ++q) {
      std::string host = std::vector<std::string>{"h.org", "y.h.org", "x.h.org", "other"}[rng() % 4];
      std::string request = random_path(4, true);
      MatchResult m = t->match(host, request);
      Explanation e = explain(*t, host, request);
      SCOPED_TRACE(host + request);
      if (m.kind == MatchKind::kRoute) {
        ASSERT_FALSE(e.candidates.empty());
        EXPECT_EQ(e.candidates[0].route, m.route);
        EXPECT_EQ(e.candidates[0].verdict, "wins");
      } else {
        for (const auto& c : e.candidates)
          EXPECT_TRUE(!c.matches || c.route->shadowed_by != kNone) << c.name;
      }
    }
  }
}

}  // namespace
}  // namespace gatehouse::routing
