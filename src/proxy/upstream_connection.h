// One connection to a pod (flow f2), plain TCP or TLS, with its read buffer (reused across
// requests) and what the pool needs to know about it.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>
#include <memory>

#include "proxy/http1/parser.h"
#include "proxy/transport.h"

namespace gatehouse::proxy {

// The one handler waiting for a connection's watched read, stored in place (no allocation per
// request; Boost 1.81's any_completion_handler recursed into itself when moved). Invoking it
// first moves the handler out, so it may destroy the connection that holds this.
class WatchWaiter {
 public:
  WatchWaiter() = default;
  WatchWaiter(const WatchWaiter&) = delete;
  WatchWaiter& operator=(const WatchWaiter&) = delete;
  ~WatchWaiter() {
    if (destroy_) destroy_(storage_);
  }

  template <class Handler>
  void set(Handler&& handler) {
    using H = std::decay_t<Handler>;
    static_assert(sizeof(H) <= kSize && alignof(H) <= alignof(std::max_align_t));
    new (storage_) H(std::forward<Handler>(handler));
    invoke_ = [](void* p, boost::system::error_code ec, std::size_t n) {
      H h(std::move(*static_cast<H*>(p)));
      static_cast<H*>(p)->~H();
      std::move(h)(ec, n);
    };
    destroy_ = [](void* p) { static_cast<H*>(p)->~H(); };
  }
  explicit operator bool() const { return invoke_ != nullptr; }
  void operator()(boost::system::error_code ec, std::size_t n) {
    auto invoke = invoke_;
    invoke_ = nullptr;
    destroy_ = nullptr;
    invoke(storage_, ec, n);  // may delete the connection holding this: nothing follows
  }

 private:
  static constexpr std::size_t kSize = 64;
  alignas(std::max_align_t) unsigned char storage_[kSize];
  void (*invoke_)(void*, boost::system::error_code, std::size_t) = nullptr;
  void (*destroy_)(void*) = nullptr;
};

struct UpstreamConnection : Transport {
  UpstreamConnection(Socket s, std::size_t buffer_size)
      : Transport(std::move(s)),
        buffer(new char[buffer_size]),
        capacity(buffer_size) {}
  // Closing without close_notify would make OpenSSL mark the session unresumable (its guard
  // against truncation), and the next connection to the pod would pay a full handshake. A quiet
  // shutdown only records that we are done; a session a fatal error spoiled stays spoiled.
  ~UpstreamConnection() {
    if (SSL* s = ssl()) {
      SSL_set_quiet_shutdown(s, 1);
      SSL_shutdown(s);
    }
  }

  // ---- The idle watch (plain connections; docs/decisions/0011). A pooled connection has a read
  // pending into `buffer`: if it completes while the connection is idle, the pod sent something
  // (stray bytes, an EOF) and the pool drops it. Once a request takes the connection, that same
  // read is the first read of its response (read_response_some), so a healthy reuse costs nothing.
  enum class Watch : std::uint8_t {
    kOff,    // no read pending from the watch
    kArmed,  // the read is pending: the connection must not be closed (interrupt.h)
    kDone,   // it completed: watch_error and watch_bytes say how
  };
  // Starts the watch. Expects no read pending and the response fully consumed.
  void arm_watch();
  bool watching() const { return watch != Watch::kOff; }
  // Reads the pod's next bytes into `into`, which must start at buffer[0] while watching(): a
  // pooled connection's watch has that read pending already, and its result is this read's
  // (resumed from the watch's completion: no timer, no extra hop, no allocation). Cancelling
  // the socket (a timeout) completes it with operation_aborted. Otherwise a plain read_some.
  auto read_response_some(boost::asio::mutable_buffer into) {
    auto token = kTuple;
    return boost::asio::async_initiate<decltype(token),
                                       void(boost::system::error_code, std::size_t)>(
        [this, into](auto handler) {
          if (watch == Watch::kOff) return async_read_some(into, std::move(handler));
          if (watch == Watch::kArmed) return watch_waiter.set(std::move(handler));
          watch = Watch::kOff;  // it completed before anyone waited (rare): answer at once
          boost::asio::post(socket().get_executor(),
                            [h = std::move(handler), ec = watch_error, n = watch_bytes]() mutable {
                              std::move(h)(ec, n);
                            });
        },
        token);
  }

  std::unique_ptr<char[]> buffer;
  std::size_t capacity;
  http1::Response response;  // the last response head read into `buffer` (views into it)
  boost::asio::ip::tcp::endpoint pod;  // set for TLS: its session is kept under this address
  std::chrono::steady_clock::time_point idle_since;
  bool reused = false;  // served a request before: an early EOF may be a stale keep-alive
  Watch watch = Watch::kOff;
  boost::system::error_code watch_error;
  std::size_t watch_bytes = 0;
  bool orphaned = false;  // its owner let go while the watch was armed: the watch deletes it
  WatchWaiter watch_waiter;
};

// Deletes a connection, or, while its watch's read is pending, interrupts it and leaves the
// deleting to the read's completion: Asio's io_uring backend must never see a descriptor closed
// under a pending operation (interrupt.h). Every owner of a connection goes through this.
struct UpstreamDeleter {
  void operator()(UpstreamConnection* c) const;
};
using UpstreamPtr = std::unique_ptr<UpstreamConnection, UpstreamDeleter>;

inline UpstreamPtr make_upstream(Transport::Socket socket, std::size_t buffer_size) {
  return UpstreamPtr(new UpstreamConnection(std::move(socket), buffer_size));
}

}  // namespace gatehouse::proxy
