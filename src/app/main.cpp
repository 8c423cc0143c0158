// gatehouse: a Kubernetes ingress controller. This file wires the subcommands; each does one job.
#include <CLI/CLI.hpp>
#include <iostream>

#include "app/echo_server.h"
#include "app/manifest_options.h"
#include "app/print_explain.h"
#include "app/print_routes.h"
#include "app/serve.h"
#include "proxy/options.h"
#include "routing/path_normalize.h"
#include "routing/explain.h"

namespace {

using gatehouse::app::ManifestOptions;

void print_diagnostics(const gatehouse::model::Diagnostics& diagnostics, std::ostream& out) {
  for (const auto& d : diagnostics) out << d.to_string() << '\n';
}

int run_routes(const ManifestOptions& options, const std::string& output) {
  auto loaded = gatehouse::app::load_and_compile(options);
  if (!loaded.ok) {
    print_diagnostics(loaded.diagnostics, std::cerr);
    return 2;
  }
  if (output == "json") {
    gatehouse::app::print_routes_json(*loaded.compiled.table, loaded.diagnostics, std::cout);
  } else {
    print_diagnostics(loaded.diagnostics, std::cerr);
    gatehouse::app::print_routes_text(*loaded.compiled.table, std::cout);
  }
  // No rule and errors: every Ingress was rejected (or the paths were unreadable). An empty
  // table is then a failure to report, not a result.
  std::size_t errors = 0;
  for (const auto& d : loaded.diagnostics) errors += d.severity == gatehouse::model::Severity::kError;
  if (loaded.compiled.table->route_count() == 0 && errors > 0) {
    std::cerr << "no rules: " << errors << (errors == 1 ? " error" : " errors")
              << " above rejected what would have made them\n";
    return 1;
  }
  return 0;
}

int run_explain(const ManifestOptions& options, const std::string& host, const std::string& path,
                const gatehouse::routing::PathPolicy& policy) {
  auto loaded = gatehouse::app::load_and_compile(options);
  if (!loaded.ok) {
    print_diagnostics(loaded.diagnostics, std::cerr);
    return 2;
  }
  print_diagnostics(loaded.diagnostics, std::cerr);
  const auto& table = *loaded.compiled.table;
  // The very normalization serve applies before matching (and sends to the pod): the rule named
  // here is the one serve uses for the same request.
  auto request = gatehouse::routing::explain_request(table, host, path, policy);
  if (request.verdict != gatehouse::routing::PathVerdict::kOk) {
    std::cout << "refused: " << gatehouse::routing::path_refusal_status(request.verdict) << " ("
              << gatehouse::routing::path_refusal_reason(request.verdict)
              << "); no rule is consulted\n";
    return 1;
  }
  const std::string_view raw = std::string_view(path).substr(0, path.find('?'));
  if (request.path != raw) std::cout << "path:    " << raw << " is matched as " << request.path << "\n";
  const auto& explanation = request.explanation;
  gatehouse::app::print_explanation(table, explanation, std::cout);
  return explanation.result.kind == gatehouse::routing::MatchKind::kRoute ? 0 : 1;
}

int run_validate(const ManifestOptions& options) {
  auto loaded = gatehouse::app::load_and_compile(options);
  print_diagnostics(loaded.diagnostics, std::cout);
  std::size_t errors = 0;
  for (const auto& d : loaded.diagnostics)
    if (d.severity == gatehouse::model::Severity::kError) ++errors;
  std::cout << loaded.object_count << " objects accepted, " << errors << " errors, "
            << loaded.diagnostics.size() - errors << " warnings, "
            << (loaded.compiled.table ? loaded.compiled.table->route_count() : 0) << " rules\n";
  return errors ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gatehouse: a Kubernetes ingress controller", "gatehouse"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("gatehouse ") + GATEHOUSE_VERSION);

  ManifestOptions routes_options, explain_options, validate_options;
  std::string output = "text";
  auto* routes = app.add_subcommand("routes", "Print the routing table the manifests compile to");
  routes_options.add_to(*routes);
  routes->add_option("-o,--output", output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  std::string host, path = "/";
  auto* explain = app.add_subcommand(
      "explain", "Say which rule a request matches and why (exit 0: a rule matched, 1: none)");
  explain_options.add_to(*explain);
  explain->add_option("--host", host, "The request's Host header")->required();
  explain->add_option("--path", path, "The request path")->capture_default_str();
  gatehouse::routing::PathPolicy explain_policy;
  gatehouse::app::add_bool_option(*explain, "--merge-slashes", explain_policy.merge_slashes,
                                  "As serve's --merge-slashes: normalize the path exactly as "
                                  "serve would");

  auto* validate = app.add_subcommand(
      "validate", "Print every diagnostic; exit 1 when any object is rejected");
  validate_options.add_to(*validate);

  gatehouse::app::ServeOptions serve_options;
  auto* serve = app.add_subcommand("serve", "Run the reverse proxy for the routes of manifest files or an API server");
  serve_options.manifests.add_to(*serve, false);
  auto& kube = serve_options.kube;
  serve->add_option("--kubeconfig", kube.kubeconfig,
                    "Watch this API server (default without --manifests: $KUBECONFIG, else the "
                    "Pod's service account)");
  serve->add_option("--kube-context", kube.context, "kubeconfig context (default: current)");
  serve->add_option("--watch-namespace", kube.namespaces,
                    "Watch only this namespace (repeatable; default: all)");
  serve->add_flag("--allow-insecure-kubeconfig", kube.allow_insecure,
                  "Accept a kubeconfig's insecure-skip-tls-verify (never for production)");
  serve->add_option("--publish-service", kube.publish_service,
                    "NAMESPACE/NAME of the Service whose load balancer addresses go into the "
                    "status of our Ingresses");
  serve->add_option("--publish-address", kube.publish_addresses,
                    "An address (IP or host name) for the status of our Ingresses (repeatable)");
  serve->add_option("--election-namespace", kube.election_namespace,
                    "Namespace of the leader-election Lease (default: the Pod's)");
  serve->add_option("--election-id", kube.election_id, "Name of the leader-election Lease")
      ->capture_default_str();
  serve->add_option("--election-ttl", kube.election_ttl,
                    "Seconds a dead leader's Lease lasts before another replica takes over "
                    "(renewals every TTL/7, a leader steps down after 2/3 TTL without one)")
      ->check(CLI::Range(3, 600))
      ->capture_default_str();
  serve->add_option("--pod-name", kube.identity,
                    "This replica's identity in the Lease (default: $POD_NAME, else the host name)");
  serve->add_option("-l,--listen", serve_options.listen, "ADDR:PORT to serve HTTP on (repeatable)");
  serve->add_option("--listen-tls", serve_options.listen_tls,
                    "ADDR:PORT to serve HTTPS on (repeatable), with the certificates of the "
                    "Ingresses' spec.tls chosen by SNI");
  serve->add_option("--listen-proxy-protocol", serve_options.listen_proxy_protocol,
                    "ADDR:PORT to serve HTTP on, each connection starting with a PROXY protocol "
                    "header (v1 or v2) from a load balancer; its client address is used "
                    "(repeatable; never expose such a port to clients directly)");
  serve->add_option("--listen-tls-proxy-protocol", serve_options.listen_tls_proxy_protocol,
                    "ADDR:PORT to serve HTTPS on behind a PROXY protocol header (repeatable)");
  serve->add_option("--default-certificate", serve_options.default_certificate,
                    "NAMESPACE/NAME of a kubernetes.io/tls Secret for names no Ingress gives a "
                    "certificate (default: a self-signed one generated at start)");
  gatehouse::app::add_bool_option(
      *serve, "--ssl-redirect", serve_options.proxy.ssl_redirect,
      "Answer plain-HTTP requests for hosts with TLS configured with a 308 to https (not for "
      "/.well-known/acme-challenge/)");
  serve->add_option("--https-port", serve_options.https_port,
                    "The port redirects to https name (default: the first --listen-tls port; "
                    "443 behind a load balancer that maps it)")
      ->check(CLI::Range(1, 65535));
  serve->add_option("-w,--workers", serve_options.workers, "Worker threads (default: one per core)");
  serve->add_option("--admin-listen", serve_options.admin_listen,
                    "ADDR:PORT for /healthz and /readyz");
  serve->add_option("--balancer", serve_options.balancer, "round-robin or least-request")
      ->capture_default_str();
  serve
      ->add_option_function<std::vector<std::string>>(
          "--trust-forwarded-from",
          [&serve_options](const std::vector<std::string>& blocks) {
            for (const std::string& block : blocks)
              if (std::string problem = serve_options.proxy.trusted_forwarders.add(block);
                  !problem.empty())
                throw CLI::ValidationError("--trust-forwarded-from", problem);
          },
          "CIDR blocks (repeatable) of load balancers whose X-Forwarded-For is believed: the pod's "
          "X-Real-IP is then the client they report. Default: none; the pod gets the TCP peer, "
          "and a client's X-Forwarded-For as X-Original-Forwarded-For (as ingress-nginx)")
      ->type_name("CIDR");
  gatehouse::app::add_bool_option(*serve, "--merge-slashes",
                                  serve_options.proxy.path_policy.merge_slashes,
                                  "Merge repeated slashes in paths before matching");
  auto add_ms = [serve](const char* name, std::chrono::milliseconds& value, const char* what) {
    serve->add_option_function<long>(
             name, [&value](long ms) { value = std::chrono::milliseconds(ms); }, what)
        ->default_str(std::to_string(value.count()));
  };
  auto& t = serve_options.proxy.timeouts;
  add_ms("--connect-timeout-ms", t.connect, "Connecting to a pod");
  add_ms("--handshake-timeout-ms", t.handshake, "A client's TLS handshake");
  add_ms("--request-timeout-ms", t.request, "Receiving a request head from a client");
  add_ms("--header-timeout-ms", t.header, "Waiting for a pod's response head");
  add_ms("--idle-timeout-ms", t.idle, "Idle keep-alive connections, both sides");
  add_ms("--body-timeout-ms", t.body_io, "Any one read or write of a body, either way");
  add_ms("--drain-timeout-ms", t.drain, "Finishing in-flight requests on SIGTERM");
  serve->add_option("--shutdown-delay-ms", serve_options.shutdown_delay_ms,
                    "After SIGTERM, keep accepting this long (with /readyz failing) before "
                    "draining, while load balancers take the replica out")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  serve->add_option("--settle-ms", serve_options.settle_ms,
                    "Quiet time before a manifest change is reloaded (a file renamed into "
                    "place reloads at once)")
      ->check(CLI::Range(0, 60000))
      ->capture_default_str();

  gatehouse::app::EchoOptions echo_options;
  auto* echo = app.add_subcommand("echo", "A backend that answers with the request it saw");
  echo->add_option("-l,--listen", echo_options.listen, "ADDR:PORT")->capture_default_str();
  echo->add_option("-n,--name", echo_options.name, "The name it reports")->capture_default_str();
  echo->add_option("--threads", echo_options.threads, "Event loops")->capture_default_str();

  if (argc < 2) {  // no subcommand: say what there is, rather than only that one is missing
    std::cout << app.help();
    return 2;
  }
  CLI11_PARSE(app, argc, argv);
  if (serve->parsed()) {
    serve_options.without_class_given = serve->count("--watch-ingress-without-class") > 0;
    return gatehouse::app::run_serve(serve_options);
  }
  if (echo->parsed()) return gatehouse::app::run_echo(echo_options);
  if (routes->parsed()) return run_routes(routes_options, output);
  if (explain->parsed()) return run_explain(explain_options, host, path, explain_policy);
  if (validate->parsed()) return run_validate(validate_options);
  return 2;
}
