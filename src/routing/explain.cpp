#include "routing/explain.h"

#include <algorithm>

#include "base/strings.h"
#include "routing/table_builder.h"

namespace gatehouse::routing {

namespace {

std::string_view trim_slash(std::string_view p) {
  return (!p.empty() && p.back() == '/') ? p.substr(0, p.size() - 1) : p;
}

std::string describe(const std::string& name, const std::string& host, const Route& r) {
  return name + " " + (host.empty() ? std::string("(any host)") : host) + " " +
         std::string(r.path) + " " + model::to_string(r.path_type);
}

// SPEC.md §5 as a sort key: longer match, then Exact, then the longer path as written, then the
// older rule (routes are numbered in precedence order).
bool precedes(const Route& a, const Route& b) {
  auto key = [](const Route& r) {
    return std::make_tuple(r.shadowed_by != kNone, -static_cast<long>(trim_slash(r.path).size()),
                           is_prefix_like(r.path_type),
                           -static_cast<long>(r.path.size()), r.id);
  };
  return key(a) < key(b);
}

std::string why_lost(const Route& loser, const Route& winner, const RouteTable& table,
                     std::uint32_t host) {
  if (loser.shadowed_by != kNone)
    return "loses: conflicts with " + table.route_name(host, loser.shadowed_by) +
           " (same host, path and match type; the older Ingress wins)";
  std::size_t lw = trim_slash(loser.path).size(), ww = trim_slash(winner.path).size();
  if (lw < ww) return "loses: shorter match than " + std::string(winner.path);
  if (!is_prefix_like(winner.path_type) && is_prefix_like(loser.path_type))
    return "loses: Exact beats Prefix at equal length";
  if (loser.path.size() < winner.path.size())
    return "loses: " + std::string(winner.path) + " is preferred to " + std::string(loser.path) +
           " (the longer path as written)";
  return "loses: " + table.route_name(host, winner.id) + " is older";
}

}  // namespace

bool path_matches(std::string_view rule_path, model::PathType type, std::string_view path) {
  if (type == model::PathType::kExact) return rule_path == path;
  std::vector<std::string_view> rule = split(trim_slash(rule_path), '/');
  std::vector<std::string_view> request = split(trim_slash(path), '/');
  if (path.empty() || path.front() != '/') return false;
  if (rule.size() > request.size()) return false;
  return std::equal(rule.begin(), rule.end(), request.begin());
}

Explanation explain(const RouteTable& table, std::string_view host, std::string_view path) {
  Explanation out;
  char buffer[kMaxHostLength];
  out.host = std::string(normalize_host(host, buffer));
  out.result = table.match(host, path);
  std::string_view request = path.substr(0, path.find('?'));
  if (request.empty()) request = "/";

  HostMatch how = HostMatch::kAnyHost;
  const std::uint32_t index = table.choose_host(host, &how);
  const HostTable* entry = index == kNone ? nullptr : table.hosts()[index].get();
  out.entry = entry;
  if (!entry) {
    out.host_choice = "no rule names host \"" + out.host + "\" and there are no host-less rules";
  } else if (how == HostMatch::kExact) {
    out.host_choice = "exact host " + entry->host();
  } else if (how == HostMatch::kWildcard) {
    out.host_choice = "wildcard host " + entry->host() + " (no exact rule for " + out.host + ")";
  } else {
    out.host_choice = "no rule names host \"" + out.host + "\": the rules without a host apply";
  }

  if (entry) {
    std::vector<const Route*> hits, misses;
    for (const Route& r : entry->routes())
      (path_matches(r.path, r.path_type, request) ? hits : misses).push_back(&r);
    std::sort(hits.begin(), hits.end(), [](auto* a, auto* b) { return precedes(*a, *b); });
    for (std::size_t i = 0; i < hits.size(); ++i) {
      Candidate c{hits[i], table.route_name(index, hits[i]->id), true, ""};
      if (i == 0 && hits[i]->shadowed_by == kNone)
        c.verdict = "wins";
      else
        c.verdict = why_lost(*hits[i], *hits[0], table, index);
      out.candidates.push_back(std::move(c));
    }
    for (const Route* r : misses) {
      std::string why = r->path_type == model::PathType::kExact
                            ? "does not match: Exact needs the whole path to be " +
                                  std::string(r->path)
                            : "does not match: " + std::string(r->path) + " is not a prefix of " +
                                  std::string(request) + " element by element";
      out.candidates.push_back(Candidate{r, table.route_name(index, r->id), false, std::move(why)});
    }
  }

  const MatchResult& m = out.result;
  switch (m.kind) {
    case MatchKind::kRoute:
      out.outcome = describe(table.route_name(m.host, m.route->id), entry->host(), *m.route) +
                    " → " + m.cluster->label() + " (Ingress " +
                    entry->ingress_of(*m.route).namespace_ + "/" +
                    entry->ingress_of(*m.route).name + ")";
      break;
    case MatchKind::kHostDefault:
      out.outcome = "no path of " + entry->host() + " matches: its default backend " +
                    m.cluster->label() + " (spec.defaultBackend of Ingress " +
                    entry->default_from().namespace_ + "/" + entry->default_from().name + ")";
      break;
    case MatchKind::kDefault:
      out.outcome = "no rule matches: the default backend " + m.cluster->label() +
                    (table.default_from() ? " (spec.defaultBackend of Ingress " +
                                                table.default_from()->namespace_ + "/" +
                                                table.default_from()->name + ")"
                                          : " (--default-backend)");
      break;
    case MatchKind::kNotFound:
      out.outcome = entry && !entry->host().empty()
                        ? "no path of " + entry->host() +
                              " matches and it has no default backend: 404 (no fall-through to "
                              "other hosts)"
                        : "no rule matches and there is no default backend: 404";
      break;
  }
  return out;
}

RequestExplanation explain_request(const RouteTable& table, std::string_view host,
                                   std::string_view target, const PathPolicy& policy) {
  RequestExplanation out;
  const std::size_t question = target.find('?');
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  out.verdict = normalize_target(target.substr(0, question), query, policy, out.path);
  if (out.verdict != PathVerdict::kOk) {
    out.path.clear();
    return out;
  }
  out.explanation = explain(table, host, out.path);
  return out;
}

}  // namespace gatehouse::routing
