// `gatehouse serve`: the reverse proxy. Loads the manifests (or lists and watches an API server),
// compiles them, starts one worker per core, and recompiles and republishes the table whenever
// the objects change.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "app/manifest_options.h"
#include "proxy/options.h"

namespace gatehouse::app {

// Where the objects come from when no --manifests are given: an API server.
struct KubeOptions {
  std::string kubeconfig;               // --kubeconfig; else KUBECONFIG; else in-cluster
  std::string context;                  // --kube-context
  std::vector<std::string> namespaces;  // --watch-namespace (repeatable); none: all
  bool allow_insecure = false;          // --allow-insecure-kubeconfig
  // Status: only the replica holding the Lease writes it.
  std::string publish_service;             // --publish-service NAMESPACE/NAME
  std::vector<std::string> publish_addresses;  // --publish-address (repeatable)
  std::string election_namespace;  // --election-namespace; default: the Pod's (or context's)
  std::string election_id = "gatehouse-leader";  // --election-id: the Lease's name
  int election_ttl = 15;  // --election-ttl seconds (client-go's lease duration)
  std::string identity;  // --pod-name; default: $POD_NAME, else the host name
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

struct ServeOptions {
  ManifestOptions manifests;
  bool without_class_given = false;  // --watch-ingress-without-class was on the command line
  KubeOptions kube;
  std::vector<std::string> listen;      // "ADDR:PORT" or "[V6]:PORT"
  std::vector<std::string> listen_tls;  // the same, for HTTPS
  // Listeners whose connections start with a PROXY protocol header (v1 or v2) from a trusted
  // load balancer: the client address is the header's (docs/decisions/0012).
  std::vector<std::string> listen_proxy_protocol;
  std::vector<std::string> listen_tls_proxy_protocol;
  std::string default_certificate;      // --default-certificate NAMESPACE/NAME of a TLS Secret
  int https_port = 0;                   // --https-port; 0: the first --listen-tls port, else 443
  int workers = 0;                  // 0: one per core
  std::string admin_listen;         // "" for none: /healthz, /readyz
  std::string balancer = "round-robin";
  proxy::ProxyOptions proxy;
  int settle_ms = 2;  // file events coalesce for this long before a reload
  int shutdown_delay_ms = 0;  // after SIGTERM: not ready, but still accepting, for this long
  std::chrono::seconds ticket_key_rotation{3600};  // a new session-ticket key this often
};

// Runs until SIGTERM or SIGINT, then answers /readyz 503, keeps accepting for the shutdown delay,
// and drains (stops accepting, finishes in-flight requests up to the drain timeout, closes idle
// connections) and returns 0. Returns 1 when a listener cannot be
// opened, 2 on invalid options.
int run_serve(const ServeOptions& options);

}  // namespace gatehouse::app
