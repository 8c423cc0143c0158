// The data plane's knobs, with the defaults a user gets when they set nothing.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "proxy/address_set.h"
#include "routing/path_normalize.h"

namespace gatehouse::proxy {

enum class BalancerKind : std::uint8_t { kRoundRobin, kLeastRequest };

struct Timeouts {
  std::chrono::milliseconds connect{5000};        // f2: TCP connect to a pod
  std::chrono::milliseconds handshake{10000};     // f1: a TLS handshake
  std::chrono::milliseconds request{60000};       // f1: a whole request head + body from a client
  std::chrono::milliseconds header{60000};        // f2: the pod's response head after the request
  std::chrono::milliseconds idle{60000};          // f1 keep-alive and f2 pooled connections
  std::chrono::milliseconds body_io{60000};       // any single body read or write, both ways
  std::chrono::milliseconds drain{10000};         // graceful shutdown: in-flight requests' deadline
};

// HTTP/2 from clients: what one connection may hold and ask for. Windows bound the request body
// bytes buffered per stream and per connection (WINDOW_UPDATE goes out only once the pod took
// them); the flood limits close a connection that makes the server work without sending requests.
struct Http2Limits {
  std::uint32_t max_concurrent_streams = 100;
  std::int32_t connection_window = 1 << 20;   // the stream window stays at 65,535 (RFC 9113)
  std::size_t max_header_list = 32 * 1024;    // name + value + 32 per field (RFC 9113 §6.5.2)
  std::size_t max_continuations = 8;          // CONTINUATION frames per header block
  std::uint64_t reset_burst = 1000;           // RST_STREAMs from the client: a token bucket
  std::uint64_t resets_per_second = 33;
  std::size_t max_settings = 32;              // entries in one SETTINGS frame
  std::size_t max_outbound_ack = 1000;        // PING/SETTINGS acks queued, unread by the client
  std::uint32_t max_control_frames = 1000;    // PING, SETTINGS, PRIORITY, empty DATA: at most
  std::chrono::seconds control_frame_window{10};  // this many per window
};

struct ProxyOptions {
  Http2Limits http2;
  Timeouts timeouts;
  BalancerKind balancer = BalancerKind::kRoundRobin;
  routing::PathPolicy path_policy;
  int connect_attempts = 3;          // distinct endpoints tried when connecting fails
  int failures_to_bench = 3;         // consecutive failures that bench an endpoint ...
  std::chrono::milliseconds bench_time{10000};  // ... for this long
  std::size_t max_idle_per_endpoint = 256;      // pooled idle connections per pod address
  std::size_t buffer_size = 32 * 1024;          // per connection and direction; bounds the head
  // Plain-HTTP requests for a host with TLS configured answer 308 to https (ACME HTTP-01
  // challenges excepted), to this port (omitted from the URL when 443).
  bool ssl_redirect = true;
  std::uint16_t https_port = 443;
  // --trust-forwarded-from: peers whose X-Forwarded-For is believed (forward_headers.h).
  AddressSet trusted_forwarders;
};

}  // namespace gatehouse::proxy
