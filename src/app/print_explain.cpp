#include "app/print_explain.h"

#include "app/print_routes.h"

namespace gatehouse::app {

void print_explanation(const routing::RouteTable& table, const routing::Explanation& e,
                       std::ostream& out) {
  out << "host:    " << e.host_choice << '\n';
  if (!e.candidates.empty()) {
    out << "rules:\n";
    for (const auto& c : e.candidates) {
      const routing::Route& r = *c.route;
      const std::string& host = e.entry->host();
      out << "  " << c.name << "  " << (host.empty() ? "*" : host) << " " << r.path << " "
          << model::to_string(r.path_type) << " -> " << table.cluster(r.cluster).label()
          << " (" << e.entry->ingress_of(r).namespace_ << "/" << e.entry->ingress_of(r).name
          << "): " << c.verdict << '\n';
    }
  }
  out << "result:  " << e.outcome << '\n';
  if (e.result.cluster)
    out << "pods:    " << endpoints_text(*e.result.cluster, static_cast<std::size_t>(-1)) << '\n';
}

}  // namespace gatehouse::app
