// Choosing the pod and the HTTP/2 connection for a request to an h2c Service port: the
// balancer picks an endpoint, the worker's connection to it is reused while it has room, else a
// new one is made; endpoints that cannot be reached are marked and others tried, as for
// HTTP/1.1 pods (Session::forward).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>

#include "proxy/http2/h2_upstream.h"

namespace gatehouse::proxy {

class Worker;
struct Generation;
struct EndpointState;

struct H2Pick {
  std::shared_ptr<H2Upstream> connection;  // null: no endpoint could be reached
  EndpointState* state = nullptr;          // the chosen endpoint's record
  bool timed_out = false;                  // the last connect attempt ran out of time
};

boost::asio::awaitable<H2Pick> pick_h2_upstream(Worker& worker, Generation& generation,
                                                std::uint32_t cluster);

}  // namespace gatehouse::proxy
