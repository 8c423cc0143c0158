// libFuzzer target: arbitrary bytes as what an API server sends — list pages and watch events —
// applied to an ObjectCache, with the routing table compiled incrementally from the keys the
// cache reports. Checks, beyond "no crash, no leak, no undefined behaviour": each kind stays
// sorted with one object per key (the compiler's precondition), and the incremental compile
// gives exactly what a full compile of the same objects gives.
//
// Input: lines. "<k>{...}" is a watch event for kind k (a digit, mod 5); "L<k>{...}" a list page
// of kind k; "C" compiles and compares (so does the end of the input).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "routing/compile.h"
#include "source/kube/object_cache.h"
#include "source/kube/watch_protocol.h"

namespace {

using namespace gatehouse;  // NOLINT

void check(bool condition) {
  if (!condition) std::abort();
}

model::Kind kind_of(char c) {
  static constexpr model::Kind kinds[] = {model::Kind::kIngress, model::Kind::kIngressClass,
                                          model::Kind::kService, model::Kind::kEndpointSlice,
                                          model::Kind::kSecret};
  return kinds[(static_cast<unsigned char>(c) % 5 + 2) % 5];  // '0' (48) is kinds[0]
}

template <class T>
void check_sorted(const std::vector<T>& list) {
  for (std::size_t i = 1; i < list.size(); ++i)
    check(std::tie(list[i - 1].meta.namespace_, list[i - 1].meta.name) <
          std::tie(list[i].meta.namespace_, list[i].meta.name));
}

std::string observe(const routing::Compiled& compiled) {
  std::string out;
  for (const routing::RouteView& view : compiled.table->routes()) {
    const routing::Cluster& c = compiled.table->cluster(view.route->cluster);
    out += view.host->host() + " " + std::string(view.route->path) + " " +
           model::to_string(view.route->path_type) + " " + c.namespace_ + "/" + c.label() + " " +
           std::to_string(c.endpoints.size()) + "\n";
  }
  for (const auto& d : compiled.diagnostics) out += d.to_string() + "\n";
  return out;
}

void compare(source::kube::ObjectCache& cache, routing::Compiler& compiler) {
  const auto objects = cache.objects();
  check_sorted(objects->ingresses);
  check_sorted(objects->ingress_classes);
  check_sorted(objects->services);
  check_sorted(objects->endpoint_slices);
  check_sorted(objects->secrets);
  routing::Compiled incremental = compiler.compile(*objects, cache.take_changes());
  routing::Compiled full = routing::compile(*objects, {});
  check(observe(incremental) == observe(full));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  source::kube::ObjectCache cache;
  routing::Compiler compiler({});
  std::vector<std::string> listed;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty()) continue;
    if (line[0] == 'C') {
      compare(cache, compiler);
    } else if (line[0] == 'L' && line.size() > 1) {
      listed.clear();
      const model::Kind kind = kind_of(line[1]);
      auto page = source::kube::apply_list_page(line.substr(2), kind, cache, listed);
      if (page.problem.empty()) cache.keep_only(kind, "", listed);
    } else {
      const model::Kind kind = kind_of(line[0]);
      (void)source::kube::apply_watch_event(line.substr(1), kind,
                                            kind != model::Kind::kIngressClass, cache);
    }
  }
  compare(cache, compiler);
  (void)cache.take_diagnostics();
  return 0;
}
