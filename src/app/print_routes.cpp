#include "app/print_routes.h"

#include <algorithm>
#include <boost/json.hpp>

namespace gatehouse::app {

namespace {

using routing::Cluster;
using routing::kNone;
using routing::Route;
using routing::RouteTable;

std::string host_text(const std::string& host) { return host.empty() ? "*" : host; }

std::string ingress_text(const routing::IngressRef& ref) { return ref.namespace_ + "/" + ref.name; }

void print_table(const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  std::vector<std::size_t> width;
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i) line += " | ";
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - row[i].size(), ' ');
    }
    out << line << '\n';
  }
}

boost::json::object cluster_json(const Cluster& c) {
  boost::json::array endpoints;
  for (const auto& e : c.endpoints) endpoints.emplace_back(routing::to_string(e));
  boost::json::object o{{"namespace", c.namespace_}, {"service", c.service}, {"port", c.port},
                        {"status", routing::to_string(c.status)},
                        {"endpoints", std::move(endpoints)}};
  if (!c.detail.empty()) o["detail"] = c.detail;
  if (!c.app_protocol.empty()) o["appProtocol"] = c.app_protocol;
  return o;
}

}  // namespace

std::string endpoints_text(const Cluster& cluster, std::size_t max_shown) {
  if (cluster.status != routing::ClusterStatus::kReady) return "503: " + cluster.detail;
  std::string text;
  for (std::size_t i = 0; i < cluster.endpoints.size() && i < max_shown; ++i)
    text += (i ? ", " : "") + routing::to_string(cluster.endpoints[i]);
  if (cluster.endpoints.size() > max_shown)
    text += " (+" + std::to_string(cluster.endpoints.size() - max_shown) + " more)";
  return text;
}

void print_routes_text(const RouteTable& table, std::ostream& out) {
  std::vector<std::vector<std::string>> rows{
      {"Rule", "Host", "Path", "Service", "Type", "Ingress", "Endpoints"}};
  for (std::uint32_t h = 0; h < table.hosts().size(); ++h) {
    const routing::HostTable& host = *table.hosts()[h];
    for (const Route& r : host.routes()) {
      const Cluster& c = table.cluster(r.cluster);
      std::string endpoints = r.shadowed_by == kNone
                                  ? endpoints_text(c)
                                  : "never used: shadowed by " + table.route_name(h, r.shadowed_by);
      rows.push_back({table.route_name(h, r.id), host_text(host.host()), std::string(r.path), c.label(),
                      model::to_string(r.path_type), ingress_text(host.ingress_of(r)), endpoints});
    }
  }
  print_table(rows, out);

  std::vector<std::vector<std::string>> defaults{{"Default for", "Service", "Ingress", "Endpoints"}};
  for (const auto& h : table.hosts()) {
    if (h->default_cluster() == kNone) continue;
    const Cluster& c = table.cluster(h->default_cluster());
    defaults.push_back({h->host() + " (unmatched paths)", c.label(),
                        ingress_text(h->default_from()), endpoints_text(c)});
  }
  if (const Cluster* c = table.default_cluster())
    defaults.push_back({"unmatched hosts", c->label(),
                        table.default_from() ? ingress_text(*table.default_from())
                                             : "--default-backend",
                        endpoints_text(*c)});
  else
    defaults.push_back({"unmatched hosts", "404 (built in)", "-", "-"});
  out << '\n';
  print_table(defaults, out);
}

void print_routes_json(const RouteTable& table, const model::Diagnostics& diagnostics,
                       std::ostream& out) {
  boost::json::array rules;
  for (std::uint32_t h = 0; h < table.hosts().size(); ++h) {
    const routing::HostTable& host = *table.hosts()[h];
    for (const Route& r : host.routes()) {
      boost::json::object o{{"rule", table.route_name(h, r.id)},
                            {"host", host.host()},
                            {"path", r.path},
                            {"pathType", model::to_string(r.path_type)},
                            {"ingress", ingress_text(host.ingress_of(r))},
                            {"backend", cluster_json(table.cluster(r.cluster))}};
      o["shadowedBy"] = r.shadowed_by == kNone
                            ? boost::json::value(nullptr)
                            : boost::json::value(table.route_name(h, r.shadowed_by));
      rules.push_back(std::move(o));
    }
  }
  boost::json::array host_defaults;
  for (const auto& h : table.hosts())
    if (h->default_cluster() != kNone)
      host_defaults.push_back(boost::json::object{
          {"host", h->host()},
          {"ingress", ingress_text(h->default_from())},
          {"backend", cluster_json(table.cluster(h->default_cluster()))}});
  boost::json::value global = nullptr;
  if (const Cluster* c = table.default_cluster())
    global = boost::json::object{
        {"ingress", table.default_from() ? boost::json::value(ingress_text(*table.default_from()))
                                         : boost::json::value(nullptr)},
        {"backend", cluster_json(*c)}};
  boost::json::array diags;
  for (const auto& d : diagnostics)
    diags.push_back(boost::json::object{
        {"severity", d.severity == model::Severity::kError ? "error" : "warning"},
        {"file", d.origin.file},
        {"document", d.origin.document},
        {"kind", d.kind},
        {"namespace", d.namespace_},
        {"name", d.name},
        {"field", d.field},
        {"message", d.message}});
  boost::json::object doc{{"rules", std::move(rules)},
                          {"hostDefaults", std::move(host_defaults)},
                          {"defaultBackend", std::move(global)},
                          {"diagnostics", std::move(diags)}};
  out << boost::json::serialize(doc) << '\n';
}

}  // namespace gatehouse::app
