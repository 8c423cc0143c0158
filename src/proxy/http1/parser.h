// The HTTP/1.1 message-head codec (RFC 9110, RFC 9112): request heads from clients (f1) and
// response heads from pods (f2). It does no I/O and keeps no state between calls: give it the
// bytes received so far, from the first byte of the message, and it says kComplete (with the
// head's length), kNeedMore, or kError (with the status to answer and a reason for the log).
//
// Zero-copy: every std::string_view in Request/Response points into the caller's buffer (the one
// exception is the "/" path of an absolute-form target without a path, a static literal), so the
// buffer must outlive the parsed head. Headers live in a fixed array; nothing allocates, nothing
// throws, nothing locks.
//
// Strict by design: whatever could be read two ways by two parsers (request smuggling) is refused.
// After kError the connection's framing is unknown: answer `http_status` and close.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proxy/http1/header_token.h"

namespace gatehouse::proxy::http1 {

inline constexpr std::size_t kMaxHeaders = 100;           // the fixed header array's capacity
inline constexpr std::size_t kMaxConnectionOptions = 16;  // tokens of Connection headers
inline constexpr std::uint64_t kMaxContentLength = 0x7fffffffffffffffull;  // 2^63 - 1

struct Limits {
  std::size_t max_request_line = 8 * 1024;  // the start line without CRLF (status line too)
  std::size_t max_head = 32 * 1024;         // the whole head, final CRLFCRLF included
  std::size_t max_headers = kMaxHeaders;    // clamped to kMaxHeaders
};

enum class ParseStatus : std::uint8_t { kComplete, kNeedMore, kError };

struct ParseResult {
  ParseStatus status = ParseStatus::kNeedMore;
  std::size_t consumed = 0;  // kComplete: the head's length, final CRLFCRLF included; else 0
  int http_status = 0;       // kError: the status to answer (502 for a bad response head)
  const char* reason = "";   // kError: a static, human-readable reason for the log
};

struct Header {
  std::string_view name;   // as received (case preserved)
  std::string_view value;  // OWS trimmed on both sides
  HeaderToken token = HeaderToken::kUnknown;
};

// The field lines of one head, in the order received.
struct Headers {
  std::array<Header, kMaxHeaders> items;
  std::size_t count = 0;

  const Header* begin() const { return items.data(); }
  const Header* end() const { return items.data() + count; }
  std::size_t size() const { return count; }
  const Header& operator[](std::size_t i) const { return items[i]; }
  // The first field line with this token, or nullptr.
  const Header* find(HeaderToken token) const;
  // The first field line with this name (ASCII case-insensitive), or nullptr.
  const Header* find(std::string_view name) const;
};

// The options of all Connection headers: the proxy removes the fields they name (RFC 9110 §7.6.1).
struct ConnectionOptions {
  std::array<std::string_view, kMaxConnectionOptions> tokens;  // as received, case preserved
  std::size_t count = 0;
  bool close = false;
  bool keep_alive = false;
  bool upgrade = false;

  // True when `name` is one of the tokens (ASCII case-insensitive).
  bool names(std::string_view name) const;
};

enum class BodyKind : std::uint8_t {
  kNone,           // no body
  kContentLength,  // exactly content_length bytes (possibly 0)
  kChunked,        // chunked transfer coding: feed the body to a ChunkedDecoder
  kUntilClose,     // responses only: the body ends when the pod closes the connection
};

enum class Method : std::uint8_t {
  kOther,  // a valid token, but not one the proxy treats specially
  kGet,
  kHead,
  kPost,
  kPut,
  kDelete,
  kConnect,
  kOptions,
  kTrace,
  kPatch,
};

enum class TargetForm : std::uint8_t { kOrigin, kAbsolute, kAuthority, kAsterisk };

struct Request {
  std::string_view method;  // case-sensitive token
  Method method_id = Method::kOther;
  std::string_view target;  // the request-target as received
  TargetForm target_form = TargetForm::kOrigin;
  std::string_view scheme;     // absolute-form only: "http" or "https", case as received
  std::string_view authority;  // absolute-form and authority-form: "host[:port]"
  std::string_view path;       // origin- and absolute-form: starts with '/'; empty otherwise
  std::string_view query;      // after '?', without it; empty when there is none
  bool has_query = false;      // a '?' was present (the query may still be empty)
  int version_minor = 1;       // HTTP/1.<minor>: 0 or 1

  std::string_view host;  // the Host header's value ("" when absent, allowed in HTTP/1.0)
  // The host to route on, port removed, case as received (compare case-insensitively): the
  // target's authority for absolute- and authority-form (RFC 9112 §3.2.2), else the Host header.
  std::string_view routing_host;

  Headers headers;
  ConnectionOptions connection;

  BodyKind body_kind = BodyKind::kNone;  // never kUntilClose for a request
  std::uint64_t content_length = 0;
  bool keep_alive = true;        // the connection may carry another request after this one
  bool expect_continue = false;  // HTTP/1.1 and "Expect: 100-continue"
  bool upgrade = false;          // Connection names "upgrade" and an Upgrade header is present
  std::string_view upgrade_protocols;  // the Upgrade header's value
};

struct Response {
  int version_minor = 1;
  int status = 0;  // 100..599
  std::string_view reason;

  Headers headers;
  ConnectionOptions connection;

  BodyKind body_kind = BodyKind::kNone;
  std::uint64_t content_length = 0;
  bool keep_alive = true;  // the upstream connection may be reused after this response
  // Transfer-Encoding and Content-Length were both present: the body is read as chunked
  // (RFC 9112 §6.3 rule 3), and keep_alive is false, since the pod and any intermediary may
  // disagree on where the message ends.
  bool had_both = false;
};

// Parses a request head from `bytes`, which starts at the request's first byte (empty lines
// before the request line, allowed by RFC 9112 §2.2, are skipped and counted in `consumed`). Reads
// at most limits.max_head bytes. On kComplete, the head is bytes[0, consumed) and `out` describes
// it; pipelined requests follow at bytes[consumed + body...]. kNeedMore is returned only while the
// bytes so far are a valid prefix of a head that fits the limits, so a peer cannot hold a
// connection with an unbounded line. Errors: 400 malformed, 414 request line too long, 431 head
// too large or too many headers, 417 Expect other than 100-continue, 501 a transfer coding other
// than chunked, 505 a version other than 1.0/1.1. `out` is meaningful only on kComplete.
// Cost: linear in the head (about 160 ns for a typical 130-byte head); each call starts again
// from bytes[0], so call it when new bytes arrive, and bound the time a head may take to arrive.
ParseResult parse_request(std::string_view bytes, Request& out, const Limits& limits = {});

// Parses a response head received from a pod, for a request whose method was `request_method`
// (which decides bodies of HEAD and CONNECT responses). Same field rules and limits as requests;
// every error is http_status 502. Framing per RFC 9112 §6.3: 1xx, 204, 304 and responses to HEAD
// have no body, nor do 2xx responses to CONNECT; then chunked; then Content-Length; else the body
// runs until the pod closes. Transfer codings other than chunked, and Transfer-Encoding in an
// HTTP/1.0 response, are refused (502): the proxy never decodes gzip and will not guess.
ParseResult parse_response(std::string_view bytes, Response& out, const Limits& limits,
                           std::string_view request_method);

// The Method of a method token (case-sensitive); kOther for any other token.
Method lookup_method(std::string_view method);

// --- Building blocks shared with the chunked decoder (trailers follow the same rules) ---

enum class FieldLineStatus : std::uint8_t { kComplete, kNeedMore, kError };

struct FieldLine {
  FieldLineStatus status = FieldLineStatus::kNeedMore;
  std::size_t length = 0;  // kComplete: the line's length including CRLF
  Header header;           // kComplete: the field, its token looked up
  const char* reason = "";
};

// Parses one field line "name: value CRLF" at bytes[0]. Expects the caller to have handled the
// empty line that ends a section (bytes[0] == CR). Refuses (kError): a line starting with SP/HTAB
// (obs-fold), a name that is not a token, whitespace before the colon, CTLs other than HTAB in
// the value (NUL, bare CR, bare LF...). Bytes 0x80-0xFF are allowed in values (obs-text).
FieldLine parse_field_line(std::string_view bytes);

// Validates "host[:port]": host a reg-name (RFC 3986, pct-encoding allowed), an IPv4 address or
// an IPv6 literal in brackets, not empty; port 1-5 digits, at most 65535, required when
// `require_port`. On success sets `host_out` to the host part (brackets kept for IPv6).
bool parse_host_port(std::string_view authority, bool require_port, std::string_view& host_out);

}  // namespace gatehouse::proxy::http1
