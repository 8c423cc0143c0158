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

// explain and serve name the same rule for any request, normalized or not: serve normalizes the
// path (Session::handle, H2Connection::route) and matches; explain_request must do the same.
// 10,000 generated host/path pairs, most of them un-normalized, some refused.
TEST(Explain, NamesTheRuleServeUsesForUnnormalizedRequests) {
  std::mt19937 rng(11);
  model::Objects o;
  o.ingresses.push_back(ingress("a", {rule("h.org", {path("/a", P, "s1"), path("/a/b", E, "s2"),
                                                     path("/b/c", P, "s3"), path("/", P, "s4")}),
                                      rule("*.h.org", {path("/a", P, "s5")})}));
  o.ingresses.push_back(ingress("b", {rule("", {path("/x", P, "s6")}),
                                      rule("other.org", {path("/a%2Fb", P, "s7")})}));
  auto t = compile_with_backends(o).table;
  const std::vector<std::string> segments = {"a", "b", "c", "x", "..", ".", "", "%2e%2e", "%2E",
                                             "%61", "%62", "a%2Fb", "..%2F", "%2F..", "~",
                                             "%7e", "#", "a b", "%zz", "%", "ab"};
  const std::vector<std::string> hosts = {"h.org", "H.ORG", "y.h.org", "other.org", "none.org",
                                          "h.org:8080", ""};
  const PathPolicy policy;
  for (int q = 0; q < 10000; ++q) {
    std::string target;
    const int depth = 1 + static_cast<int>(rng() % 5);
    for (int i = 0; i < depth; ++i) {
      target += '/';
      target += segments[rng() % segments.size()];
    }
    if (rng() % 4 == 0) target += rng() % 2 ? "?q=/../a" : "?q=%2F#frag";
    const std::string host = hosts[rng() % hosts.size()];
    SCOPED_TRACE(host + " " + target);

    // What serve does.
    const std::size_t question = target.find('?');
    const std::string_view query = question == std::string::npos
                                       ? std::string_view()
                                       : std::string_view(target).substr(question + 1);
    std::string normalized;
    const PathVerdict verdict = normalize_target(std::string_view(target).substr(0, question),
                                                 query, policy, normalized);

    const RequestExplanation e = explain_request(*t, host, target, policy);
    ASSERT_EQ(e.verdict == PathVerdict::kOk, verdict == PathVerdict::kOk);
    if (verdict != PathVerdict::kOk) continue;
    const MatchResult m = t->match(host, normalized);
    EXPECT_EQ(e.path, normalized);
    EXPECT_EQ(e.explanation.result.kind, m.kind);
    EXPECT_EQ(e.explanation.result.route, m.route);
    EXPECT_EQ(e.explanation.result.cluster_id, m.cluster_id);
    if (m.kind == MatchKind::kRoute) {
      ASSERT_FALSE(e.explanation.candidates.empty());
      EXPECT_EQ(e.explanation.candidates[0].route, m.route);
    }
  }
}

}  // namespace
}  // namespace gatehouse::routing
