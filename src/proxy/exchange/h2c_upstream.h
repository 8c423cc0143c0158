// The upstream adapter for pods that speak HTTP/2 cleartext (appProtocol kubernetes.io/h2c): the
// request is a stream on the worker's connection to the pod (h2_upstream.h), its body DATA frames
// sent as the pod's window allows, the response's DATA handed on as it comes and consumed (the
// pod's window reopened) only once the client has taken it. Full duplex: the request body may
// still flow while the response streams (gRPC bidi). Progress wakes the downstream's event.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "proxy/exchange/adapters.h"
#include "proxy/http2/h2_upstream.h"

namespace gatehouse::proxy {

class H2cUpstream final : public Upstream {
 public:
  explicit H2cUpstream(Downstream& down) : down_(down) {}
  ~H2cUpstream();

  bool reuse(const boost::asio::ip::tcp::endpoint& pod) override;
  boost::asio::awaitable<ForwardError> open(const boost::asio::ip::tcp::endpoint& pod) override;
  bool reused() const override { return false; }  // streams are never stale: no retry
  boost::asio::awaitable<ForwardError> send_head(const RequestHead& head,
                                                 const Forwarding& forwarding,
                                                 const Pieces& first, bool last) override;
  boost::asio::awaitable<bool> send_body(const Pieces& pieces, bool last) override;
  boost::asio::awaitable<ForwardError> read_head(ResponseHead& out) override;
  BodyStatus buffered_body(Pieces& out) override;
  boost::asio::awaitable<BodyStatus> read_body(Pieces& out) override;
  std::uint32_t reset_code() const override {
    return stream_ && stream_->ended ? stream_->error : 0;
  }
  std::span<const Field> trailers() const override { return trailers_; }
  bool full_duplex() const override { return true; }
  // Every wait ends, now and from now on: a deadline passed, or forward() is done with it.
  void cut() override {
    cut_ = true;
    down_.event().cancel();
  }
  void finish(bool clean) override;
  UpstreamConnection* tunnel_connection(std::size_t&, std::size_t&) override { return nullptr; }

 private:
  boost::asio::awaitable<void> wait();
  bool stopped() const { return cut_ || down_.timed_out() || down_.gone(); }
  // Hands the pod's pending response bytes over, and says where the body stands.
  BodyStatus take(Pieces& out);
  static std::vector<Field> as_fields(const H2Upstream::Fields& fields);

  Downstream& down_;
  std::shared_ptr<H2Upstream> connection_;
  std::shared_ptr<H2Upstream::Stream> stream_;
  std::string sending_;  // response bytes handed on, consumed on the next call
  std::vector<Field> fields_;
  std::vector<Field> trailers_;
  bool head_request_ = false;
  bool bodyless_ = false;  // HEAD, 204, 304: whatever DATA comes is not a body
  bool cut_ = false;
};

}  // namespace gatehouse::proxy
