// Micro-benchmarks of the routing core: RouteTable::match() over synthetic tables of 10 to 100,000
// paths, its cost against the request path's depth, and compile() itself. The tables and request
// sets are built once per size, outside the timed loops (see synthetic.h).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "routing/compile.h"
#include "synthetic.h"

namespace gatehouse::bench {
namespace {

using routing::MatchKind;
using routing::RouteTable;

struct Request {
  std::string host;
  std::string path;
};

// A power of two, so the loop indexes with a mask; large enough that the branch predictor cannot
// learn the sequence, small enough that the requests themselves stay in L2.
constexpr std::size_t kRequests = 4096;

struct Fixture {
  std::shared_ptr<const RouteTable> table;
  std::size_t paths = 0;
  std::vector<Request> requests;
};

std::size_t hosts_for(std::size_t paths) {
  return paths < 1000 ? paths : 1000;
}

std::shared_ptr<const RouteTable> compile_or_die(const model::Objects& objects) {
  routing::Compiled compiled = routing::compile(objects, routing::CompileOptions{});
  if (!compiled.diagnostics.empty()) std::abort();  // the synthetic objects must compile cleanly
  return compiled.table;
}

// The realistic request mix: ~70% for a rule (often deeper than it, sometimes with a query),
// ~20% for a known host but a path no rule names (scanners, typos), ~10% for an unknown host.
// Rules are picked uniformly, or, when `skewed`, with Zipf-like popularity (weight 1/rank over a
// shuffled order), as real traffic concentrates on a few hot services.
std::vector<Request> mixed_requests(const Synthetic& s, std::mt19937_64& rng, bool skewed) {
  static constexpr std::string_view kStray[] = {"/favicon.ico",  "/robots.txt", "/.env",
                                                "/wp-login.php", "/xmlrpc.php", "/nope/v1/x"};
  std::vector<std::size_t> rank(s.routes.size());
  std::vector<double> weight(s.routes.size());
  for (std::size_t i = 0; i < rank.size(); ++i) {
    rank[i] = i;
    weight[i] = 1.0 / static_cast<double>(i + 1);
  }
  std::shuffle(rank.begin(), rank.end(), rng);
  std::discrete_distribution<std::size_t> zipf(weight.begin(), weight.end());
  auto pick = [&] { return skewed ? rank[zipf(rng)] : rng() % s.routes.size(); };

  std::vector<Request> out;
  out.reserve(kRequests);
  while (out.size() < kRequests) {
    const unsigned roll = static_cast<unsigned>(rng() % 100);
    Request r;
    if (roll < 70) {
      const SyntheticRoute& route = s.routes[pick()];
      r.host = request_host_for(route.host, rng);
      r.path = route.path_type == model::PathType::kExact
                   ? route.path
                   : deeper(route.path, static_cast<int>(rng() % 3), rng);
      if (rng() % 5 == 0) r.path += "?x=1&utm_source=newsletter";
    } else if (roll < 90) {
      r.host = request_host_for(s.routes[pick()].host, rng);
      r.path = kStray[rng() % std::size(kStray)];
    } else {
      r.host = "unknown-" + std::to_string(rng() % 100000) + ".example.net";
      r.path = s.routes[rng() % s.routes.size()].path;
    }
    out.push_back(std::move(r));
  }
  return out;
}

const Fixture& match_fixture(std::size_t paths, bool skewed) {
  // A 100k table takes a second to build: once per size and mix.
  static std::map<std::pair<std::size_t, bool>, Fixture> cache;
  auto [it, inserted] = cache.try_emplace({paths, skewed});
  if (inserted) {
    Synthetic s = make_synthetic(paths, hosts_for(paths));
    std::mt19937_64 rng(kSeed + 1);
    it->second.table = compile_or_die(s.objects);
    it->second.paths = paths;
    it->second.requests = mixed_requests(s, rng, skewed);
  }
  return it->second;
}

// The 10,000-path table of the depth benchmarks, plus one chain 16 elements deep on each of 100
// hosts, so a request can walk as deep as it likes ("/deep/v1/v2/...").
struct DepthFixture {
  std::shared_ptr<const RouteTable> table;
  Synthetic synthetic;
  std::vector<std::string> chain_hosts;
  std::string chain;  // "/deep/<15 inner elements>"
};

const DepthFixture& depth_fixture() {
  static const DepthFixture fixture = [] {
    DepthFixture f;
    f.synthetic = make_synthetic(10000, 1000);
    f.chain = "/deep";
    for (std::size_t e = 0; e < 15; ++e) f.chain += "/" + std::string(kInnerElements[e * 2 + 1]);
    model::Ingress deep;
    deep.meta.name = "deep";
    deep.meta.namespace_ = "ns-0";  // where backend-0 lives
    deep.meta.annotations[routing::kLegacyClassAnnotation] = routing::kDefaultClassName;
    for (std::size_t h = 0; h < 1000; h += 10) {
      if (is_wildcard_host(h)) continue;
      f.chain_hosts.push_back(host_name(h));
      model::IngressRule rule;
      rule.host = host_name(h);
      rule.has_http = true;
      model::HTTPIngressPath p;
      p.path = f.chain;
      p.path_type = model::PathType::kPrefix;
      p.backend.service = model::IngressServiceBackend{"backend-0", {"", 80}};
      rule.paths.push_back(std::move(p));
      deep.rules.push_back(std::move(rule));
    }
    f.synthetic.objects.ingresses.push_back(std::move(deep));
    f.table = compile_or_die(f.synthetic.objects);
    return f;
  }();
  return fixture;
}

// Number of '/'-separated elements of a path: "/" → 0, "/a/b" → 2.
int depth_of(std::string_view path) {
  int depth = 0;
  for (char c : path) depth += c == '/';
  return path == "/" ? 0 : depth;
}

void run_lookups(benchmark::State& state, const RouteTable& table,
                 const std::vector<Request>& requests) {
  std::size_t routed = 0;
  for (const Request& r : requests) routed += table.match(r.host, r.path).kind == MatchKind::kRoute;

  std::size_t i = 0;
  for (auto _ : state) {
    const Request& r = requests[i++ & (kRequests - 1)];
    benchmark::DoNotOptimize(table.match(r.host, r.path));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["routed_pct"] = 100.0 * static_cast<double>(routed) / requests.size();
}

void BM_Match(benchmark::State& state) {
  const Fixture& f = match_fixture(static_cast<std::size_t>(state.range(0)), false);
  run_lookups(state, *f.table, f.requests);
  state.counters["bytes_per_route"] =
      static_cast<double>(f.table->memory_bytes()) / f.table->route_count();
}
BENCHMARK(BM_Match)->Arg(10)->Arg(1000)->Arg(10000)->Arg(100000);

// The same tables and mix, with Zipf-like rule popularity: closer to real traffic, where the hot
// part of the table stays in cache.
void BM_MatchSkewed(benchmark::State& state) {
  const Fixture& f = match_fixture(static_cast<std::size_t>(state.range(0)), true);
  run_lookups(state, *f.table, f.requests);
}
BENCHMARK(BM_MatchSkewed)->Arg(10000)->Arg(100000);

// Requests for realistic rules (1–4 elements deep) extended with tail elements to exactly
// `depth` elements: the trie walk stops one element below the deepest rule, the rest is scanning.
void BM_MatchPathDepth(benchmark::State& state) {
  const int depth = static_cast<int>(state.range(0));
  const DepthFixture& f = depth_fixture();
  std::mt19937_64 rng(kSeed + 2);
  std::vector<Request> requests;
  while (requests.size() < kRequests) {
    const SyntheticRoute& route = f.synthetic.routes[rng() % f.synthetic.routes.size()];
    const int base = depth_of(route.path);
    if (route.path_type != model::PathType::kPrefix || base > depth) continue;
    requests.push_back({request_host_for(route.host, rng), deeper(route.path, depth - base, rng)});
  }
  run_lookups(state, *f.table, requests);
}
BENCHMARK(BM_MatchPathDepth)->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Arg(16);

// Requests that follow a 16-element rule for `depth` elements: every element is a hash probe
// that succeeds, the worst case per element.
void BM_MatchTrieDepth(benchmark::State& state) {
  const auto depth = static_cast<std::size_t>(state.range(0));
  const DepthFixture& f = depth_fixture();
  // The chain cut after `depth` elements.
  std::size_t cut = 0;
  for (std::size_t e = 0; e <= depth && cut != std::string::npos; ++e)
    cut = f.chain.find('/', cut + (e ? 1 : 0));
  const std::string path = f.chain.substr(0, cut);
  std::vector<Request> requests;
  for (std::size_t i = 0; i < kRequests; ++i)
    requests.push_back({f.chain_hosts[i % f.chain_hosts.size()], path});
  run_lookups(state, *f.table, requests);
}
BENCHMARK(BM_MatchTrieDepth)->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Arg(16);

// compile() alone: the objects are built once per size; freeing the table is not timed.
void BM_Compile(benchmark::State& state) {
  const auto paths = static_cast<std::size_t>(state.range(0));
  static std::map<std::size_t, Synthetic> cache;
  auto [it, inserted] = cache.try_emplace(paths);
  if (inserted) it->second = make_synthetic(paths, hosts_for(paths));
  const model::Objects& objects = it->second.objects;

  double bytes_per_route = 0;
  for (auto _ : state) {
    routing::Compiled compiled = routing::compile(objects, routing::CompileOptions{});
    state.PauseTiming();
    bytes_per_route =
        static_cast<double>(compiled.table->memory_bytes()) / compiled.table->route_count();
    compiled.table.reset();
    compiled.diagnostics.clear();
    state.ResumeTiming();
  }
  state.counters["bytes_per_route"] = bytes_per_route;
  state.counters["paths_per_s"] =
      benchmark::Counter(static_cast<double>(paths), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Compile)->Arg(1000)->Unit(benchmark::kMillisecond)->Iterations(20);
BENCHMARK(BM_Compile)->Arg(10000)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_Compile)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace gatehouse::bench

BENCHMARK_MAIN();
