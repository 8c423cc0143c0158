#include "proxy/upstream_pool.h"

#include <openssl/ssl.h>
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
// True when the pod has neither closed the connection nor sent anything since its last
// response ended: the connection is exactly between messages. Any byte, an EOF or a pending
// error means the next response read on it could belong to an earlier request.
bool between_messages(UpstreamConnection& c) {
  if (SSL* ssl = c.ssl(); ssl && SSL_has_pending(ssl)) return false;
  char byte;
  ssize_t n = ::recv(c.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}
}  // namespace

UpstreamPtr UpstreamPool::acquire(
    const boost::asio::ip::tcp::endpoint& endpoint, bool tls,
    std::chrono::steady_clock::time_point now,
    std::chrono::milliseconds idle_timeout) {
  auto it = idle_.find(endpoint);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  while (!list.empty()) {
    UpstreamPtr c = std::move(list.back());
    list.pop_back();
    const auto idle = now - c->idle_since;
    // Two Service ports may send one pod address different protocols: a connection of the
    // other kind is dropped, never used.
    if (idle >= idle_timeout || c->tls() != tls) continue;
    // Checked every time, however short the idle spell (docs/decisions/0011): a pod that wrote
    // after its response would otherwise hand this request the previous one's bytes.
    const bool clean = c->watching() ? c->watch == UpstreamConnection::Watch::kArmed
                                     : between_messages(*c);
    if (clean) return c;
    ++retired_dirty_;
  }
  return nullptr;
}

void UpstreamPool::release(const boost::asio::ip::tcp::endpoint& endpoint,
                           UpstreamPtr connection,
                           std::chrono::steady_clock::time_point now) {
  // OpenSSL may hold bytes the pod sent past the response (read with its last record).
  if (SSL* ssl = connection->ssl(); ssl && SSL_has_pending(ssl)) {
    ++retired_dirty_;
    return;
  }
  auto& list = idle_[endpoint];
  if (list.size() >= max_idle_) return;  // closes it
  connection->idle_since = now;
  connection->reused = true;
  if (!connection->tls()) connection->arm_watch();
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
