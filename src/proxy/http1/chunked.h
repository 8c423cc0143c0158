// The chunked transfer coding (RFC 9112 §7.1), decoded incrementally with no I/O and no copy:
// feed it whatever bytes arrived; it hands the chunk data to a sink as views into those bytes,
// then the trailer fields, and says when the body is done and how many bytes it used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proxy/http1/parser.h"

namespace gatehouse::proxy::http1 {

inline constexpr std::uint64_t kMaxChunkSize = 1ull << 62;
inline constexpr std::size_t kMaxChunkSizeDigits = 16;

struct ChunkedLimits {
  std::size_t max_extension = 4 * 1024;         // chunk-ext bytes of one chunk line
  std::size_t max_trailer_section = 32 * 1024;  // the trailer section, final CRLF included
  std::size_t max_trailers = kMaxHeaders;       // trailer field lines
};

// Receives the decoded body. Views are valid only during the call (they point into the bytes
// given to feed()); a sink that keeps them must copy.
class ChunkedSink {
 public:
  // A piece of chunk data, never empty. Pieces may split chunks anywhere.
  virtual void on_data(std::string_view data) = 0;
  // One trailer field, checked with the same rules as header fields (parse_field_line). Fields
  // that must not be trailers (framing, routing: RFC 9110 §6.5.1) are the proxy's to drop.
  virtual void on_trailer(const Header& field) = 0;

 protected:
  ~ChunkedSink() = default;
};

enum class ChunkedStatus : std::uint8_t { kNeedMore, kDone, kError };

struct ChunkedResult {
  ChunkedStatus status = ChunkedStatus::kNeedMore;
  std::size_t consumed = 0;  // bytes of this feed() used; the rest must be fed again (see feed)
  const char* reason = "";   // kError: a static reason for the log
};

class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(const ChunkedLimits& limits = {}) : limits_(limits) {}

  // Decodes `bytes`, the data received after everything consumed so far. Returns:
  // - kNeedMore: the body is not finished. Usually consumed == bytes.size(); while a trailer line
  //   is incomplete, consumed stops at the line's start, and the caller must pass the unconsumed
  //   bytes again, followed by new ones, on the next call (so trailer views need no copy).
  // - kDone: the body ended at bytes[consumed - 1]; what follows belongs to the next message.
  //   Later calls return kDone with consumed 0.
  // - kError: malformed or over a limit; the connection must be closed. Later calls fail too.
  // Feeding the same stream in any split gives the same data, trailers and outcome.
  ChunkedResult feed(std::string_view bytes, ChunkedSink& sink);

  bool done() const { return state_ == State::kDone; }
  // Forgets everything, for the next chunked body.
  void reset() { *this = ChunkedDecoder(limits_); }

 private:
  enum class State : std::uint8_t {
    kSize,       // chunk-size hex digits
    kSizeBws,    // whitespace after the size, before ';'
    kExtension,  // chunk-ext, up to CR
    kSizeLf,     // the LF ending the chunk line
    kData,       // chunk-data
    kDataCr,     // the CRLF after chunk-data
    kDataLf,
    kTrailerStart,  // start of a trailer line, or the final CRLF
    kTrailerEndLf,  // the LF of the final CRLF
    kDone,
    kError,
  };

  ChunkedResult fail(std::size_t consumed, const char* reason);

  ChunkedLimits limits_;
  State state_ = State::kSize;
  std::uint64_t remaining_ = 0;  // kSize: the size so far; kData: bytes of the chunk still due
  std::size_t digits_ = 0;
  std::size_t extension_bytes_ = 0;
  std::size_t trailer_bytes_ = 0;
  std::size_t trailer_count_ = 0;
  const char* error_reason_ = "";
};

}  // namespace gatehouse::proxy::http1
