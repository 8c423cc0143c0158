// Where the data of a chunked body goes as ChunkedDecoder finds it: kept as pieces of the buffer
// it was read into (to be written out or handed to nghttp2 without a copy), with or without the
// trailer fields.
#pragma once

#include <boost/asio/buffer.hpp>
#include <string>
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

// Pieces as PieceSink; the trailer fields are copied out as "name: value\r\n" lines (the bytes
// they were read from may be gone by the time the section ends).
class PieceTrailerSink final : public http1::ChunkedSink {
 public:
  PieceTrailerSink(std::vector<boost::asio::const_buffer>& pieces, std::string& trailers)
      : pieces_(pieces), trailers_(trailers) {}
  void on_data(std::string_view data) override { pieces_.emplace_back(data.data(), data.size()); }
  void on_trailer(const http1::Header& field) override {
    trailers_.append(field.name);
    trailers_.append(": ");
    trailers_.append(field.value);
    trailers_.append("\r\n");
  }

 private:
  std::vector<boost::asio::const_buffer>& pieces_;
  std::string& trailers_;
};

}  // namespace gatehouse::proxy
