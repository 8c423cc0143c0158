// g++ 12: awaited values are stored in locals before they are tested (it miscompiled `co_await`
// inside an if condition).
#include "proxy/exchange/forward.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/exchange/h1_upstream.h"
#include "proxy/exchange/h2c_upstream.h"
#include "proxy/forward_headers.h"
#include "proxy/redirect.h"
#include "proxy/worker.h"
#include "routing/path_normalize.h"

namespace gatehouse::proxy {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Methods a request may be sent twice with (RFC 9110 §9.2.2): a stale pooled connection is
// retried only for these.
bool idempotent(http1::Method m) {
  using M = http1::Method;
  return m == M::kGet || m == M::kHead || m == M::kOptions || m == M::kTrace || m == M::kPut ||
         m == M::kDelete;
}

// The request body beside the response (full duplex): runs until the body ended, the pod stopped
// taking it, or forward() stopped it; forward() waits for it before its frame goes.
struct Pump {
  Downstream& down;
  Upstream& up;
  Pieces pieces;
  bool done = false;
  bool body_sent = false;
};

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC bug 109224 (coroutine frames)
asio::awaitable<void> pump_body(Pump& pump) {
  for (;;) {
    const BodyStatus status = co_await pump.down.read_body(pump.pieces);
    if (status == BodyStatus::kError || status == BodyStatus::kGone) break;
    const bool last = status == BodyStatus::kEnd;
    const bool taken = co_await pump.up.send_body(pump.pieces, last);
    if (!taken) break;
    // A long bidirectional stream lives as long as either side moves.
    pump.down.set_deadline(Stage::kRequestBody,
                           pump.down.worker().options().timeouts.body_io);
    if (last) {
      pump.body_sent = true;
      break;
    }
  }
  pump.done = true;
  pump.down.event().cancel();
}

// Sends the request body after its head (half duplex). Returns an error only for the client's
// side; `body_sent` false with no error: the pod stopped taking it (it may still answer).
asio::awaitable<ForwardError> send_body(Downstream& down, Upstream& up, Pieces& pieces,
                                        bool& body_sent) {
  for (;;) {
    const BodyStatus status = co_await down.read_body(pieces);
    if (status == BodyStatus::kError)
      co_return ForwardError::client(ForwardError::What::kClientBody, "malformed request body");
    if (status == BodyStatus::kGone) co_return ForwardError::client(ForwardError::What::kClientGone);
    const bool last = status == BodyStatus::kEnd;
    const bool taken = co_await up.send_body(pieces, last);
    if (!taken) {
      body_sent = false;
      co_return ForwardError{};
    }
    if (last) co_return ForwardError{};
  }
}

// An error that surfaced while a deadline had passed is the deadline's.
ForwardError blame_deadline(Downstream& down, ForwardError error, std::string_view detail) {
  if (error && down.timed_out()) {
    down.clear_timeout();
    return ForwardError::pod(ForwardError::What::kTimeout, detail);
  }
  return error;
}


// Where a request goes before any pod is involved: an answer of gatehouse's own, or a cluster
// (with the generation it was matched in, held for the exchange).
struct Routed {
  int status = 0;  // gatehouse answers this; 0: relay to `cluster`
  std::string_view detail;
  std::string_view location;
  bool close = false;
  Generation* generation = nullptr;
  std::uint32_t cluster = 0;
  routing::PodProtocol protocol = routing::PodProtocol::kHttp1;
};

Routed route(Downstream& down) {
  Worker& worker = down.worker();
  const ProxyOptions& options = worker.options();
  RequestHead& req = down.request();
  Routed out;
  // Normalize: the path matched is the path the pod receives, whatever the protocols.
  std::string& path = down.path_storage();
  const routing::PathVerdict verdict =
      routing::normalize_target(req.raw_path, req.query, options.path_policy, path);
  if (verdict != routing::PathVerdict::kOk) {
    out.status = routing::path_refusal_status(verdict);
    out.detail = routing::path_refusal_reason(verdict);
    out.close = true;
    return out;
  }
  req.path = path;
  // Redirect: a host with TLS moves to HTTPS whatever the path (no rule needed), as
  // ingress-nginx does per server.
  if (options.ssl_redirect && !req.client_tls && worker.certs() &&
      worker.certs()->has_tls(req.routing_host) && !path.starts_with(kAcmeChallengePrefix)) {
    std::string& location = down.scratch();
    https_location(location, req.routing_host, options.https_port, req.raw_path, req.query,
                   req.has_query);
    out.status = 308;
    out.location = location;
    return out;
  }
  // Match.
  Generation* generation = worker.acquire_generation();
  if (!generation) {
    out.status = 503;
    out.detail = "no configuration loaded yet";
    out.close = true;
    return out;
  }
  out.generation = generation;  // held until forward() is done, the reply's detail included
  const routing::MatchResult m = generation->table->match(req.routing_host, path);
  if (m.kind == routing::MatchKind::kNotFound) {
    out.status = 404;
  } else if (generation->endpoints_of(m.cluster_id).empty()) {
    out.status = 503;
    out.detail = m.cluster->detail;
  } else {
    out.cluster = m.cluster_id;
    out.protocol = m.cluster->protocol;
  }
  return out;
}

// The endpoint an exchange goes to, and how connecting to it went.
struct Picked {
  boost::asio::ip::tcp::endpoint pod;
  EndpointState* state = nullptr;
  ForwardError error;
};

// Picks an endpoint and connects to it (a pooled connection first): endpoints that cannot be
// reached are marked and others tried. Its own coroutine, so that relay()'s frame stays small.
// `first`: the endpoint the caller picked already (and found no pooled connection to), or -1.
asio::awaitable<void> pick_and_connect(Downstream& down, Upstream& up, Generation& generation,
                                       std::uint32_t cluster, int first, Picked& out) {
  Worker& worker = down.worker();
  const ProxyOptions& options = worker.options();
  const auto endpoints = generation.endpoints_of(cluster);
  std::uint64_t tried = 0;
  out.error =
      ForwardError::pod(ForwardError::What::kConnect, "could not connect to any endpoint");
  for (int attempt = 0; attempt < options.connect_attempts + 1; ++attempt) {
    const int index = attempt == 0 ? first : worker.pick_endpoint(generation, cluster, tried);
    if (index < 0) break;
    if (index < 64) tried |= 1ull << index;
    out.pod = endpoints[static_cast<std::size_t>(index)];
    out.state = generation.states_of(cluster)[static_cast<std::size_t>(index)];
    if (attempt > 0 && up.reuse(out.pod)) {
      out.error = ForwardError{};
      co_return;
    }
    down.watch(&up);
    down.set_deadline(Stage::kConnect, options.timeouts.connect);
    ForwardError error = co_await up.open(out.pod);
    down.watch(nullptr);
    out.error = blame_deadline(down, error, "connecting to the pod timed out");
    if (down.gone() || !out.error) co_return;
    worker.record_failure(*out.state);
  }
}

// One exchange's state between its request and its response.
struct Flow {
  Flow(Downstream& down, Upstream& up) : pump{down, up, {}, false, false} {}
  ForwardError error;   // the pod's side failed: answered with status_of()
  ForwardError client;  // the client's request body was malformed
  ResponseHead head;    // the pod's response head, once read
  Pump pump;            // the request body beside the response (full duplex)
  bool pumping = false;
  bool body_sent = true;  // false: the pod stopped taking the body
};

// The request, head and body, then the response head. A pooled connection the pod closed while
// it sat idle fails before any response byte; a request without a body is then sent once more
// on a new connection (nothing of it can have been processed).
asio::awaitable<void> send_request(Downstream& down, Upstream& up,
                                   const boost::asio::ip::tcp::endpoint& pod, Flow& flow) {
  Worker& worker = down.worker();
  const ProxyOptions& options = worker.options();
  const RequestHead& req = down.request();
  Forwarding forwarding = down.forwarding();
  for (const Field& f : req.fields) {
    if (f.token == http1::HeaderToken::kXForwardedFor) {
      forwarding.prior_forwarded_for = f.value;
      forwarding.has_prior_forwarded_for = true;
    }
    forwarding.has_request_id |= f.token == http1::HeaderToken::kXRequestId;
  }
  Pieces request_pieces;
  bool last = true;
  down.buffered_body(request_pieces, last);
  const bool bodyless = !req.has_body();
  const bool duplex = !bodyless && down.full_duplex() && up.full_duplex();
  ForwardError& error = flow.error;
  for (bool retried = false;; retried = true) {
    const bool may_retry = !retried && bodyless && up.reused() && idempotent(req.method_id);
    down.watch(&up);
    down.set_deadline(Stage::kRequestBody, options.timeouts.body_io);
    error = co_await up.send_head(req, forwarding, request_pieces, last);
    if (!error && !last && !duplex) {
      flow.client = co_await send_body(down, up, request_pieces, flow.body_sent);
      if (flow.client) co_return;
    }
    if (down.gone()) co_return;
    if (!error) {
      if (duplex && !last) {
        flow.pumping = true;
        asio::co_spawn(worker.io(), pump_body(flow.pump), asio::detached);
      }
      down.set_deadline(Stage::kResponseHead, options.timeouts.header);
      error = co_await up.read_head(flow.head);
      error = blame_deadline(down, error, "the pod did not answer in time");
    }
    if (!error || down.gone()) co_return;
    if (!(may_retry && error.retry == ForwardError::Retry::kIfReused)) co_return;
    // A stale pooled connection: once more on a new connection to the same pod.
    down.set_deadline(Stage::kConnect, options.timeouts.connect);
    error = co_await up.open(pod);
    if (down.gone()) co_return;
    if (error) {
      error = ForwardError::pod(ForwardError::What::kConnect, "could not reconnect to the pod");
      co_return;
    }
  }
}

// The response: its head with what came along, then the body as the pod sends it. True when it
// went through whole.
asio::awaitable<bool> relay_response(Downstream& down, Upstream& up, const ResponseHead& head,
                                     ExchangeRecord& record) {
  Worker& worker = down.worker();
  const ProxyOptions& options = worker.options();
  record.status = head.status;
  ++worker.stats().responses[head.status / 100 % 6];
  down.set_deadline(Stage::kResponseBody, options.timeouts.body_io);
  Pieces& pieces = down.response_pieces();
  BodyStatus status = up.buffered_body(pieces);
  bool delivered = co_await down.send_head(head, pieces, status == BodyStatus::kEnd,
                                           status == BodyStatus::kEnd ? up.trailers()
                                                                      : std::span<const Field>());
  while (delivered && status == BodyStatus::kMore) {
    status = co_await up.read_body(pieces);
    if (status == BodyStatus::kError || status == BodyStatus::kGone) break;
    down.set_deadline(Stage::kResponseBody, options.timeouts.body_io);
    const bool end = status == BodyStatus::kEnd;
    delivered = co_await down.send_body(pieces, end, end ? up.trailers() : std::span<const Field>());
  }
  const bool whole = delivered && status == BodyStatus::kEnd && !down.gone();
  if (!whole) {
    record.error = down.gone() || !delivered
                       ? ForwardError::client(ForwardError::What::kClientGone)
                       : ForwardError::pod(down.timed_out() ? ForwardError::What::kTimeout
                                                            : ForwardError::What::kReset,
                                           "the response body broke off");
    down.abort_response(up.reset_code());
  }
  co_return whole;
}

#pragma GCC diagnostic pop

}  // namespace

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC bug 109224 (coroutine frames)
asio::awaitable<void> relay(Downstream& down, Upstream& up, Generation& generation,
                            std::uint32_t cluster, ExchangeRecord& record) {
  Worker& worker = down.worker();
  const RequestHead& req = down.request();
  auto answer = [&](const ForwardError& error, bool close) -> asio::awaitable<void> {
    down.watch(nullptr);
    record.error = error;
    record.status = status_of(error);
    if (record.status == 0 || down.gone()) co_return;
    co_await down.reply(record.status, error.detail, {}, close);
  };

  // Pick and connect: a pooled connection to the first pick needs no wait (nor a coroutine).
  Picked picked;
  std::uint64_t tried = 0;
  const int first = worker.pick_endpoint(generation, cluster, tried);
  if (first >= 0) {
    picked.pod = generation.endpoints_of(cluster)[static_cast<std::size_t>(first)];
    picked.state = generation.states_of(cluster)[static_cast<std::size_t>(first)];
  }
  if (first < 0 || !up.reuse(picked.pod)) {
    co_await pick_and_connect(down, up, generation, cluster, first, picked);
    if (down.gone()) co_return;
  }
  if (picked.error) co_return co_await answer(picked.error, true);
  const boost::asio::ip::tcp::endpoint pod = picked.pod;
  EndpointState* state = picked.state;
  EndpointState& load = *state;
  ++load.active;
  struct Active {
    EndpointState& e;
    ~Active() { --e.active; }
  } active{load};
  struct Unwatch {
    Downstream& d;
    ~Unwatch() { d.watch(nullptr); }
  } unwatch{down};

  if (req.expect_continue) {
    const bool continued = co_await down.send_continue();
    if (!continued) co_return;
  }

  Flow flow(down, up);
  co_await send_request(down, up, pod, flow);
  if (flow.client) {
    // The pod got part of a body and waits for the rest: the exchange cannot go on.
    up.finish(false);
    co_return co_await answer(flow.client, true);
  }
  Pump& pump = flow.pump;
  const bool pumping = flow.pumping;
  ForwardError& error = flow.error;
  ResponseHead& head = flow.head;
  // The pump reads through `down` and `up`: it ends before either is finished with. Only its
  // waits are stopped; what it already handed over stays sent.
  auto join_pump = [&]() -> asio::awaitable<void> {
    down.stop_body();
    up.cut();
    while (!pump.done) {
      auto [ec] = co_await down.event().async_wait(kTuple);
      (void)ec;
    }
  };
  if (down.gone() || error) {
    if (pumping) co_await join_pump();
    up.finish(false);
    if (!error) co_return;
    if (counts_against_pod(error)) worker.record_failure(load);
    co_return co_await answer(error, true);
  }
  Worker::record_success(load);
  record.pod_answered = true;

  if (head.status == 101) {
    std::size_t start = 0, end = 0;
    UpstreamConnection* connection = up.tunnel_connection(start, end);
    if (!req.upgrade || !connection) {
      if (pumping) co_await join_pump();
      up.finish(false);
      co_return co_await answer(
          ForwardError::pod(ForwardError::What::kProtocol, "the pod switched protocols unasked"),
          true);
    }
    record.status = 101;
    ++worker.stats().responses[1];
    const Pieces none;  // the pod stays watched: an idle tunnel's deadline cuts it too
    const bool sent = co_await down.send_head(head, none, false, {});
    if (sent) co_await down.tunnel(*connection, start, end);
    up.finish(false);
    co_return;
  }

  const bool whole = co_await relay_response(down, up, head, record);
  bool body_sent = flow.body_sent;
  if (pumping) {
    co_await join_pump();
    body_sent = pump.body_sent;
  }
  up.finish(whole && body_sent);
}
#pragma GCC diagnostic pop

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC bug 109224 (coroutine frames)
asio::awaitable<void> forward(Downstream& down, ExchangeRecord& record) {
  Worker& worker = down.worker();
  const Routed routed = route(down);
  struct Release {
    Worker& w;
    Generation* g;
    ~Release() {
      if (g) w.release_generation(g);
    }
  } release{worker, routed.generation};
  if (routed.status != 0) {
    record.status = routed.status;
    co_return co_await down.reply(routed.status, routed.detail, routed.location, routed.close);
  }
  // Relay, through the adapter of the pods' protocol.
  if (routed.protocol == routing::PodProtocol::kH2c) {
    H2cUpstream up(down);
    co_await relay(down, up, *routed.generation, routed.cluster, record);
  } else {
    Http1Upstream up(down, routed.protocol == routing::PodProtocol::kHttp1Tls);
    co_await relay(down, up, *routed.generation, routed.cluster, record);
  }
}
#pragma GCC diagnostic pop

}  // namespace gatehouse::proxy
