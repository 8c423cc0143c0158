// Where the data of a chunked body goes as ChunkedDecoder finds it: kept as pieces of the buffer
// it was read into (to be written out or handed to nghttp2 without a copy), appended to a string
// (when the bytes must outlive the buffer), or nowhere (only the body's end is wanted).
#pragma once

#include <boost/asio/buffer.hpp>
#include <string>
#include <vector>

#include "proxy/http1/chunked.h"

namespace gatehouse::proxy {

class PieceSink final : public http1::ChunkedSink {
 public:
  explicit PieceSink(std::vector<boost::asio::const_buffer>& pieces) : pieces_(pieces) {}
  void on_data(std::string_view data) override { pieces_.emplace_back(data.data(), data.size()); }
  void on_trailer(const http1::Header&) override {}

 private:
  std::vector<boost::asio::const_buffer>& pieces_;
};

class AppendSink final : public http1::ChunkedSink {
 public:
  explicit AppendSink(std::string& out) : out_(out) {}
  void on_data(std::string_view data) override { out_.append(data); }
  void on_trailer(const http1::Header&) override {}

 private:
  std::string& out_;
};

class NullSink final : public http1::ChunkedSink {
 public:
  void on_data(std::string_view) override {}
  void on_trailer(const http1::Header&) override {}
};

}  // namespace gatehouse::proxy
