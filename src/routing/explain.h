// explain: why a request goes where match() sends it. The slow, readable twin of match(): it
// checks every rule of the chosen host with the element-by-element reference matcher, orders them
// by SPEC.md §5 precedence and says why each loser lost. Tests hold it to match()'s answer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "routing/path_normalize.h"
#include "routing/route_table.h"

namespace gatehouse::routing {

// The reference path matcher (SPEC.md §4): Exact compares whole paths; Prefix compares element by
// element on '/', a trailing slash on either side ignored. `path` excludes the query.
bool path_matches(std::string_view rule_path, model::PathType type, std::string_view path);

struct Candidate {
  const Route* route = nullptr;
  std::string name;  // "r3", as `gatehouse routes` numbers it
  bool matches = false;
  std::string verdict;  // "wins: ...", "loses: ...", "does not match: ..."
};

struct Explanation {
  std::string host;        // as normalized for matching
  std::string host_choice;  // how the host was chosen, in words
  const HostTable* entry = nullptr;  // the chosen host's rules, or nullptr
  MatchResult result;      // the same as RouteTable::match
  std::vector<Candidate> candidates;  // the winner first, then losers by precedence, then misses
  std::string outcome;  // one sentence: the winning rule, or which default answers and why
};

Explanation explain(const RouteTable& table, std::string_view host, std::string_view path);

// explain for a request as serve receives it: `target` (a path, with its query or not) is
// normalized exactly as serve normalizes it before matching (path_normalize.h); a target serve
// refuses is refused here too (verdict) and explains nothing.
struct RequestExplanation {
  PathVerdict verdict = PathVerdict::kOk;
  std::string path;  // the path matched: normalized, without the query
  Explanation explanation;
};
RequestExplanation explain_request(const RouteTable& table, std::string_view host,
                                   std::string_view target, const PathPolicy& policy);

}  // namespace gatehouse::routing
