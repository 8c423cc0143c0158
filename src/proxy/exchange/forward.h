// forward(): the one request path (docs/decisions/0013). Every request of every client protocol
// to every pod protocol goes through it: normalize → redirect → match → route policy →
// pick/connect/retry → relay → record. A per-route behaviour is a field of the route's policy and
// one place here.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "proxy/exchange/adapters.h"

namespace gatehouse::proxy {

// What became of one exchange, for the access log and metrics.
struct ExchangeRecord {
  int status = 0;  // the status the client got (0: none, the client went away first)
  ForwardError error;
  bool pod_answered = false;  // the status is the pod's, not gatehouse's
};

// Serves the request `down` holds, start to end. Never throws.
boost::asio::awaitable<void> forward(Downstream& down, ExchangeRecord& record);

}  // namespace gatehouse::proxy
