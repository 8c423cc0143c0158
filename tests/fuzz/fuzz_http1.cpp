// libFuzzer target: arbitrary bytes to the HTTP/1.1 codec — the request parser, the response
// parser and the chunked decoder. The first byte configures the run (split step, limits, request
// method for the response); the rest is the stream. Checks, beyond "no crash, no undefined
// behaviour": consumed never exceeds the input; a complete head ends with CRLFCRLF and its views
// point inside the input; no field value carries CR, LF or NUL; and feeding the stream in pieces
// (growing prefixes, as a connection would) gives exactly the result of feeding it whole.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/http1/chunked.h"
#include "proxy/http1/parser.h"

namespace {

using namespace gatehouse::proxy::http1;  // NOLINT

void check(bool condition) {
  if (!condition) std::abort();
}

bool inside(std::string_view view, std::string_view buffer) {
  if (view.empty()) return true;  // empty views may point anywhere (even nullptr)
  return view.data() >= buffer.data() && view.data() + view.size() <= buffer.data() + buffer.size();
}

bool same(const ParseResult& a, const ParseResult& b) {
  return a.status == b.status && a.consumed == b.consumed && a.http_status == b.http_status &&
         std::strcmp(a.reason, b.reason) == 0;
}

void check_headers(const Headers& headers, std::string_view input) {
  check(headers.size() <= kMaxHeaders);
  for (const Header& h : headers) {
    check(!h.name.empty() && inside(h.name, input) && inside(h.value, input));
    check(h.value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos);
    check(h.token == lookup_header_token(h.name));
  }
}

void check_complete_head(const ParseResult& r, std::string_view input) {
  check(r.consumed >= 4 && r.consumed <= input.size());
  check(input.substr(r.consumed - 4, 4) == "\r\n\r\n");
}

void check_request(const Request& req, std::string_view input) {
  check(inside(req.method, input) && inside(req.target, input) && inside(req.authority, input));
  check(inside(req.query, input) && inside(req.host, input) && inside(req.routing_host, input));
  check(req.path == "/" || inside(req.path, input));  // absolute-form without a path: a literal
  check(req.version_minor == 0 || req.version_minor == 1);
  check(req.body_kind != BodyKind::kUntilClose);
  check(req.body_kind != BodyKind::kChunked || req.headers.find(HeaderToken::kTransferEncoding));
  check(!(req.headers.find(HeaderToken::kTransferEncoding) &&
          req.headers.find(HeaderToken::kContentLength)));
  check(req.version_minor == 0 || req.headers.find(HeaderToken::kHost) != nullptr);
  check_headers(req.headers, input);
}

// Parses growing prefixes of `input`, `step` bytes more each time, until the result is not
// kNeedMore; it must equal the whole input's result.
template <class Parse>
void check_split(std::string_view input, std::size_t step, const ParseResult& whole, Parse parse) {
  for (std::size_t end = step; end < input.size(); end += step) {
    const ParseResult r = parse(input.substr(0, end));
    if (r.status == ParseStatus::kNeedMore) continue;
    check(same(r, whole));
    return;
  }
}

struct Collect final : ChunkedSink {
  std::string_view buffer;
  std::string data;
  std::string trailers;

  void on_data(std::string_view piece) override {
    check(!piece.empty() && inside(piece, buffer));
    data.append(piece);
  }
  void on_trailer(const Header& field) override {
    check(inside(field.name, buffer) && inside(field.value, buffer));
    trailers.append(field.name).append(":").append(field.value).append("\n");
  }
};

struct ChunkedOutcome {
  ChunkedStatus status = ChunkedStatus::kNeedMore;
  std::size_t consumed = 0;
  std::string data;
  std::string trailers;
};

ChunkedOutcome decode_chunked(std::string_view input, std::size_t step) {
  ChunkedDecoder decoder;
  Collect sink;
  std::string pending;
  std::size_t offset = 0;
  ChunkedOutcome out;
  for (;;) {
    const std::size_t n = std::min(step, input.size() - offset);
    pending.append(input.substr(offset, n));
    offset += n;
    sink.buffer = pending;
    const ChunkedResult r = decoder.feed(pending, sink);
    check(r.consumed <= pending.size());
    out.consumed += r.consumed;
    pending.erase(0, r.consumed);
    out.status = r.status;
    if (r.status != ChunkedStatus::kNeedMore || offset == input.size()) break;
  }
  check(out.consumed <= input.size());
  out.data = std::move(sink.data);
  out.trailers = std::move(sink.trailers);
  return out;
}

void check_chunked(std::string_view input, std::size_t step) {
  const ChunkedOutcome whole = decode_chunked(input, input.size() + 1);
  const ChunkedOutcome split = decode_chunked(input, step);
  check(whole.status == split.status && whole.consumed == split.consumed);
  check(whole.data == split.data && whole.trailers == split.trailers);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 128 * 1024) return 0;
  const std::uint8_t config = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t step = (config & 0x0f) + 1;
  Limits limits;
  if (config & 0x10) {
    limits.max_request_line = 40;
    limits.max_head = 200;
    limits.max_headers = 8;
  }
  static const char* const kMethods[] = {"GET", "HEAD", "CONNECT", "POST"};
  const std::string_view method = kMethods[(config >> 6) & 3];

  // Requests, pipelined: parse, skip the body when its length is known, parse the next.
  static Request request;  // a few KiB: reused, as a connection would
  std::string_view rest = input;
  for (int k = 0; k < 4 && !rest.empty(); ++k) {
    const ParseResult whole = parse_request(rest, request, limits);
    check(whole.consumed <= rest.size());
    if (whole.status == ParseStatus::kComplete) {
      check_complete_head(whole, rest);
      check_request(request, rest);
    } else if (whole.status == ParseStatus::kError) {
      check(whole.http_status >= 400 && whole.http_status < 600 && whole.reason[0] != '\0');
    }
    const BodyKind body_kind = request.body_kind;
    const std::uint64_t content_length = request.content_length;
    static Request scratch;
    check_split(rest, step, whole,
                [&](std::string_view prefix) { return parse_request(prefix, scratch, limits); });
    if (whole.status != ParseStatus::kComplete) break;
    rest.remove_prefix(whole.consumed);
    if (body_kind == BodyKind::kChunked) {
      check_chunked(rest, step);
      break;
    }
    if (body_kind == BodyKind::kContentLength) {
      if (content_length > rest.size()) break;
      rest.remove_prefix(static_cast<std::size_t>(content_length));
    }
  }

  // The same bytes as a response head.
  static Response response;
  const ParseResult whole = parse_response(input, response, limits, method);
  check(whole.consumed <= input.size());
  if (whole.status == ParseStatus::kComplete) {
    check_complete_head(whole, input);
    check_headers(response.headers, input);
    check(inside(response.reason, input));
    check(response.status >= 100 && response.status <= 599);
    check(!response.had_both || !response.keep_alive);
    check(response.body_kind != BodyKind::kUntilClose || !response.keep_alive);
  } else if (whole.status == ParseStatus::kError) {
    check(whole.http_status == 502);
  }
  static Response scratch_response;
  check_split(input, step, whole, [&](std::string_view prefix) {
    return parse_response(prefix, scratch_response, limits, method);
  });

  // And as a chunked body.
  check_chunked(input, step);
  return 0;
}
