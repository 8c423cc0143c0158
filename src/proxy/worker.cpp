#include "proxy/worker.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>

#include "proxy/session.h"

namespace gatehouse::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Worker::Worker(int id, const ProxyOptions& options)
    : id_(id),
      options_(options),
      random_state_(0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(id + 1) ^
                    static_cast<std::uint64_t>(
                        std::chrono::steady_clock::now().time_since_epoch().count())),
      pool_(options.max_idle_per_endpoint) {}

Worker::~Worker() {
  stop();
  join();
}

std::string Worker::listen(const tcp::endpoint& address, bool tls, bool proxy_protocol) {
  auto acceptor = std::make_unique<tcp::acceptor>(io_);
  boost::system::error_code ec;
  acceptor->open(address.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) {
    int one = 1;
    if (::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
      ec.assign(errno, boost::system::system_category());
  }
  if (!ec) acceptor->bind(address, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return "listen on " + address.address().to_string() + ":" + std::to_string(address.port()) +
           ": " + ec.message();
  if (tls && !listener_context_) listener_context_ = tls::make_listener_context();
  listeners_.push_back(Listener{std::move(acceptor), tls, proxy_protocol});
  return "";
}

void Worker::start() {
  for (auto& listener : listeners_) asio::co_spawn(io_, accept_loop(listener), asio::detached);
  asio::co_spawn(io_, sweep_loop(), asio::detached);
  thread_ = std::thread([this] {
    io_.run();
    finished_.store(true, std::memory_order_release);
  });
}

void Worker::publish(std::shared_ptr<const routing::RouteTable> table,
                     std::shared_ptr<const tls::CertTable> certs) {
  asio::post(io_, [this, table = std::move(table), certs = std::move(certs)]() mutable {
    adopt(std::move(table));
    tls_.certs = std::move(certs);
  });
}

void Worker::publish_ticket_keys(std::shared_ptr<const tls::TicketKeys> keys) {
  asio::post(io_, [this, keys = std::move(keys)]() mutable { tls_.ticket_keys = std::move(keys); });
}

void Worker::adopt(std::shared_ptr<const routing::RouteTable> table) {
  auto g = std::make_unique<Generation>();
  const auto& clusters = table->clusters();
  g->first.reserve(clusters.size() + 1);
  g->cursors.assign(clusters.size(), static_cast<std::uint32_t>(id_));
  // Consecutive tables share the clusters a change did not touch: their endpoints are parsed
  // already.
  const Generation* previous = generations_.empty() ? nullptr : generations_.back().get();
  if (previous) g->endpoints.reserve(previous->endpoints.size());
  for (std::uint32_t i = 0; i < clusters.size(); ++i) {
    g->first.push_back(static_cast<std::uint32_t>(g->endpoints.size()));
    if (!clusters[i]) continue;
    if (previous && i + 1 < previous->first.size() &&
        previous->table->clusters()[i] == clusters[i]) {
      auto same = previous->endpoints_of(i);
      g->endpoints.insert(g->endpoints.end(), same.begin(), same.end());
      continue;
    }
    for (const routing::Endpoint& e : clusters[i]->endpoints) {
      boost::system::error_code ec;
      auto address = asio::ip::make_address(e.address, ec);
      if (!ec) g->endpoints.emplace_back(address, e.port);
    }
  }
  g->first.push_back(static_cast<std::uint32_t>(g->endpoints.size()));
  g->table = std::move(table);
  generations_.push_back(std::move(g));
  // Free the generations no request uses any more (never the current one).
  for (auto it = generations_.begin(); std::next(it) != generations_.end();)
    it = (*it)->in_flight == 0 ? generations_.erase(it) : std::next(it);
  // Forget the records of pods no live generation lists (pods churn); the others stay where they
  // are (unordered_map nodes do not move), so older generations' pointers remain valid.
  std::unordered_set<tcp::endpoint, EndpointHash> listed;
  for (const auto& live : generations_) listed.insert(live->endpoints.begin(), live->endpoints.end());
  std::erase_if(endpoints_, [&](const auto& entry) { return !listed.contains(entry.first); });
  Generation& current = *generations_.back();
  current.states.reserve(current.endpoints.size());
  for (const tcp::endpoint& e : current.endpoints) current.states.push_back(&endpoints_[e]);
}

Generation* Worker::acquire_generation() {
  if (generations_.empty()) return nullptr;
  Generation* g = generations_.back().get();
  ++g->in_flight;
  return g;
}

void Worker::release_generation(Generation* g) {
  if (--g->in_flight == 0 && g != generations_.back().get())
    generations_.remove_if([g](const auto& p) { return p.get() == g; });
}

int Worker::pick_endpoint(Generation& g, std::uint32_t cluster, std::uint64_t tried) {
  const auto states = g.states_of(cluster);
  const auto now = std::chrono::steady_clock::now();
  loads_.clear();
  std::size_t untried = 0;
  for (std::size_t i = 0; i < states.size(); ++i) {
    const EndpointState& s = *states[i];
    bool skip = i < 64 && (tried >> i) & 1;
    // A tried endpoint is treated as benched so that it is picked only when nothing else is left.
    loads_.push_back(EndpointLoad{s.active, skip || s.benched_until > now});
    untried += !skip;
  }
  if (untried == 0) return -1;
  std::size_t i = options_.balancer == BalancerKind::kLeastRequest
                      ? pick_least_request(loads_, next_random())
                      : pick_round_robin(loads_, g.cursors[cluster]);
  // Every untried endpoint is benched, so the balancer may return a tried one: take the first
  // untried endpoint instead.
  while (i < 64 && (tried >> i) & 1) i = (i + 1) % states.size();
  return static_cast<int>(i);
}

std::shared_ptr<H2Upstream> Worker::h2_upstream(const tcp::endpoint& pod) {
  auto it = h2_upstreams_.find(pod);
  if (it == h2_upstreams_.end()) return nullptr;
  if (it->second->usable()) return it->second;
  // Full, or going away: its streams finish on it; new ones go to a new connection.
  it->second->retire();
  h2_upstreams_.erase(it);
  return nullptr;
}

void Worker::keep_h2_upstream(const tcp::endpoint& pod, std::shared_ptr<H2Upstream> connection) {
  auto& slot = h2_upstreams_[pod];
  if (slot && slot != connection) slot->retire();
  slot = std::move(connection);
}

void Worker::record_failure(EndpointState& s) {
  if (++s.consecutive_failures >= static_cast<std::uint32_t>(options_.failures_to_bench))
    s.benched_until = std::chrono::steady_clock::now() + options_.bench_time;
}

void Worker::record_success(EndpointState& s) {
  s.consecutive_failures = 0;
  s.benched_until = {};
}

tls::PodTls& Worker::pod_tls() {
  if (!pod_tls_) pod_tls_ = std::make_unique<tls::PodTls>();
  return *pod_tls_;
}

std::uint64_t Worker::next_random() {
  // xorshift64*: cheap, per worker, good enough to spread two random choices.
  random_state_ ^= random_state_ >> 12;
  random_state_ ^= random_state_ << 25;
  random_state_ ^= random_state_ >> 27;
  return random_state_ * 0x2545F4914F6CDD1Dull;
}

namespace {

// A connection accept4() made close-on-exec, handed to Asio.
// - epoll: accept4 also makes it non-blocking, and the flags of Asio's reactive socket state
//   (Boost.Asio's detail::socket_ops) say so, sparing the two syscalls Asio adds to a descriptor
//   it did not create: ioctl(FIONBIO) before the first operation, and EPOLL_CTL_DEL before close
//   (the kernel drops a closed descriptor from epoll itself; this one is never duplicated).
// - io_uring (docs/decisions/0006): it stays in blocking mode, so each receive or send is one
//   submission-queue entry; on a socket flagged non-blocking Asio submits a poll and then calls
//   recv()/send() itself, which would undo the batching.
#ifdef GATEHOUSE_IO_URING
constexpr int kAcceptFlags = SOCK_CLOEXEC;
#else
constexpr int kAcceptFlags = SOCK_NONBLOCK | SOCK_CLOEXEC;
#endif

class AcceptedSocket : public tcp::socket {
 public:
  AcceptedSocket(asio::io_context& io, const tcp& protocol, int fd,
                 boost::system::error_code& ec)
      : tcp::socket(io) {
    assign(protocol, fd, ec);
#ifndef GATEHOUSE_IO_URING
    if (ec) return;
    auto& state = impl_.get_implementation().state_;
    state |= asio::detail::socket_ops::internal_non_blocking;
    state &= ~asio::detail::socket_ops::possible_dup;
#endif
  }
};

constexpr int kAcceptBatch = 8;  // connections taken per wake-up, so a flood cannot starve others

}  // namespace

asio::awaitable<void> Worker::accept_loop(Listener& listener) {
  tcp::acceptor& acceptor = *listener.acceptor;
  boost::system::error_code local_ec;
  const auto local_port = acceptor.local_endpoint(local_ec).port();
  const tcp protocol = acceptor.local_endpoint(local_ec).protocol();
  acceptor.non_blocking(true, local_ec);  // accept4 below must not block when the queue is empty
  auto stop = [&acceptor] {
    boost::system::error_code ignored;
    acceptor.close(ignored);  // nothing waits on it now: the port stops accepting
  };
  for (;;) {
    if (draining_) {
      stop();
      co_return;
    }
    // A wait is armed anew each time (epoll: EPOLL_CTL_MOD; io_uring: a poll entry), so this
    // also completes at once for connections still queued after a full batch or a pause.
    auto [ec] = co_await acceptor.async_wait(tcp::acceptor::wait_read,
                                             asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor.is_open() || draining_) {
      stop();
      co_return;
    }
    bool pause = static_cast<bool>(ec);
    for (int taken = 0; taken < kAcceptBatch && !draining_; ++taken) {
      // The peer address comes with accept4(), so the session needs no getpeername().
      tcp::endpoint peer;
      socklen_t length = static_cast<socklen_t>(peer.capacity());
      const int fd = ::accept4(acceptor.native_handle(), peer.data(), &length, kAcceptFlags);
      if (fd < 0) {
        const int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK) break;
        // accept(2): a connection that failed before it was taken, or a network error the
        // man page says to treat like EAGAIN.
        if (err == EINTR || err == ECONNABORTED || err == EPROTO || err == ENETDOWN ||
            err == ENOPROTOOPT || err == EHOSTDOWN || err == ENONET || err == EHOSTUNREACH ||
            err == EOPNOTSUPP || err == ENETUNREACH)
          continue;
        pause = true;  // EMFILE, ENFILE, ENOBUFS, ENOMEM: no descriptor or memory for now
        break;
      }
      peer.resize(length);
      AcceptedSocket socket(io_, protocol, fd, ec);
      if (ec) {
        ::close(fd);
        continue;
      }
      SSL* ssl = nullptr;
      if (listener.tls) {
        ssl = SSL_new(listener_context_.get());
        if (!ssl) {  // out of memory: drop this connection, not the loop
          socket.close(ec);
          continue;
        }
        tls::attach(ssl, &tls_);
      }
      ++stats_.connections;
      auto session = std::make_shared<Session>(*this, std::move(socket), ssl, peer, local_port,
                                               listener.proxy_protocol);
      asio::co_spawn(io_, Session::start(std::move(session)), asio::detached);
    }
    if (draining_) {
      stop();
      co_return;
    }
    if (pause) {  // wait a little rather than spin on a full descriptor table
      asio::steady_timer timer(io_, std::chrono::milliseconds(50));
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
}

asio::awaitable<void> Worker::sweep_loop() {
  while (!draining_) {
    sweep_timer_.expires_after(std::chrono::seconds(5));
    auto [ec] = co_await sweep_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    const auto now = std::chrono::steady_clock::now();
    pool_.sweep(now, options_.timeouts.idle);
    std::erase_if(h2_upstreams_, [&](auto& entry) {
      const bool expired = entry.second->idle() && now - entry.second->idle_since() >= options_.timeouts.idle;
      if (expired) entry.second->close();
      return expired;
    });
  }
}

void Worker::drain() {
  asio::post(io_, [this] {
    draining_ = true;
    // The accept loops close their acceptors once their wait is cancelled (interrupt.h).
    for (auto& listener : listeners_) {
      boost::system::error_code ec;
      listener.acceptor->cancel(ec);
    }
    sweep_timer_.cancel();
    pool_.clear();
    for (auto& [pod, connection] : h2_upstreams_) connection->retire();
    h2_upstreams_.clear();
    // Copy: closing a session may end it, which removes it from the set.
    std::vector<Session*> sessions(sessions_.begin(), sessions_.end());
    for (Session* s : sessions) s->close_if_idle();
  });
}

void Worker::stop() { io_.stop(); }

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace gatehouse::proxy
