#include "proxy/http2/h2_pick.h"

#include "proxy/worker.h"

namespace gatehouse::proxy {

boost::asio::awaitable<H2Pick> pick_h2_upstream(Worker& worker, Generation& generation,
                                                std::uint32_t cluster) {
  const ProxyOptions& options = worker.options();
  const auto endpoints = generation.endpoints_of(cluster);
  H2Pick pick;
  std::uint64_t tried = 0;
  for (int attempt = 0; attempt < options.connect_attempts + 1; ++attempt) {
    const int index = worker.pick_endpoint(generation, cluster, tried);
    if (index < 0) break;
    if (index < 64) tried |= 1ull << index;
    const auto& address = endpoints[static_cast<std::size_t>(index)];
    pick.state = generation.states_of(cluster)[static_cast<std::size_t>(index)];
    pick.connection = worker.h2_upstream(address);
    if (pick.connection) {
      ++worker.stats().upstream_reuses;
      co_return pick;
    }
    ++worker.stats().upstream_connects;
    auto fresh = H2Upstream::create(worker.io(), options.buffer_size);
    const auto started = std::chrono::steady_clock::now();
    const bool connected = co_await fresh->connect(address, options.timeouts.connect);
    if (connected) {
      worker.keep_h2_upstream(address, fresh);
      pick.connection = std::move(fresh);
      pick.timed_out = false;
      co_return pick;
    }
    pick.timed_out = std::chrono::steady_clock::now() - started >= options.timeouts.connect;
    worker.record_failure(*pick.state);
  }
  pick.connection = nullptr;
  co_return pick;
}

}  // namespace gatehouse::proxy
