#include "proxy/balance/balancer.h"

namespace gatehouse::proxy {

std::size_t pick_round_robin(std::span<const EndpointLoad> loads, std::uint32_t& cursor) {
  const std::size_t n = loads.size();
  for (std::size_t tries = 0; tries < n; ++tries) {
    std::size_t i = cursor++ % n;
    if (!loads[i].benched) return i;
  }
  return cursor++ % n;  // every endpoint is benched: keep spreading rather than fail
}

}  // namespace gatehouse::proxy
