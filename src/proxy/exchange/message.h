// The protocol-neutral exchange (docs/decisions/0013): what one request and its response are,
// whatever protocol each side speaks. A downstream adapter (Session for HTTP/1.1 clients,
// H2Downstream for HTTP/2 streams) turns the client's request into a RequestHead; an upstream
// adapter (Http1Upstream, H2cUpstream) turns the pod's response into a ResponseHead. forward()
// sees only these. Every view points into the adapter that made it and lives for the exchange.
#pragma once

#include <boost/asio/buffer.hpp>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "proxy/http1/parser.h"

namespace gatehouse::proxy {

// One end-to-end field: name as the peer sent it (HTTP/2: lower case), its token interned.
using Field = http1::Header;

// How a body's end is known. The wire framing (Content-Length, chunked, END_STREAM, the close of
// the connection) is each adapter's; only this crosses.
enum class Framing : std::uint8_t {
  kNone,    // no body
  kLength,  // exactly content_length bytes
  kStream,  // until the sender says it ended (chunked, END_STREAM, close)
};

struct RequestHead {
  std::string_view method;
  http1::Method method_id = http1::Method::kOther;
  std::string_view authority;     // as sent (absolute-form authority, :authority, else Host)
  std::string_view routing_host;  // the host matched on: port removed, case as sent
  std::string_view raw_path;      // as sent, before normalization
  std::string_view query;         // after '?', untouched
  bool has_query = false;
  std::string_view path;  // set by forward(): the normalized path, the one that was matched
  // End-to-end fields only: the adapter has removed hop-by-hop and Connection-named fields,
  // framing fields, Host and Expect. Fields gatehouse writes itself are removed by forward().
  std::span<const Field> fields;
  Framing framing = Framing::kNone;
  std::uint64_t content_length = 0;  // kLength
  bool expect_continue = false;      // the client waits for 100 Continue before its body
  bool wants_trailers = false;       // TE: trailers
  bool upgrade = false;              // a WebSocket upgrade gatehouse will tunnel
  std::string_view upgrade_protocols;
  bool client_tls = false;  // the client connection is TLS

  bool has_body() const {
    return framing == Framing::kStream || (framing == Framing::kLength && content_length > 0);
  }
};

struct ResponseHead {
  int status = 0;
  std::string_view reason;  // HTTP/1.1 pods' reason phrase; "" when none
  std::span<const Field> fields;  // end-to-end fields, as ResponseHead's RequestHead
  Framing framing = Framing::kNone;
  std::uint64_t content_length = 0;
  // A response without a body (HEAD, 304) may describe the body a GET would get: its length, or
  // that it would be chunked. Passed on as such.
  bool describes_length = false;
  std::uint64_t described_length = 0;
  bool describes_chunked = false;
  std::string_view upgrade_protocols;  // 101 only
};

// Body bytes handed across: views into the sender's buffers, valid until its next body call.
using Pieces = std::vector<boost::asio::const_buffer>;

inline std::size_t total_size(const Pieces& pieces) {
  std::size_t n = 0;
  for (const auto& p : pieces) n += p.size();
  return n;
}

enum class BodyStatus : std::uint8_t {
  kMore,   // pieces hold bytes; more follow
  kEnd,    // pieces hold the last bytes (maybe none); trailers may follow
  kError,  // malformed (a client: 400) or cut short (a pod)
  kGone,   // the peer went away (or a deadline passed)
};

}  // namespace gatehouse::proxy
