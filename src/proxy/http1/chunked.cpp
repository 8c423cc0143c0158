#include "proxy/http1/chunked.h"

#include <algorithm>

namespace gatehouse::proxy::http1 {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// chunk-ext bytes are ignored, but must be printable (VCHAR, obs-text, SP, HTAB): a CR or LF
// there is exactly what two parsers would read differently.
bool is_extension_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return c == '\t' || c == ' ' || (u >= 0x21 && u != 0x7f);
}

}  // namespace

ChunkedResult ChunkedDecoder::fail(std::size_t consumed, const char* reason) {
  state_ = State::kError;
  error_reason_ = reason;
  return {ChunkedStatus::kError, consumed, reason};
}

ChunkedResult ChunkedDecoder::feed(std::string_view bytes, ChunkedSink& sink) {
  if (state_ == State::kDone) return {ChunkedStatus::kDone, 0, ""};
  if (state_ == State::kError) return {ChunkedStatus::kError, 0, error_reason_};
  std::size_t i = 0;
  while (i < bytes.size()) {
    const char c = bytes[i];
    switch (state_) {
      case State::kSize: {
        const int digit = hex_value(c);
        if (digit >= 0) {
          if (++digits_ > kMaxChunkSizeDigits) return fail(i, "chunk size has too many digits");
          if (remaining_ > (kMaxChunkSize >> 4)) return fail(i, "chunk size too large");
          remaining_ = (remaining_ << 4) | static_cast<std::uint64_t>(digit);
          if (remaining_ > kMaxChunkSize) return fail(i, "chunk size too large");
          ++i;
          break;
        }
        if (digits_ == 0) return fail(i, "chunk line must start with a hex size");
        if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (c == ';') {
          state_ = State::kExtension;
          ++extension_bytes_;
        } else if (c == ' ' || c == '\t') {
          state_ = State::kSizeBws;
          ++extension_bytes_;
        } else {
          return fail(i, c == '\n' ? "bare LF in chunk line" : "invalid character in chunk size");
        }
        ++i;
        break;
      }
      case State::kSizeBws:
        // chunk-ext = *( BWS ";" ... ): whitespace after the size only if an extension follows.
        if (c == ';') {
          state_ = State::kExtension;
        } else if (c != ' ' && c != '\t') {
          return fail(i, "whitespace after chunk size");
        }
        if (++extension_bytes_ > limits_.max_extension) {
          return fail(i, "chunk extension too long");
        }
        ++i;
        break;
      case State::kExtension:
        if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (!is_extension_char(c)) {
          return fail(i,
                      c == '\n' ? "bare LF in chunk line" : "control character in chunk extension");
        } else if (++extension_bytes_ > limits_.max_extension) {
          return fail(i, "chunk extension too long");
        }
        ++i;
        break;
      case State::kSizeLf:
        if (c != '\n') return fail(i, "bare CR in chunk line");
        ++i;
        digits_ = 0;
        extension_bytes_ = 0;
        state_ = remaining_ == 0 ? State::kTrailerStart : State::kData;
        break;
      case State::kData: {
        const std::size_t available = bytes.size() - i;
        const std::size_t n =
            remaining_ < available ? static_cast<std::size_t>(remaining_) : available;
        sink.on_data(bytes.substr(i, n));
        i += n;
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kDataCr;
        break;
      }
      case State::kDataCr:
        if (c != '\r') return fail(i, "chunk data not followed by CRLF");
        state_ = State::kDataLf;
        ++i;
        break;
      case State::kDataLf:
        if (c != '\n') return fail(i, "bare CR after chunk data");
        state_ = State::kSize;
        ++i;
        break;
      case State::kTrailerStart: {
        if (c == '\r') {
          state_ = State::kTrailerEndLf;
          ++trailer_bytes_;
          ++i;
          break;
        }
        if (c == '\n') return fail(i, "bare LF in trailer section");
        if (trailer_count_ >= limits_.max_trailers) return fail(i, "too many trailer fields");
        // A field line is parsed whole, so its views point into `bytes`; an incomplete one is
        // left unconsumed for the caller to present again with more bytes.
        const std::size_t budget =
            limits_.max_trailer_section > trailer_bytes_ + 2
                ? limits_.max_trailer_section - trailer_bytes_ - 2  // keep room for final CRLF
                : 0;
        const std::string_view window = bytes.substr(i, budget);
        const FieldLine line = parse_field_line(window);
        if (line.status == FieldLineStatus::kError) return fail(i, line.reason);
        if (line.status == FieldLineStatus::kNeedMore) {
          if (window.size() == budget) return fail(i, "trailer section too large");
          return {ChunkedStatus::kNeedMore, i, ""};
        }
        sink.on_trailer(line.header);
        ++trailer_count_;
        trailer_bytes_ += line.length;
        i += line.length;
        break;
      }
      case State::kTrailerEndLf:
        if (c != '\n') return fail(i, "bare CR in trailer section");
        ++trailer_bytes_;
        ++i;
        state_ = State::kDone;
        return {ChunkedStatus::kDone, i, ""};
      case State::kDone:
      case State::kError:
        return {ChunkedStatus::kError, i, "unreachable decoder state"};
    }
  }
  return {ChunkedStatus::kNeedMore, i, ""};
}

}  // namespace gatehouse::proxy::http1
