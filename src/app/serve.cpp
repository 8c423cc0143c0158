#include "app/serve.h"

#include <malloc.h>
#include <unistd.h>

#include "app/io_backend.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <cstdlib>
#include <map>
#include <iostream>
#include <memory>
#include <thread>

#include "proxy/http1/parser.h"
#include "proxy/tls/cert_store.h"
#include "proxy/worker.h"
#include "routing/compile.h"
#include "source/file_watcher.h"
#include "source/kube/kube_source.h"
#include "source/manifest_cache.h"
#include "status/lease_elector.h"
#include "status/status_writer.h"

namespace gatehouse::app {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

std::optional<tcp::endpoint> parse_address(const std::string& text) {
  std::string host;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  int number = std::stoi(port);
  if (number > 65535) return std::nullopt;
  return tcp::endpoint(address, static_cast<unsigned short>(number));
}

void log(const std::string& line) { std::cerr << "gatehouse: " << line << std::endl; }

// The control side: owns the manifests, compiles them and hands snapshots to the workers.
class Controller {
 public:
  Controller(const ServeOptions& options, std::vector<std::unique_ptr<proxy::Worker>>& workers)
      : options_(options), workers_(workers), cache_(options.manifests.manifests) {}

  // Reloads and publishes. Returns false when the first load produced no table. A reload that
  // fails with an exception (out of memory, say) keeps the configuration being served and starts
  // the next one from scratch.
  bool reload(const source::Changes& changes) {
    try {
      return reload_or_throw(changes);
    } catch (const std::exception& e) {
      log(std::string("reloading the manifests failed (") + e.what() +
          "): keeping the last good configuration");
      cache_ = source::ManifestCache(options_.manifests.manifests);
      compiler_ = routing::Compiler(compile_options_);
      certs_.reset();
      return table_ != nullptr;
    }
  }

  // `from_api_server`: class-less Ingresses are served only when asked for (as ingress-nginx).
  bool init_options(bool from_api_server) {
    compile_options_ = options_.manifests.compile_options();
    compile_options_.watch_ingress_without_class =
        from_api_server && !options_.without_class_given
            ? false
            : options_.manifests.watch_ingress_without_class;
    if (!options_.manifests.default_backend.empty()) {
      auto ref = routing::parse_service_ref(options_.manifests.default_backend);
      if (!ref) {
        log("--default-backend: " + ref.error().message);
        return false;
      }
      compile_options_.default_backend = *ref;
    }
    compiler_ = routing::Compiler(compile_options_);
    std::optional<proxy::tls::SecretRef> default_certificate;
    if (!options_.default_certificate.empty()) {
      auto ref = proxy::tls::parse_secret_ref(options_.default_certificate);
      if (!ref) {
        log("--default-certificate: " + ref.error().message);
        return false;
      }
      default_certificate = *ref;
    }
    // Without an HTTPS listener there is nothing to choose a certificate for, nor anywhere to
    // redirect to (unless --https-port says TLS is served elsewhere): OpenSSL is not even set
    // up (its start costs ~6 MiB of RSS, a third of a plain serve's).
    if (!options_.listen_tls.empty() || !options_.listen_tls_proxy_protocol.empty() ||
        options_.https_port > 0)
      cert_store_.emplace(default_certificate);
    return true;
  }

  // Compiles and publishes what the API server's watches delivered.
  void apply(source::kube::KubeUpdate update) {
    try {
      const auto started = Clock::now();
      if (compile_all_next_) update.changes = model::ObjectChanges::everything();
      compile_all_next_ = false;
      const std::size_t changed = update.changes.all ? 0 : update.changes.keys.size();
      routing::Compiled compiled = compiler_.compile(*update.objects, update.changes);
      update_certificates(*update.objects, update.changes, compiled.diagnostics);
      if (status_) {
        // Events for our Ingresses' errors: refused by validation while naming our class, or
        // compiled as ours with an error.
        model::Diagnostics rejections;
        for (const auto& [key, refused] : update.refused)
          if (compiler_.would_own(refused.claim))
            rejections.insert(rejections.end(), refused.errors.begin(), refused.errors.end());
        for (const auto& d : compiled.diagnostics)
          if (d.kind == "Ingress" && d.severity == model::Severity::kError &&
              (compiler_.owns(d.namespace_, d.name) || compiler_.refused(d.namespace_, d.name)))
            rejections.push_back(d);
        status_->update(
            *update.objects,
            [this](const std::string& ns, const std::string& name) { return compiler_.owns(ns, name); },
            rejections);
      }
      update.objects.reset();  // the source patches its objects in place when nobody holds them
      // Refused objects are reported once, when they arrive; the compiler's diagnostics describe
      // the whole table each time and are logged when they change.
      for (const auto& d : update.diagnostics) log(d.to_string());
      log_changed(compiled.diagnostics);
      publish(compiled.table);
      log("configuration " + std::to_string(++generation_) + ": " +
          std::to_string(table_->route_count()) + " rules from the API server (" +
          (changed ? std::to_string(changed) + (changed == 1 ? " object" : " objects") + " changed"
                   : std::string("full compile")) +
          "), published in " + micros(Clock::now() - started) + " us");
    } catch (const std::exception& e) {
      log(std::string("compiling the API server's objects failed (") + e.what() +
          "): keeping the last good configuration");
      compiler_ = routing::Compiler(compile_options_);
      certs_.reset();
      compile_all_next_ = true;
    }
  }

  void set_status(status::StatusWriter* writer) { status_ = writer; }
  // How to reload again later (in 1 s) when a file could not be read.
  void set_retry(std::function<void()> retry) { retry_ = std::move(retry); }

  // Ready once a configuration is loaded, and no longer once draining: the load balancer's
  // readiness probe then stops sending new connections while in-flight requests finish.
  bool ready() const { return table_ != nullptr && !draining_; }
  void set_draining() { draining_ = true; }

 private:
  bool reload_or_throw(const source::Changes& changes) {
    const auto started = Clock::now();
    source::Reloaded r = cache_.reload(changes);
    if (!r.unreadable.empty()) {
      // An I/O problem (out of file descriptors, say) is not a parse error, and no event will
      // come when it passes: read again until it does.
      if (retry_) retry_();
      if (table_) {
        log_changed(r.diagnostics);
        log("cannot read " + r.unreadable.front() +
            (r.unreadable.size() > 1 ? " and " + std::to_string(r.unreadable.size() - 1) + " more"
                                     : std::string()) +
            ": keeping the last good configuration; trying again in 1 s");
        // The changes this reload consumed were not compiled: the next compile is a whole one.
        compile_all_next_ = true;
        return true;
      }
    }
    if (compile_all_next_) {
      r.changes = model::ObjectChanges::everything();
      compile_all_next_ = false;
    }
    // Events for files that are not manifests (an editor's temporary file) change nothing.
    if (table_ && r.decoded == 0 && r.files == last_files_ && !r.merged &&
        r.changes.keys.empty() && !r.changes.all)
      return true;
    last_files_ = r.files;
    // A file that no longer parses at all (a diagnostic naming no object) would drop every
    // object in it: keep serving the last good table until it is fixed.
    bool file_broken = false;
    for (const auto& d : r.diagnostics) {
      if (d.severity == model::Severity::kError && d.kind.empty() && d.name.empty())
        file_broken = true;
    }
    const auto loaded = Clock::now();
    // Only the hosts the changed objects touch are compiled again.
    routing::Compiled compiled = compiler_.compile(*r.objects, r.changes);
    update_certificates(*r.objects, r.changes, compiled.diagnostics);
    const auto compiled_at = Clock::now();
    model::Diagnostics all = std::move(r.diagnostics);
    for (auto& d : compiled.diagnostics) all.push_back(std::move(d));
    log_changed(all);
    if (file_broken && table_) {
      log("a manifest file is malformed: keeping the last good configuration");
      return true;
    }
    publish(compiled.table);
    // A full merge (the first load, mostly) leaves megabytes of decoder and merge temporaries
    // free; give them back once. Ordinary reloads keep freed memory (see run_serve's mallopt).
    if (r.merged) ::malloc_trim(0);
    log("configuration " + std::to_string(++generation_) + ": " +
        std::to_string(table_->route_count()) + " rules, " + std::to_string(r.decoded) + " of " +
        std::to_string(r.files) + " files decoded, published in " + micros(Clock::now() - started) +
        " us (files " + micros(loaded - started) + " us, compile " +
        micros(compiled_at - loaded) + " us)");
    return true;
  }

  static std::string micros(Clock::duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  }

  // Logs the diagnostics when they differ from the last ones logged.
  void log_changed(const model::Diagnostics& diagnostics) {
    std::vector<std::string> lines;
    for (const auto& d : diagnostics) lines.push_back(d.to_string());
    if (lines == last_diagnostics_) return;
    for (const auto& line : lines) log(line);
    last_diagnostics_ = std::move(lines);
  }

  // The certificates for the objects just compiled (Compiler::owns is now up to date); their
  // diagnostics join the compiler's. Services and endpoints leave them alone.
  void update_certificates(const model::Objects& objects, const model::ObjectChanges& changes,
                           model::Diagnostics& diagnostics) {
    if (!cert_store_) return;
    if (!certs_ || proxy::tls::CertStore::affected_by(changes)) {
      auto owns = [this](const std::string& ns, const std::string& name) {
        return compiler_.owns(ns, name);
      };
      // After a failed compile the store starts over too: all Secrets are compared again.
      auto update = cert_store_->update(
          objects, certs_ ? changes : model::ObjectChanges::everything(), owns);
      certs_ = std::move(update.table);
      cert_diagnostics_ = std::move(update.diagnostics);
      if (cert_store_->fallback_description() != fallback_logged_) {
        fallback_logged_ = cert_store_->fallback_description();
        log("TLS: names without a certificate of their own get " + fallback_logged_);
      }
    }
    diagnostics.insert(diagnostics.end(), cert_diagnostics_.begin(), cert_diagnostics_.end());
  }

  void publish(std::shared_ptr<const routing::RouteTable> table) {
    table_ = std::move(table);
    for (auto& w : workers_) w->publish(table_, certs_);
  }

  const ServeOptions& options_;
  std::vector<std::unique_ptr<proxy::Worker>>& workers_;
  source::ManifestCache cache_;
  std::function<void()> retry_;
  routing::CompileOptions compile_options_;
  routing::Compiler compiler_{compile_options_};
  std::shared_ptr<const routing::RouteTable> table_;
  std::vector<std::string> last_diagnostics_;
  std::uint64_t generation_ = 0;
  std::size_t last_files_ = 0;
  bool compile_all_next_ = false;
  status::StatusWriter* status_ = nullptr;  // API server only: the leader writes status
  std::optional<proxy::tls::CertStore> cert_store_;  // made by init_options
  std::shared_ptr<const proxy::tls::CertTable> certs_;
  model::Diagnostics cert_diagnostics_;  // of the last certificate update
  std::string fallback_logged_;
  bool draining_ = false;
};

// The admin listener: /healthz (the process is alive) and /readyz (a configuration is loaded).
asio::awaitable<void> admin_session(tcp::socket socket, const Controller& controller) {
  char buffer[8192];
  std::size_t used = 0;
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer + used, sizeof buffer - used),
                                                   asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    used += n;
    proxy::http1::Request request;
    auto parsed = proxy::http1::parse_request({buffer, used}, request);
    if (parsed.status == proxy::http1::ParseStatus::kNeedMore && used < sizeof buffer) continue;
    std::string status = "404 Not Found", body = "not found\n";
    if (parsed.status == proxy::http1::ParseStatus::kComplete) {
      if (request.path == "/healthz") {
        status = "200 OK";
        body = "ok\n";
      } else if (request.path == "/readyz") {
        status = controller.ready() ? "200 OK" : "503 Service Unavailable";
        body = controller.ready() ? "ready\n" : "not ready\n";
      }
    } else {
      status = "400 Bad Request";
      body = "bad request\n";
    }
    std::string response = "HTTP/1.1 " + status + "\r\nContent-Type: text/plain\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    co_await asio::async_write(socket, asio::buffer(response), asio::as_tuple(asio::use_awaitable));
    co_return;
  }
}

asio::awaitable<void> admin_loop(tcp::acceptor& acceptor, const Controller& controller) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    asio::co_spawn(acceptor.get_executor(), admin_session(std::move(socket), controller),
                   asio::detached);
  }
}

// --kubeconfig, else $KUBECONFIG (a ':'-separated list, as kubectl reads it), else the Pod's
// service account.
Result<source::kube::KubeConfig> kube_config_of(const KubeOptions& options) {
  source::kube::KubeConfigOptions files;
  files.context = options.context;
  files.allow_insecure = options.allow_insecure;
  if (!options.kubeconfig.empty()) {
    files.files = {options.kubeconfig};
  } else if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    std::string list = env;
    for (std::size_t start = 0, end; start <= list.size(); start = end + 1) {
      end = list.find(':', start);
      if (end == std::string::npos) end = list.size();
      if (end > start) files.files.push_back(list.substr(start, end - start));
    }
  }
  if (!files.files.empty()) return source::kube::load_kubeconfig(files);
  std::map<std::string, std::string> env;
  for (const char* name : {"KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"})
    if (const char* value = std::getenv(name)) env[name] = value;
  if (env.size() < 2)
    return Error::invalid(
        "nothing to serve: give --manifests, or --kubeconfig (or KUBECONFIG), or run in a Pod");
  return source::kube::load_in_cluster(options.service_account_dir, env);
}

}  // namespace

int run_serve(const ServeOptions& options) {
  if (!options.manifests.manifests.empty() && !options.kube.kubeconfig.empty()) {
    log("give --manifests or --kubeconfig, not both");
    return 2;
  }
  // A path that does not exist at start is a typo, not a configuration of 0 rules to report
  // ready with. (One that disappears later keeps the last table: decision 0002.)
  for (const std::string& path : options.manifests.manifests) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      log("--manifests " + path + ": no such file or directory");
      return 2;
    }
  }
  if (const std::string problem = io_backend_problem(); !problem.empty()) {
    log(problem);
    return 2;
  }
  // Every configuration builds a table of a few MiB while the previous one is still in use.
  // glibc would serve the large blocks with fresh mmap()s and trim freed memory back to the
  // kernel, so each reload would pay for its page faults again (costly on a VM: a reload at
  // 10,000 paths took 4x longer while it faulted). Keep freed memory for the next table.
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 64 << 20);
  struct Listener {
    tcp::endpoint address;
    bool tls;
    bool proxy_protocol;
  };
  std::vector<Listener> addresses;
  const struct {
    const std::vector<std::string>& texts;
    const char* flag;
    bool tls;
    bool proxy_protocol;
  } kinds[] = {{options.listen, "--listen", false, false},
               {options.listen_tls, "--listen-tls", true, false},
               {options.listen_proxy_protocol, "--listen-proxy-protocol", false, true},
               {options.listen_tls_proxy_protocol, "--listen-tls-proxy-protocol", true, true}};
  for (const auto& kind : kinds) {
    for (const auto& text : kind.texts) {
      auto address = parse_address(text);
      if (!address) {
        log(std::string(kind.flag) + " " + text + ": expected ADDR:PORT");
        return 2;
      }
      addresses.push_back(Listener{*address, kind.tls, kind.proxy_protocol});
    }
  }
  if (addresses.empty()) {
    log("at least one --listen or --listen-tls ADDR:PORT is required");
    return 2;
  }
  const bool any_tls = std::any_of(addresses.begin(), addresses.end(),
                                   [](const Listener& l) { return l.tls; });
  proxy::ProxyOptions proxy_options = options.proxy;
  if (options.https_port > 0) {
    proxy_options.https_port = static_cast<std::uint16_t>(options.https_port);
  } else {
    for (const Listener& l : addresses)
      if (l.tls) {
        proxy_options.https_port = l.address.port();
        break;
      }
  }
  if (options.balancer == "least-request")
    proxy_options.balancer = proxy::BalancerKind::kLeastRequest;
  else if (options.balancer != "round-robin") {
    log("--balancer must be round-robin or least-request");
    return 2;
  }

  const int count = options.workers > 0
                        ? options.workers
                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::unique_ptr<proxy::Worker>> workers;
  for (int i = 0; i < count; ++i) {
    workers.push_back(std::make_unique<proxy::Worker>(i, proxy_options));
    for (const Listener& l : addresses) {
      std::string error = workers.back()->listen(l.address, l.tls, l.proxy_protocol);
      if (!error.empty()) {
        log(error);
        return 1;
      }
    }
  }

  const bool from_api_server = options.manifests.manifests.empty();
  Controller controller(options, workers);
  if (!controller.init_options(from_api_server)) return 2;

  asio::io_context control;
  asio::steady_timer reload_retry(control);
  controller.set_retry([&reload_retry, &controller] {
    reload_retry.expires_after(std::chrono::seconds(1));
    reload_retry.async_wait([&controller](const boost::system::error_code& ec) {
      if (!ec) controller.reload(source::Changes::everything());
    });
  });
  std::unique_ptr<source::FileWatcher> watcher;
  std::unique_ptr<source::kube::ApiClient> api;
  std::unique_ptr<status::StatusWriter> status_writer;
  std::unique_ptr<status::LeaseElector> elector;
  std::unique_ptr<source::kube::KubeSource> kube;
  if (from_api_server) {
    auto config = kube_config_of(options.kube);
    if (!config) {
      log(config.error().message);
      return 2;
    }
    auto client = source::kube::ApiClient::create(control.get_executor(), std::move(*config));
    if (!client) {
      log(client.error().message);
      return 2;
    }
    api = std::move(*client);
    const source::kube::KubeConfig& api_config = api->config();
    log("watching the API server https://" + api_config.host + ":" + api_config.port + " (" +
        api_config.origin + ")");

    status::PublishOptions publish;
    publish.addresses = options.kube.publish_addresses;
    if (!options.kube.publish_service.empty()) {
      const auto slash = options.kube.publish_service.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == options.kube.publish_service.size()) {
        log("--publish-service " + options.kube.publish_service + ": expected NAMESPACE/NAME");
        return 2;
      }
      publish.service_namespace = options.kube.publish_service.substr(0, slash);
      publish.service_name = options.kube.publish_service.substr(slash + 1);
      const auto& watched = options.kube.namespaces;
      if (!watched.empty() &&
          std::find(watched.begin(), watched.end(), publish.service_namespace) == watched.end()) {
        // Its Service would never be seen, and every status would be cleared.
        log("--publish-service " + options.kube.publish_service +
            ": its namespace is not among --watch-namespace");
        return 2;
      }
    }
    status_writer = std::make_unique<status::StatusWriter>(
        control.get_executor(), *api, publish, [](const std::string& line) { log(line); });
    controller.set_status(status_writer.get());

    status::ElectionOptions election;
    election.namespace_ = !options.kube.election_namespace.empty() ? options.kube.election_namespace
                          : !api_config.namespace_.empty()         ? api_config.namespace_
                                                                   : "default";
    election.name = options.kube.election_id;
    election.lease_duration = std::chrono::seconds(options.kube.election_ttl);
    election.renew_deadline = std::chrono::seconds(options.kube.election_ttl * 2 / 3);
    election.retry_period = std::chrono::seconds(std::max(1, options.kube.election_ttl / 7));
    election.identity = options.kube.identity;
    if (election.identity.empty())
      if (const char* pod = std::getenv("POD_NAME")) election.identity = pod;
    if (election.identity.empty()) {
      char host[256] = {};
      ::gethostname(host, sizeof host - 1);
      election.identity = std::string(host) + "_" + std::to_string(::getpid());
    }
    elector = std::make_unique<status::LeaseElector>(
        *api, election, [w = status_writer.get()](bool leading) { w->set_leading(leading); },
        [](const std::string& line) { log(line); });

    kube = std::make_unique<source::kube::KubeSource>(
        control.get_executor(), *api, options.kube.namespaces,
        std::chrono::milliseconds(options.settle_ms),
        [&controller](source::kube::KubeUpdate update) { controller.apply(std::move(update)); },
        [](const std::string& line) { log("kube: " + line); });
    kube->start();
    asio::co_spawn(control, elector->run(), asio::detached);
    asio::co_spawn(control, status_writer->run(), asio::detached);
  } else {
    // Watching starts before the first load: a change made meanwhile is then reported to the
    // callback, which runs once `control` runs, instead of being missed.
    watcher = std::make_unique<source::FileWatcher>(
        control.get_executor(), options.manifests.manifests,
        std::chrono::milliseconds(options.settle_ms),
        [&controller](const source::Changes& changes) { controller.reload(changes); });
    if (std::string error = watcher->start(); !error.empty())
      log("watching the manifests failed (" + error + "): changes will not be picked up");
    controller.reload(source::Changes::everything());
  }

  std::unique_ptr<tcp::acceptor> admin;
  if (!options.admin_listen.empty()) {
    auto address = parse_address(options.admin_listen);
    if (!address) {
      log("--admin-listen " + options.admin_listen + ": expected ADDR:PORT");
      return 2;
    }
    admin = std::make_unique<tcp::acceptor>(control);
    boost::system::error_code ec;
    admin->open(address->protocol(), ec);
    if (!ec) admin->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) admin->bind(*address, ec);
    if (!ec) admin->listen(64, ec);
    if (ec) {
      log("--admin-listen " + options.admin_listen + ": " + ec.message());
      return 1;
    }
    asio::co_spawn(control, admin_loop(*admin, controller), asio::detached);
  }

  // Session tickets: one key set for all workers (a client resumes on whichever worker it
  // reaches), rotated in memory. Only with TLS listeners: the first random bytes initialize
  // OpenSSL, whose tables would otherwise add ~3.4 MiB of resident pages to a plain-HTTP serve.
  std::shared_ptr<const proxy::tls::TicketKeys> ticket_keys;
  if (any_tls) {
    ticket_keys = proxy::tls::TicketKeys::generate();
    for (auto& w : workers) w->publish_ticket_keys(ticket_keys);
  }
  asio::steady_timer rotation(control);
  std::function<void()> rotate_ticket_keys = [&] {
    rotation.expires_after(options.ticket_key_rotation);
    rotation.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      ticket_keys = ticket_keys->rotated();
      for (auto& w : workers) w->publish_ticket_keys(ticket_keys);
      rotate_ticket_keys();
    });
  };
  if (any_tls) rotate_ticket_keys();

  for (auto& w : workers) w->start();
  std::string listening;
  for (const Listener& l : addresses)
    listening += (listening.empty() ? "" : ", ") + std::string(l.tls ? "https://" : "http://") +
                 l.address.address().to_string() + ":" + std::to_string(l.address.port()) +
                 (l.proxy_protocol ? " (PROXY protocol)" : "");
  log("serving on " + listening + " with " + std::to_string(count) + " workers (" +
      io_backend_name() + ")");

  asio::signal_set signals(control, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    const auto delay = std::chrono::milliseconds(options.shutdown_delay_ms);
    log(std::string("signal ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT") +
        (delay.count() > 0 ? ": not ready; still accepting for " +
                                 std::to_string(delay.count()) + " ms, then draining"
                           : ": draining connections"));
    if (watcher) watcher->stop();
    rotation.cancel();
    controller.set_draining();  // /readyz answers 503 from now on; the admin port stays open
    asio::co_spawn(
        control,
        [&, delay]() -> asio::awaitable<void> {
          asio::steady_timer tick(control);
          // Another replica takes the Lease on its next try instead of waiting it out; a slow
          // or absent API server delays the shutdown by 2 s at most.
          if (elector) {
            asio::co_spawn(control, elector->release(), asio::detached);
            const auto give_up = Clock::now() + std::chrono::seconds(2);
            while (!elector->released() && Clock::now() < give_up) {
              tick.expires_after(std::chrono::milliseconds(10));
              co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
            }
          }
          // A load balancer keeps sending new connections until its health check has seen
          // /readyz fail (or the endpoint is removed): they are still served meanwhile.
          if (delay.count() > 0) {
            tick.expires_after(delay);
            co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
            log("draining connections");
          }
          for (auto& w : workers) w->drain();
          // Workers end by themselves when their last connection closes; after the drain
          // deadline whatever is left is stopped.
          const auto deadline = Clock::now() + options.proxy.timeouts.drain;
          for (auto& w : workers) {
            while (!w->finished() && Clock::now() < deadline) {
              tick.expires_after(std::chrono::milliseconds(10));
              co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
            }
          }
          control.stop();
        },
        asio::detached);
  });
  control.run();
  for (auto& w : workers) {
    w->stop();
    w->join();
  }
  log("stopped");
  return 0;
}

}  // namespace gatehouse::app
