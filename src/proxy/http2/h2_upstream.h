// An HTTP/2 cleartext (h2c, prior knowledge) connection to a pod whose Service port says
// `appProtocol: kubernetes.io/h2c` — what gRPC servers speak. Many request streams share it;
// each worker keeps one per pod address (Worker::h2_upstream) and opens another when it is full,
// closed or told to go away.
//
// As H2Connection on the client side: nghttp2 without I/O, a reader and a writer coroutine, the
// exchanges (exchange/h2c_upstream.cpp) only touch their stream's state and wake the writer. Response bytes
// are consumed (the pod's window reopens) only once the client has taken them.
#pragma once

#include <nghttp2/nghttp2.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gatehouse::proxy {

class H2Upstream : public std::enable_shared_from_this<H2Upstream> {
 public:
  using Fields = std::vector<std::pair<std::string, std::string>>;

  // One request on the connection, shared by the exchange and the connection's callbacks.
  struct Stream {
    std::int32_t id = -1;
    // The response, as it arrives.
    int status = 0;
    Fields headers;
    Fields trailers;
    bool head_done = false;  // the response's HEADERS arrived (status and headers are set)
    bool ended = false;      // the stream closed; `error` says how (0: cleanly)
    std::uint32_t error = 0;
    std::string incoming;    // response body bytes not yet taken by the exchange
    // The request body nghttp2 reads: the exchange fills `outgoing` once `sent` reached its end.
    std::string outgoing;
    std::size_t sent = 0;
    bool body_eof = false;
    bool deferred = false;
    boost::asio::steady_timer* waker = nullptr;  // the exchange's event: cancel() wakes it
    std::shared_ptr<void> waker_owner;           // keeps `waker` alive while this stream is
  };

  static std::shared_ptr<H2Upstream> create(boost::asio::io_context& io, std::size_t buffer_size);
  H2Upstream(boost::asio::io_context& io, std::size_t buffer_size);
  ~H2Upstream();

  // Connects and starts the reader and writer; false when the pod cannot be reached in time.
  boost::asio::awaitable<bool> connect(const boost::asio::ip::tcp::endpoint& pod,
                                       std::chrono::milliseconds timeout);
  // Open, not told to go away, and below the pod's concurrent-stream limit.
  bool usable() const;
  bool idle() const { return streams_.empty(); }
  std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }
  // Starts a request; `has_body`: the request body follows through `outgoing`. Progress
  // cancels `waker` (a timer set to never expire, used as an event). Null on failure.
  std::shared_ptr<Stream> open(const std::vector<nghttp2_nv>& fields, bool has_body,
                               boost::asio::steady_timer& waker, std::shared_ptr<void> owner);
  // New request bytes (or the body's end) are in the stream: nghttp2 may send them.
  void resume(Stream& s);
  // The exchange took `n` response bytes: the pod may send that many more.
  void consume(Stream& s, std::size_t n);
  // Abandons a stream (the client went away): RST_STREAM(CANCEL).
  void cancel(Stream& s);
  void close();
  // No new streams will come (the worker dropped it from its pool): close once the last ends.
  void retire();

 private:
  friend struct UpstreamCallbacks;
  boost::asio::awaitable<void> reader(std::shared_ptr<H2Upstream> self);
  boost::asio::awaitable<void> writer(std::shared_ptr<H2Upstream> self);
  void wake_writer();
  void fail_all();
  // Feeds the pod's bytes to nghttp2 frame by frame, so that each DATA frame's stream is checked
  // once every frame before it has been processed. False on a connection error.
  bool feed(const std::uint8_t* bytes, std::size_t n);

  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<std::int32_t, std::shared_ptr<Stream>> streams_;
  std::string out_;
  boost::asio::steady_timer write_wake_;
  bool writer_waiting_ = false;
  bool closed_ = false;
  bool going_away_ = false;  // GOAWAY received: no new streams
  bool retired_ = false;     // out of the worker's pool: closes when idle
  // The pod sent what a well-framed connection never carries (DATA on a stream that ended, a
  // frame nghttp2 refused): no new streams; the worker retires it (docs/decisions/0011).
  bool misbehaved_ = false;
  static constexpr std::size_t kRememberedCancels = 32;
  std::vector<std::int32_t> cancelled_;  // streams we reset lately: their late DATA is expected
  static constexpr std::size_t kFrameHeader = 9;
  std::uint8_t header_[kFrameHeader] = {};  // the frame header being read
  std::size_t header_have_ = 0;
  std::uint32_t payload_left_ = 0;  // of the current frame's payload, still to come
  std::chrono::steady_clock::time_point idle_since_;
};

}  // namespace gatehouse::proxy
