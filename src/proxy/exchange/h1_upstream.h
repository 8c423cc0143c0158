// The upstream adapter for pods that speak HTTP/1.1, plain or over TLS: the request head written
// from the neutral RequestHead (the body with its own framing: Content-Length, else chunked),
// the response head parsed into a ResponseHead, its body handed on as pieces of the connection's
// buffer, de-chunked. Connections come from and go back to the worker's pool (upstream_pool.h).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "proxy/exchange/adapters.h"
#include "proxy/http1/chunked.h"
#include "proxy/http1/parser.h"
#include "proxy/upstream_connection.h"

namespace gatehouse::proxy {

class Http1Upstream final : public Upstream {
 public:
  Http1Upstream(Downstream& down, bool tls) : down_(down), tls_(tls) {}

  bool reuse(const boost::asio::ip::tcp::endpoint& pod) override;
  boost::asio::awaitable<ForwardError> open(const boost::asio::ip::tcp::endpoint& pod) override;
  bool reused() const override { return connection_ && connection_->reused; }
  boost::asio::awaitable<ForwardError> send_head(const RequestHead& head,
                                                 const Forwarding& forwarding,
                                                 const Pieces& first, bool last) override;
  boost::asio::awaitable<bool> send_body(const Pieces& pieces, bool last) override;
  boost::asio::awaitable<ForwardError> read_head(ResponseHead& out) override;
  BodyStatus buffered_body(Pieces& out) override;
  boost::asio::awaitable<BodyStatus> read_body(Pieces& out) override;
  std::uint32_t reset_code() const override { return 0; }
  std::span<const Field> trailers() const override { return trailers_; }
  bool full_duplex() const override { return false; }
  void cut() override;
  void finish(bool clean) override;
  UpstreamConnection* tunnel_connection(std::size_t& start, std::size_t& end) override;

 private:
  // Writes `pieces` framed as the request body says, after `head` when it is not empty.
  boost::asio::awaitable<bool> write_framed(std::string_view head, const Pieces& pieces,
                                            bool last);
  // The buffers of that write in out_: how many, or 0 when they do not fit.
  std::size_t frame(std::string_view head, const Pieces& pieces, bool last);
  void build_head(const RequestHead& head, const Forwarding& forwarding, std::string& out) const;

  Downstream& down_;
  const bool tls_;
  UpstreamPtr connection_;
  boost::asio::ip::tcp::endpoint pod_;
  Framing request_framing_ = Framing::kNone;
  std::size_t start_ = 0, end_ = 0;  // response bytes in the buffer not yet handed on
  std::uint64_t remaining_ = 0;      // of a Content-Length body
  http1::ChunkedDecoder decoder_;
  std::string trailer_text_;  // the trailer section as received, "name: value\r\n" lines
  std::vector<Field> trailers_;  // views into trailer_text_
  std::array<boost::asio::const_buffer, 12> out_;
  char chunk_line_[24];
};

}  // namespace gatehouse::proxy
