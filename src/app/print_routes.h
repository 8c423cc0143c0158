// `gatehouse routes`: the RouteTable as the talk draws it (Rule | Host | Path | Service), with the
// path type, the source Ingress and the resolved endpoints; or the same as JSON for machines.
#pragma once

#include <ostream>

#include "model/diagnostic.h"
#include "routing/route_table.h"

namespace gatehouse::app {

void print_routes_text(const routing::RouteTable& table, std::ostream& out);
void print_routes_json(const routing::RouteTable& table, const model::Diagnostics& diagnostics,
                       std::ostream& out);

// "127.0.0.1:18080, 127.0.0.1:18081" or, for a cluster that answers 503, "503: <why>".
std::string endpoints_text(const routing::Cluster& cluster, std::size_t max_shown = 4);

}  // namespace gatehouse::app
