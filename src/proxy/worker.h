// A Worker: one thread, one event loop, its own SO_REUSEPORT listeners, upstream pools, balancer
// counters and health records. Nothing it owns is touched by another thread; the control thread
// talks to it only by posting to its loop (publish, drain).
//
// Snapshots: the worker keeps the RouteTable generations that requests still use. A request takes
// the current generation (a plain counter increment, no atomic), keeps it to the end, and the
// generation is freed when it is no longer current and its last request has finished.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "proxy/balance/balancer.h"
#include "proxy/http2/h2_upstream.h"
#include "proxy/tls/handshake.h"
#include "proxy/tls/pod_tls.h"
#include "proxy/options.h"
#include "proxy/upstream_pool.h"
#include "routing/route_table.h"

namespace gatehouse::proxy {

class Session;

struct EndpointState;

// One RouteTable as this worker uses it: the endpoints parsed once into socket addresses, and the
// balancer counter of each cluster. Flat arrays (cluster i's endpoints are [first[i],
// first[i + 1])): three allocations per table, not two per cluster.
struct Generation {
  std::shared_ptr<const routing::RouteTable> table;
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;
  std::vector<std::uint32_t> first;  // by cluster index, and one past the last cluster
  // The worker's health and load record of each of those endpoints, looked up once here so a
  // request does no hash lookup. Records live in Worker::endpoints_ while any generation lists them.
  std::vector<EndpointState*> states;  // parallel to endpoints
  std::vector<std::uint32_t> cursors;  // by cluster index
  std::uint64_t in_flight = 0;

  std::span<const boost::asio::ip::tcp::endpoint> endpoints_of(std::uint32_t cluster) const {
    return {endpoints.data() + first[cluster], first[cluster + 1] - first[cluster]};
  }
  std::span<EndpointState* const> states_of(std::uint32_t cluster) const {
    return {states.data() + first[cluster], first[cluster + 1] - first[cluster]};
  }
};

// Passive health and load of one pod address, as seen by this worker.
struct EndpointState {
  std::uint32_t consecutive_failures = 0;
  std::chrono::steady_clock::time_point benched_until{};
  std::uint32_t active = 0;
};

struct WorkerStats {
  std::uint64_t connections = 0;
  std::uint64_t requests = 0;
  std::uint64_t upstream_connects = 0;
  std::uint64_t upstream_reuses = 0;
  std::uint64_t responses[6] = {};  // by status class: [1]=1xx ... [5]=5xx
  std::uint64_t proxy_headers_refused = 0;  // connections closed for a bad PROXY header
};

class Worker {
 public:
  Worker(int id, const ProxyOptions& options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Opens an SO_REUSEPORT listener on `address` (before start()), for HTTPS when `tls`, each
  // connection starting with a PROXY protocol header when `proxy_protocol`. Returns "" or an
  // error message.
  std::string listen(const boost::asio::ip::tcp::endpoint& address, bool tls = false,
                     bool proxy_protocol = false);
  void start();
  // Thread-safe: hands a new snapshot to the worker; requests started later use it, and
  // handshakes started later choose from `certs`.
  void publish(std::shared_ptr<const routing::RouteTable> table,
               std::shared_ptr<const tls::CertTable> certs);
  // Thread-safe: session tickets issued from now on use the first of `keys`.
  void publish_ticket_keys(std::shared_ptr<const tls::TicketKeys> keys);
  // Thread-safe: stops accepting, closes idle connections, lets in-flight requests finish.
  void drain();
  // Thread-safe: stops the loop now (after drain's deadline).
  void stop();
  void join();
  // True once the loop has run out of work (after drain: no connection left).
  bool finished() const { return finished_.load(std::memory_order_acquire); }

  // ---- for Session, on this worker's thread only
  Generation* acquire_generation();
  void release_generation(Generation* generation);
  // Picks an endpoint of cluster `cluster` for the next attempt, skipping those in `tried`
  // (a bitmask of endpoint indexes, first 64). Returns the index, or -1 when none is left.
  int pick_endpoint(Generation& generation, std::uint32_t cluster, std::uint64_t tried);
  void record_failure(EndpointState& state);
  static void record_success(EndpointState& state);
  UpstreamPool& pool() { return pool_; }
  // TLS to pods, made on first use (most clusters never need it).
  tls::PodTls& pod_tls();
  // The HTTP/2 connection to `pod` with room for another stream, or null.
  std::shared_ptr<H2Upstream> h2_upstream(const boost::asio::ip::tcp::endpoint& pod);
  void keep_h2_upstream(const boost::asio::ip::tcp::endpoint& pod,
                        std::shared_ptr<H2Upstream> connection);
  // The current certificates (null before the first publish).
  const tls::CertTable* certs() const { return tls_.certs.get(); }
  const ProxyOptions& options() const { return options_; }
  WorkerStats& stats() { return stats_; }
  bool draining() const { return draining_; }
  boost::asio::io_context& io() { return io_; }
  std::uint64_t next_random();
  void add_session(Session* s) { sessions_.insert(s); }
  void remove_session(Session* s) { sessions_.erase(s); }

 private:
  struct Listener {
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor;
    bool tls = false;
    bool proxy_protocol = false;
  };
  boost::asio::awaitable<void> accept_loop(Listener& listener);
  boost::asio::awaitable<void> sweep_loop();
  void adopt(std::shared_ptr<const routing::RouteTable> table);

  int id_;
  ProxyOptions options_;
  // Declared before io_ on purpose: destroying io_ destroys suspended sessions, whose destructors
  // still unregister themselves and release their generation and endpoint counters.
  std::list<std::unique_ptr<Generation>> generations_;  // back() is current
  tls::WorkerTls tls_;  // what this worker's handshakes read
  std::unique_ptr<tls::PodTls> pod_tls_;  // outlives every connection that uses it
  std::unordered_map<boost::asio::ip::tcp::endpoint, EndpointState, EndpointHash> endpoints_;
  std::unordered_set<Session*> sessions_;
  std::vector<EndpointLoad> loads_;  // scratch for pick_endpoint, reused
  WorkerStats stats_;
  std::uint64_t random_state_;
  bool draining_ = false;
  std::atomic<bool> finished_{false};
  // One thread runs the loop; other threads only post() to it, so the reactor needs no locks.
  boost::asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::vector<Listener> listeners_;
  std::shared_ptr<SSL_CTX> listener_context_;  // every TLS connection starts on it; null: no TLS
  boost::asio::steady_timer sweep_timer_{io_};
  UpstreamPool pool_;  // holds sockets: destroyed before io_
  std::unordered_map<boost::asio::ip::tcp::endpoint, std::shared_ptr<H2Upstream>, EndpointHash>
      h2_upstreams_;  // one per pod address speaking h2c
  std::thread thread_;
};

}  // namespace gatehouse::proxy
