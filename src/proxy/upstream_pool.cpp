#include "proxy/upstream_pool.h"

#include <sys/socket.h>

#include <functional>

namespace gatehouse::proxy {

std::size_t EndpointHash::operator()(const boost::asio::ip::tcp::endpoint& e) const noexcept {
  std::size_t h = std::hash<unsigned short>()(e.port());
  if (e.address().is_v4()) return h ^ (e.address().to_v4().to_uint() * 0x9E3779B97F4A7C15ull);
  auto bytes = e.address().to_v6().to_bytes();
  for (unsigned char b : bytes) h = h * 131 + b;
  return h;
}

namespace {
// True when the pod has not closed the connection and sent nothing unexpected.
bool still_open(boost::asio::ip::tcp::socket& socket) {
  char byte;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}
}  // namespace

std::unique_ptr<UpstreamConnection> UpstreamPool::acquire(
    const boost::asio::ip::tcp::endpoint& endpoint, bool tls,
    std::chrono::steady_clock::time_point now,
    std::chrono::milliseconds idle_timeout) {
  auto it = idle_.find(endpoint);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  while (!list.empty()) {
    std::unique_ptr<UpstreamConnection> c = std::move(list.back());
    list.pop_back();
    const auto idle = now - c->idle_since;
    // Two Service ports may send one pod address different protocols: a connection of the
    // other kind is dropped, never used.
    if (idle >= idle_timeout || c->tls() != tls) continue;
    // A connection back in the pool for under a second is almost surely open; skip the syscall
    // (a stale one is caught by the session, which resends a bodyless request once).
    if (idle < std::chrono::seconds(1) || still_open(c->socket())) return c;
  }
  return nullptr;
}

void UpstreamPool::release(const boost::asio::ip::tcp::endpoint& endpoint,
                           std::unique_ptr<UpstreamConnection> connection,
                           std::chrono::steady_clock::time_point now) {
  auto& list = idle_[endpoint];
  if (list.size() >= max_idle_) return;  // closes it
  connection->idle_since = now;
  connection->reused = true;
  list.push_back(std::move(connection));
}

void UpstreamPool::sweep(std::chrono::steady_clock::time_point now,
                         std::chrono::milliseconds idle_timeout) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& list = it->second;
    std::erase_if(list, [&](const auto& c) { return now - c->idle_since >= idle_timeout; });
    it = list.empty() ? idle_.erase(it) : std::next(it);
  }
}

std::size_t UpstreamPool::idle_count() const {
  std::size_t n = 0;
  for (const auto& [endpoint, list] : idle_) n += list.size();
  return n;
}

}  // namespace gatehouse::proxy
