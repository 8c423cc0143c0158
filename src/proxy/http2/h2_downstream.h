// The downstream adapter of one HTTP/2 request stream (exchange/adapters.h): the stream's
// request as a RequestHead, its DATA as the request body (the client's window reopens only once
// the pod has taken the bytes), and forward()'s response as HEADERS, DATA handed to nghttp2 as
// the client's window lets it out, and trailers. Lives on the stream's exchange coroutine.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "proxy/exchange/adapters.h"
#include "proxy/http2/h2_connection.h"
#include "proxy/http2/h2_stream.h"

namespace gatehouse::proxy {

class H2Downstream final : public Downstream {
 public:
  H2Downstream(H2Connection& connection, std::shared_ptr<H2Connection::Stream> stream);
  ~H2Downstream();
  H2Downstream(const H2Downstream&) = delete;
  H2Downstream& operator=(const H2Downstream&) = delete;

  // Fills the RequestHead from what the callbacks received; a status to answer instead (431,
  // 405, 404, 400), or 0.
  int describe_request();

  Worker& worker() override;
  RequestHead& request() override { return request_; }
  std::string& path_storage() override { return path_; }
  std::string& scratch() override { return s_.head; }
  Forwarding forwarding() const override;
  void set_deadline(Stage stage, std::chrono::milliseconds timeout) override;
  bool timed_out() const override { return s_.timed_out; }
  void clear_timeout() override { s_.timed_out = false; }
  bool gone() const override { return c_.gone(s_); }
  void watch(Upstream* upstream) override { s_.watched = upstream; }
  boost::asio::steady_timer& event() override { return s_.wake; }
  std::shared_ptr<void> event_owner() override { return stream_; }
  bool full_duplex() const override { return true; }
  Pieces& response_pieces() override { return response_pieces_; }
  void buffered_body(Pieces& out, bool& last) override;
  boost::asio::awaitable<BodyStatus> read_body(Pieces& out) override;
  void stop_body() override;
  boost::asio::awaitable<bool> send_continue() override;
  boost::asio::awaitable<bool> send_head(const ResponseHead& head, const Pieces& first, bool last,
                                         std::span<const Field> trailers) override;
  boost::asio::awaitable<bool> send_body(const Pieces& pieces, bool last,
                                         std::span<const Field> trailers) override;
  void abort_response(std::uint32_t pod_reset) override;
  boost::asio::awaitable<void> reply(int status, std::string_view detail,
                                     std::string_view location, bool close) override;
  boost::asio::awaitable<void> tunnel(UpstreamConnection&, std::size_t, std::size_t) override;

 private:
  // Takes the request bytes that arrived (the previous ones count as taken by the pod).
  BodyStatus take_body(Pieces& out);
  // The bytes the pod took reopen the client's window.
  void consume_taken();
  // Waits until nghttp2 has taken the pieces (and the end, when `last`).
  boost::asio::awaitable<bool> drain(bool last);

  H2Connection& c_;
  std::shared_ptr<H2Connection::Stream> stream_;
  H2Connection::Stream& s_;
  RequestHead request_;
  std::vector<Field> fields_;
  std::string cookie_;  // the client's cookie fields joined (RFC 9113 §8.2.3)
  std::string path_;
  Pieces response_pieces_;
  std::size_t taken_ = 0;  // request bytes handed to the pod, not yet consumed in nghttp2
  bool body_stopped_ = false;
};

}  // namespace gatehouse::proxy
