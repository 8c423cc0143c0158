// forward(): the one request path (docs/decisions/0013). Every request of every client protocol
// to every pod protocol goes through it: normalize → redirect → match → route policy →
// pick/connect/retry → relay → record. A per-route behaviour is a field of the route's policy and
// one place here.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>

#include "proxy/exchange/adapters.h"

namespace gatehouse::proxy {

// What became of one exchange, for the access log and metrics.
struct ExchangeRecord {
  int status = 0;  // the status the client got (0: none, the client went away first)
  ForwardError error;
  bool pod_answered = false;  // the status is the pod's, not gatehouse's
};

struct Generation;

// Serves the request `down` holds, start to end. Never throws.
boost::asio::awaitable<void> forward(Downstream& down, ExchangeRecord& record);

// forward() from a matched cluster on: pick / connect / retry through `up`, then relay. Its own
// entry point so that tests drive it with fake adapters (tests/proxy/forward_test.cpp).
boost::asio::awaitable<void> relay(Downstream& down, Upstream& up, Generation& generation,
                                   std::uint32_t cluster, ExchangeRecord& record);

}  // namespace gatehouse::proxy
