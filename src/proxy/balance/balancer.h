// Load balancing: which of a cluster's ready endpoints gets the next request. One algorithm per
// file; state (counters) belongs to one worker, so nothing here is shared between threads.
#pragma once

#include <cstdint>
#include <span>

namespace gatehouse::proxy {

// What a balancer may know about one endpoint, as the worker sees it right now.
struct EndpointLoad {
  std::uint32_t active = 0;  // requests in flight from this worker
  bool benched = false;      // passive health: recently failed, skip if possible
};

// Round robin over the endpoints that are not benched (all of them if all are benched).
// `cursor` is the cluster's counter in this worker. Returns an index into `loads`.
std::size_t pick_round_robin(std::span<const EndpointLoad> loads, std::uint32_t& cursor);

// Least request, power of two choices: two endpoints drawn at random, the one with fewer
// requests in flight wins. `random` is any 64-bit random value.
std::size_t pick_least_request(std::span<const EndpointLoad> loads, std::uint64_t random);

}  // namespace gatehouse::proxy
