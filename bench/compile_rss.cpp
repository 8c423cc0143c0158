// compile() at scale, as one process would do it: build 100,000 paths' objects (or argv[1]),
// compile them once, and print the wall time and peak RSS. A plain executable rather than a
// Google Benchmark so that ru_maxrss is the peak of exactly one compile, not of many iterations.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "routing/compile.h"
#include "synthetic.h"

namespace {

// Peak resident set size of this process so far, in MiB (Linux reports ru_maxrss in KiB).
double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace gatehouse;
  const std::size_t paths = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  if (paths == 0) {
    std::fprintf(stderr, "usage: %s [PATHS]\n", argv[0]);
    return 2;
  }
  const std::size_t hosts = paths < 1000 ? paths : 1000;

  const bench::Synthetic synthetic = bench::make_synthetic(paths, hosts);
  const double objects_mib = peak_rss_mib();

  const auto start = std::chrono::steady_clock::now();
  const routing::Compiled compiled = routing::compile(synthetic.objects, routing::CompileOptions{});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const double total_mib = peak_rss_mib();

  const routing::RouteTable& table = *compiled.table;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  std::printf("compile %zu paths over %zu hosts (%zu Ingresses, %zu Services): %lld ms\n", paths,
              hosts, synthetic.objects.ingresses.size(), synthetic.objects.services.size(),
              static_cast<long long>(ms));
  std::printf("peak RSS after objects: %.0f MiB\n", objects_mib);
  std::printf("peak RSS after compile: %.0f MiB (compile added %.0f MiB)\n", total_mib,
              total_mib - objects_mib);
  std::printf("table: %zu routes, %zu clusters, %zu hosts, %.0f bytes/route (memory_bytes %zu)\n",
              table.route_count(), table.clusters().size(), table.hosts().size(),
              static_cast<double>(table.memory_bytes()) / table.route_count(),
              table.memory_bytes());
  std::printf("diagnostics: %zu\n", compiled.diagnostics.size());
  std::printf("goals: compile < 1000 ms: %s; peak RSS < 300 MiB: %s\n",
              ms < 1000 ? "met" : "MISSED", total_mib < 300 ? "met" : "MISSED");
  return 0;
}
