#include "proxy/balance/balancer.h"

namespace gatehouse::proxy {

std::size_t pick_least_request(std::span<const EndpointLoad> loads, std::uint64_t random) {
  const std::size_t n = loads.size();
  if (n == 1) return 0;
  std::size_t a = random % n;
  std::size_t b = (random >> 32) % (n - 1);
  if (b >= a) ++b;  // two distinct endpoints
  auto worse = [](const EndpointLoad& x, const EndpointLoad& y) {
    return x.benched != y.benched ? x.benched : x.active > y.active;
  };
  return worse(loads[a], loads[b]) ? b : a;
}

}  // namespace gatehouse::proxy
