// libFuzzer target: arbitrary bytes as a manifest (YAML or JSON), decoded, compiled and matched.
// Checks, beyond "no crash, no leak, no undefined behaviour": compile is deterministic, and
// match() agrees with explain() (the reference matcher) on requests drawn from the input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/decode.h"
#include "routing/compile.h"
#include "routing/explain.h"

namespace {

using namespace gatehouse;  // NOLINT

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 256 * 1024) return 0;  // the decoder's own limits are tested elsewhere; stay fast
  std::string_view text(reinterpret_cast<const char*>(data), size);
  model::Objects objects;
  model::Diagnostics diagnostics;
  // kAuto: text starting with '{' or '[' is JSON, anything else YAML.
  model::decode_manifest(text, "fuzz", objects, diagnostics);

  routing::Compiled first = routing::compile(objects, {});
  routing::Compiled second = routing::compile(objects, {});
  check(first.table->route_count() == second.table->route_count());
  check(first.diagnostics.size() == second.diagnostics.size());

  const routing::RouteTable& table = *first.table;
  // Requests: every rule's own host and path, and the same with a suffix.
  for (const routing::RouteView& view : table.routes()) {
    const routing::Route& r = *view.route;
    const std::string& rule_host = view.host->host();
    std::string host = rule_host.starts_with("*.") ? "x" + rule_host.substr(1) : rule_host;
    const std::string rule_path(r.path);
    for (std::string path : {rule_path, rule_path + "/x", rule_path + "x", std::string("/")}) {
      routing::MatchResult m = table.match(host, path);
      routing::Explanation e = routing::explain(table, host, path);
      check(m.kind == e.result.kind && m.route == e.result.route);
      if (m.kind == routing::MatchKind::kRoute) {
        check(!e.candidates.empty() && e.candidates.front().route == m.route);
        check(routing::path_matches(m.route->path, m.route->path_type,
                                    std::string_view(path).substr(0, path.find('?'))));
      }
    }
  }
  // And the raw input itself as a host and a path.
  std::string_view half = text.substr(0, size / 2);
  (void)table.match(half, text.substr(size / 2));
  return 0;
}
