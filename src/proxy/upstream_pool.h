// Upstream (f2) connections kept alive between requests, per worker and per pod address. Pools
// are keyed by endpoint address, not by route or snapshot, so a configuration change never closes
// a healthy pooled connection (DESIGN.md: pools outlive snapshots).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "proxy/upstream_connection.h"

namespace gatehouse::proxy {

struct EndpointHash {
  std::size_t operator()(const boost::asio::ip::tcp::endpoint& e) const noexcept;
};

class UpstreamPool {
 public:
  explicit UpstreamPool(std::size_t max_idle_per_endpoint) : max_idle_(max_idle_per_endpoint) {}

  // An idle connection to `endpoint`, over TLS or not as `tls` says, that is exactly between
  // messages, or nullptr; however short its idle spell, a connection the pod wrote anything on
  // (stray bytes after a response, an EOF; on TLS even an alert or a late session ticket) is
  // closed, never reused (docs/decisions/0011). A plain connection's idle watch says so at no
  // cost (it stays armed: the request's first response read is its read); a TLS connection is
  // checked with one non-blocking peek.
  UpstreamPtr acquire(const boost::asio::ip::tcp::endpoint& endpoint,
                                              bool tls, std::chrono::steady_clock::time_point now,
                                              std::chrono::milliseconds idle_timeout);
  // Keeps a connection whose last response ended cleanly, with nothing read past its end (the
  // caller checks its own buffer; OpenSSL's is checked here), and arms a plain one's idle watch;
  // closes it when the pool is full.
  void release(const boost::asio::ip::tcp::endpoint& endpoint,
               UpstreamPtr connection,
               std::chrono::steady_clock::time_point now);
  // Closes connections idle for longer than `idle_timeout`.
  void sweep(std::chrono::steady_clock::time_point now, std::chrono::milliseconds idle_timeout);
  void clear() { idle_.clear(); }
  std::size_t idle_count() const;
  // Connections closed because the pod had sent something while they were idle.
  std::uint64_t retired_dirty() const { return retired_dirty_; }

 private:
  std::size_t max_idle_;
  std::uint64_t retired_dirty_ = 0;
  std::unordered_map<boost::asio::ip::tcp::endpoint,
                     std::vector<UpstreamPtr>, EndpointHash>
      idle_;
};

}  // namespace gatehouse::proxy
