// `gatehouse serve`: the reverse proxy. Loads the manifests, compiles them, starts one worker per
// core, and recompiles and republishes the table whenever the manifests change on disk.
#pragma once

#include <string>
#include <vector>

#include "app/manifest_options.h"
#include "proxy/options.h"

namespace gatehouse::app {

struct ServeOptions {
  ManifestOptions manifests;
  std::vector<std::string> listen;  // "ADDR:PORT" or "[V6]:PORT"
  int workers = 0;                  // 0: one per core
  std::string admin_listen;         // "" for none: /healthz, /readyz
  std::string balancer = "round-robin";
  proxy::ProxyOptions proxy;
  int settle_ms = 2;  // file events coalesce for this long before a reload
};

// Runs until SIGTERM or SIGINT, then drains (stops accepting, finishes in-flight requests up to
// the drain timeout, closes idle connections) and returns 0. Returns 1 when a listener cannot be
// opened, 2 on invalid options.
int run_serve(const ServeOptions& options);

}  // namespace gatehouse::app
