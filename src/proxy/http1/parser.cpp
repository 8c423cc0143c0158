#include "proxy/http1/parser.h"

#include <algorithm>

namespace gatehouse::proxy::http1 {
namespace {

// --- Character classes (RFC 9110 §5.6.2 tchar, §5.5 field values; RFC 3986 reg-name) ---

enum CharClass : std::uint8_t {
  kTchar = 1u << 0,
  kFieldChar = 1u << 1,   // may appear in a field value or reason phrase: VCHAR, obs-text, SP, HTAB
  kTargetChar = 1u << 2,  // may appear in a request-target: visible ASCII
  kRegNameChar = 1u << 3,  // unreserved / sub-delims
  kHexDigit = 1u << 4,
  kDigit = 1u << 5,
};

constexpr std::array<std::uint8_t, 256> make_char_classes() {
  constexpr std::string_view kTcharPunct = "!#$%&'*+-.^_`|~";
  constexpr std::string_view kRegNamePunct = "-._~!$&'()*+,;=";
  std::array<std::uint8_t, 256> table{};
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    std::uint8_t flags = 0;
    if (alpha || digit || (c != 0 && kTcharPunct.find(ch) != std::string_view::npos)) {
      flags |= kTchar;
    }
    if (c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f)) flags |= kFieldChar;
    if (c >= 0x21 && c <= 0x7e) flags |= kTargetChar;
    if (alpha || digit || (c != 0 && kRegNamePunct.find(ch) != std::string_view::npos)) {
      flags |= kRegNameChar;
    }
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) flags |= kHexDigit;
    if (digit) flags |= kDigit;
    table[static_cast<std::size_t>(c)] = flags;
  }
  return table;
}

constexpr std::array<std::uint8_t, 256> kCharClasses = make_char_classes();

inline bool has_class(char c, std::uint8_t cls) {
  return (kCharClasses[static_cast<unsigned char>(c)] & cls) != 0;
}
inline bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

constexpr std::string_view kRootPath = "/";

// --- Results ---

constexpr ParseResult need_more() {
  return {};
}
constexpr ParseResult fail(int http_status, const char* reason) {
  return {ParseStatus::kError, 0, http_status, reason};
}
constexpr ParseResult done(std::size_t consumed) {
  return {ParseStatus::kComplete, consumed, 0, ""};
}

// What running out of bytes means when the window was cut at `limit_end` (a limit) and the caller
// has `available` bytes: still a valid prefix (kNeedMore), or a head that cannot fit (error).
ParseResult ran_out(std::size_t available, std::size_t limit_end, int http_status,
                    const char* reason) {
  return available < limit_end ? need_more() : fail(http_status, reason);
}

std::size_t saturating_add(std::size_t a, std::size_t b) {
  return a > static_cast<std::size_t>(-1) - b ? static_cast<std::size_t>(-1) : a + b;
}

// --- Pieces of start lines ---

// Reads "HTTP/" DIGIT "." DIGIT at w[i], advancing i. kComplete means read (consumed unused).
ParseResult read_version(std::string_view w, std::size_t& i, int& major, int& minor) {
  constexpr std::string_view kName = "HTTP/";
  for (char expected : kName) {
    if (i == w.size()) return need_more();
    if (w[i] != expected) return fail(400, "malformed HTTP version");
    ++i;
  }
  if (i == w.size()) return need_more();
  if (!has_class(w[i], kDigit)) return fail(400, "malformed HTTP version");
  major = w[i++] - '0';
  if (i == w.size()) return need_more();
  if (w[i] != '.') return fail(400, "malformed HTTP version");
  ++i;
  if (i == w.size()) return need_more();
  if (!has_class(w[i], kDigit)) return fail(400, "malformed HTTP version");
  minor = w[i++] - '0';
  return done(i);
}

// Reads CRLF at w[i], advancing i.
ParseResult read_crlf(std::string_view w, std::size_t& i, const char* other_reason) {
  if (i == w.size()) return need_more();
  if (w[i] == '\n') return fail(400, "bare LF");
  if (w[i] != '\r') return fail(400, other_reason);
  ++i;
  if (i == w.size()) return need_more();
  if (w[i] != '\n') return fail(400, "bare CR");
  ++i;
  return done(i);
}


// request-line = method SP request-target SP HTTP-version CRLF, read from the start of `w`.
ParseResult parse_request_line(std::string_view w, Request& out) {
  std::size_t i = 0;
  while (i < w.size() && has_class(w[i], kTchar)) ++i;
  if (i == w.size()) return need_more();
  if (i == 0) return fail(400, w[0] == '\n' ? "bare LF" : "request line must start with a method");
  if (w[i] != ' ') return fail(400, "invalid character in method");
  out.method = w.substr(0, i);
  const std::size_t target_start = ++i;
  while (i < w.size() && has_class(w[i], kTargetChar)) ++i;
  if (i == w.size()) return need_more();
  if (i == target_start) return fail(400, "empty request-target");
  if (w[i] != ' ') return fail(400, "invalid character in request-target");
  out.target = w.substr(target_start, i - target_start);
  ++i;
  int major = 0;
  int minor = 0;
  if (ParseResult r = read_version(w, i, major, minor); r.status != ParseStatus::kComplete) {
    return r;
  }
  if (ParseResult r = read_crlf(w, i, "malformed HTTP version");
      r.status != ParseStatus::kComplete) {
    return r;
  }
  if (major != 1 || minor > 1) return fail(505, "HTTP version not supported");
  out.version_minor = minor;
  return done(i);
}

void split_path_query(std::string_view path_and_query, Request& out) {
  const std::size_t q = path_and_query.find('?');
  if (q == std::string_view::npos) {
    out.path = path_and_query;
    return;
  }
  out.path = path_and_query.substr(0, q);
  out.query = path_and_query.substr(q + 1);
  out.has_query = true;
}

// Sorts the request-target into its form (RFC 9112 §3.2) and splits it. Expects out.method_id
// and out.target set. Sets routing_host for absolute- and authority-form.
ParseResult classify_target(Request& out) {
  const std::string_view t = out.target;
  if (out.method_id == Method::kConnect) {
    if (!parse_host_port(t, /*require_port=*/true, out.routing_host)) {
      return fail(400, "CONNECT requires an authority-form target (host:port)");
    }
    out.target_form = TargetForm::kAuthority;
    out.authority = t;
    return done(0);
  }
  if (t[0] == '/') {
    out.target_form = TargetForm::kOrigin;
    split_path_query(t, out);
    return done(0);
  }
  if (t == "*") {
    if (out.method_id != Method::kOptions) return fail(400, "asterisk-form is only for OPTIONS");
    out.target_form = TargetForm::kAsterisk;
    return done(0);
  }
  const std::size_t scheme_end = t.find("://");
  if (scheme_end == std::string_view::npos) return fail(400, "invalid request-target");
  const std::string_view scheme = t.substr(0, scheme_end);
  if (!iequals(scheme, "http") && !iequals(scheme, "https")) {
    return fail(400, "request-target scheme is not http or https");
  }
  const std::string_view rest = t.substr(scheme_end + 3);
  const std::size_t authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return fail(400, "userinfo in request-target");  // RFC 9110 §4.2.4
  }
  if (!parse_host_port(authority, /*require_port=*/false, out.routing_host)) {
    return fail(400, "invalid authority in request-target");
  }
  out.target_form = TargetForm::kAbsolute;
  out.scheme = scheme;
  out.authority = authority;
  const std::string_view path_and_query =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (path_and_query.empty() || path_and_query[0] == '?') {
    out.path = kRootPath;
    if (!path_and_query.empty()) {
      out.query = path_and_query.substr(1);
      out.has_query = true;
    }
  } else {
    split_path_query(path_and_query, out);
  }
  return done(0);
}

// --- Field values with list syntax (RFC 9110 §5.6.1) ---

std::size_t skip_ows(std::string_view v, std::size_t i) {
  while (i < v.size() && is_ows(v[i])) ++i;
  return i;
}

// Content-Length = 1*DIGIT, or a list of identical ones ("5, 5", RFC 9110 §8.6). Refuses signs,
// hex, inner spaces, empty elements, differing values and values above kMaxContentLength.
bool parse_content_length(std::string_view v, std::uint64_t& out) {
  bool any = false;
  std::uint64_t value = 0;
  std::size_t i = 0;
  for (;;) {
    const std::size_t start = i;
    std::uint64_t n = 0;
    while (i < v.size() && has_class(v[i], kDigit)) {
      const auto digit = static_cast<std::uint64_t>(v[i] - '0');
      if (n > (kMaxContentLength - digit) / 10) return false;
      n = n * 10 + digit;
      ++i;
    }
    if (i == start) return false;
    if (any && n != value) return false;
    value = n;
    any = true;
    i = skip_ows(v, i);
    if (i == v.size()) break;
    if (v[i] != ',') return false;
    i = skip_ows(v, i + 1);
  }
  out = value;
  return true;
}

struct TransferCodings {
  bool present = false;
  int chunked_count = 0;
  bool chunked_last = false;    // the final coding so far is chunked
  bool other = false;           // a coding other than chunked appeared
  bool chunked_params = false;  // chunked carried parameters (it has none)
};

// Reads token or quoted-string at v[i]; false if neither.
bool skip_token_or_quoted(std::string_view v, std::size_t& i) {
  if (i < v.size() && v[i] == '"') {
    for (++i; i < v.size(); ++i) {
      if (v[i] == '"') {
        ++i;
        return true;
      }
      if (v[i] == '\\' && ++i == v.size()) return false;
    }
    return false;
  }
  const std::size_t start = i;
  while (i < v.size() && has_class(v[i], kTchar)) ++i;
  return i > start;
}

// Adds the codings of one Transfer-Encoding field line, in order:
// #( token *( OWS ";" OWS token "=" ( token / quoted-string ) ) ). False when malformed.
bool add_transfer_codings(std::string_view v, TransferCodings& codings) {
  codings.present = true;
  std::size_t i = 0;
  for (;;) {
    i = skip_ows(v, i);
    if (i == v.size()) return true;
    if (v[i] == ',') {  // empty list element: ignored, as RFC 9110 §5.6.1.2 asks
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < v.size() && has_class(v[i], kTchar)) ++i;
    if (i == start) return false;
    const std::string_view coding = v.substr(start, i - start);
    bool params = false;
    i = skip_ows(v, i);
    while (i < v.size() && v[i] == ';') {
      params = true;
      i = skip_ows(v, i + 1);
      const std::size_t name_start = i;
      while (i < v.size() && has_class(v[i], kTchar)) ++i;
      if (i == name_start) return false;
      i = skip_ows(v, i);
      if (i == v.size() || v[i] != '=') return false;
      i = skip_ows(v, i + 1);
      if (!skip_token_or_quoted(v, i)) return false;
      i = skip_ows(v, i);
    }
    if (i < v.size() && v[i] != ',') return false;
    if (iequals(coding, "chunked")) {
      ++codings.chunked_count;
      codings.chunked_last = true;
      codings.chunked_params = codings.chunked_params || params;
    } else {
      codings.other = true;
      codings.chunked_last = false;
    }
  }
}

// Adds the options of one Connection field line (#token). False when malformed or too many.
bool add_connection_options(std::string_view v, ConnectionOptions& options) {
  std::size_t i = 0;
  for (;;) {
    i = skip_ows(v, i);
    if (i == v.size()) return true;
    if (v[i] == ',') {
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < v.size() && has_class(v[i], kTchar)) ++i;
    if (i == start) return false;
    const std::string_view token = v.substr(start, i - start);
    i = skip_ows(v, i);
    if (i < v.size() && v[i] != ',') return false;
    if (options.count == options.tokens.size()) return false;
    options.tokens[options.count++] = token;
    if (iequals(token, "close")) options.close = true;
    if (iequals(token, "keep-alive")) options.keep_alive = true;
    if (iequals(token, "upgrade")) options.upgrade = true;
  }
}

void reset_connection(ConnectionOptions& c) {
  c.count = 0;
  c.close = false;
  c.keep_alive = false;
  c.upgrade = false;
}

// Reads field lines from w[i] up to and including the empty line, storing each in `headers` and
// handing it to on_field (which returns done(0) or an error). kComplete: i is past the empty line.
template <class OnField>
ParseResult parse_fields(std::string_view w, std::size_t& i, Headers& headers,
                         std::size_t max_headers, OnField&& on_field) {
  for (;;) {
    if (i == w.size()) return need_more();
    if (w[i] == '\r') {
      if (i + 1 == w.size()) return need_more();
      if (w[i + 1] != '\n') return fail(400, "bare CR");
      i += 2;
      return done(i);
    }
    if (w[i] == '\n') return fail(400, "bare LF");
    if (headers.count >= max_headers) return fail(431, "too many header fields");
    const FieldLine line = parse_field_line(w.substr(i));
    if (line.status == FieldLineStatus::kNeedMore) return need_more();
    if (line.status == FieldLineStatus::kError) return fail(400, line.reason);
    headers.items[headers.count++] = line.header;
    i += line.length;
    if (ParseResult r = on_field(line.header); r.status == ParseStatus::kError) return r;
  }
}

void reset_request(Request& r) {
  r.method = {};
  r.method_id = Method::kOther;
  r.target = {};
  r.target_form = TargetForm::kOrigin;
  r.scheme = {};
  r.authority = {};
  r.path = {};
  r.query = {};
  r.has_query = false;
  r.version_minor = 1;
  r.host = {};
  r.routing_host = {};
  r.headers.count = 0;
  reset_connection(r.connection);
  r.body_kind = BodyKind::kNone;
  r.content_length = 0;
  r.keep_alive = true;
  r.expect_continue = false;
  r.upgrade = false;
  r.upgrade_protocols = {};
}

void reset_response(Response& r) {
  r.version_minor = 1;
  r.status = 0;
  r.reason = {};
  r.headers.count = 0;
  reset_connection(r.connection);
  r.body_kind = BodyKind::kNone;
  r.content_length = 0;
  r.keep_alive = true;
  r.had_both = false;
}

bool keep_alive_for(int version_minor, const ConnectionOptions& c) {
  if (c.close) return false;
  return version_minor >= 1 || c.keep_alive;
}

// Per-head facts gathered while the field lines are read.
struct FieldFacts {
  int host_count = 0;
  std::string_view host_part;
  bool has_content_length = false;
  std::uint64_t content_length = 0;
  TransferCodings codings;
  bool expect_continue = false;
  bool expect_other = false;
  bool has_upgrade = false;
};

// Applies the framing and connection fields every head shares. Returns done(0) or a 400.
ParseResult note_common_field(const Header& h, FieldFacts& facts, ConnectionOptions& connection) {
  switch (h.token) {
    case HeaderToken::kContentLength: {
      std::uint64_t value = 0;
      if (!parse_content_length(h.value, value)) return fail(400, "invalid Content-Length");
      if (facts.has_content_length && value != facts.content_length) {
        return fail(400, "differing Content-Length values");
      }
      facts.has_content_length = true;
      facts.content_length = value;
      break;
    }
    case HeaderToken::kTransferEncoding:
      if (!add_transfer_codings(h.value, facts.codings)) {
        return fail(400, "invalid Transfer-Encoding");
      }
      if (facts.codings.chunked_count > 1) return fail(400, "chunked applied more than once");
      break;
    case HeaderToken::kConnection:
      if (!add_connection_options(h.value, connection)) return fail(400, "invalid Connection");
      break;
    default:
      break;
  }
  return done(0);
}

ParseResult note_request_field(const Header& h, FieldFacts& facts, Request& out) {
  switch (h.token) {
    case HeaderToken::kHost:
      if (++facts.host_count > 1) return fail(400, "more than one Host header");
      if (!parse_host_port(h.value, /*require_port=*/false, facts.host_part)) {
        return fail(400, "invalid Host header");
      }
      out.host = h.value;
      return done(0);
    case HeaderToken::kExpect:
      if (iequals(h.value, "100-continue")) {
        facts.expect_continue = true;
      } else {
        facts.expect_other = true;
      }
      return done(0);
    case HeaderToken::kUpgrade:
      facts.has_upgrade = true;
      out.upgrade_protocols = h.value;
      return done(0);
    default:
      return note_common_field(h, facts, out.connection);
  }
}

// RFC 9112 §6.1–6.3 for requests, strictest reading: refuse every ambiguity.
ParseResult decide_request_framing(const FieldFacts& facts, Request& out) {
  const TransferCodings& te = facts.codings;
  if (te.present) {
    if (out.version_minor == 0) return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (facts.has_content_length) return fail(400, "both Transfer-Encoding and Content-Length");
    if (!te.chunked_last) return fail(400, "final transfer coding is not chunked");
    if (te.chunked_params) return fail(400, "chunked takes no parameters");
    if (te.other) return fail(501, "transfer coding other than chunked");
    out.body_kind = BodyKind::kChunked;
  } else if (facts.has_content_length) {
    out.body_kind = BodyKind::kContentLength;
    out.content_length = facts.content_length;
  }
  return done(0);
}

ParseResult parse_request_head(std::string_view bytes, Request& out, const Limits& limits) {
  const std::size_t head_limit = limits.max_head;
  const std::string_view w = bytes.substr(0, head_limit);
  std::size_t i = 0;
  // RFC 9112 §2.2: empty lines before the request-line are ignored (they count in the head).
  while (i < w.size() && w[i] == '\r') {
    if (i + 1 == w.size()) return ran_out(bytes.size(), head_limit, 431, "request head too large");
    if (w[i + 1] != '\n') return fail(400, "bare CR");
    i += 2;
  }
  const std::size_t line_start = i;
  const std::size_t line_limit =
      saturating_add(line_start, saturating_add(limits.max_request_line, 2));
  const std::string_view line =
      w.substr(line_start, std::min(w.size(), line_limit) - std::min(w.size(), line_start));
  ParseResult r = parse_request_line(line, out);
  if (r.status == ParseStatus::kNeedMore) {
    if (bytes.size() < std::min(line_limit, head_limit)) return need_more();
    return line_limit <= head_limit ? fail(414, "request line too long")
                                    : fail(431, "request head too large");
  }
  if (r.status == ParseStatus::kError) return r;
  i = line_start + r.consumed;
  out.method_id = lookup_method(out.method);
  if (r = classify_target(out); r.status == ParseStatus::kError) return r;

  FieldFacts facts;
  const std::size_t max_headers = std::min(limits.max_headers, kMaxHeaders);
  r = parse_fields(w, i, out.headers, max_headers,
                   [&](const Header& h) { return note_request_field(h, facts, out); });
  if (r.status == ParseStatus::kNeedMore) {
    return ran_out(bytes.size(), head_limit, 431, "request head too large");
  }
  if (r.status == ParseStatus::kError) return r;
  const std::size_t head_length = r.consumed;

  // RFC 9112 §3.2: HTTP/1.1 requires exactly one Host (more than one was refused above).
  if (facts.host_count == 0 && out.version_minor == 1) return fail(400, "missing Host header");
  if (out.target_form == TargetForm::kOrigin || out.target_form == TargetForm::kAsterisk) {
    out.routing_host = facts.host_part;
  }
  if (r = decide_request_framing(facts, out); r.status == ParseStatus::kError) return r;
  if (facts.expect_other) return fail(417, "Expect other than 100-continue");
  // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored.
  out.expect_continue = facts.expect_continue && out.version_minor == 1;
  out.keep_alive = keep_alive_for(out.version_minor, out.connection);
  out.upgrade = out.connection.upgrade && facts.has_upgrade;
  return done(head_length);
}

// status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ] CRLF. The SP before an empty reason
// may be missing (a common omission; harmless, the reason is ignored).
ParseResult parse_status_line(std::string_view w, Response& out) {
  std::size_t i = 0;
  int major = 0;
  int minor = 0;
  if (ParseResult r = read_version(w, i, major, minor); r.status != ParseStatus::kComplete) {
    return r;
  }
  if (i == w.size()) return need_more();
  if (w[i] != ' ') return fail(502, "malformed status line");
  ++i;
  int status = 0;
  for (int k = 0; k < 3; ++k, ++i) {
    if (i == w.size()) return need_more();
    if (!has_class(w[i], kDigit)) return fail(502, "malformed status code");
    status = status * 10 + (w[i] - '0');
  }
  if (i == w.size()) return need_more();
  std::size_t reason_start = i;
  if (w[i] == ' ') {
    reason_start = ++i;
    while (i < w.size() && has_class(w[i], kFieldChar)) ++i;
  }
  const std::size_t reason_end = i;
  if (ParseResult r = read_crlf(w, i, "invalid character in reason phrase");
      r.status != ParseStatus::kComplete) {
    return r;
  }
  if (major != 1 || minor > 1) return fail(502, "HTTP version not supported");
  if (status < 100 || status > 599) return fail(502, "status code out of range");
  out.version_minor = minor;
  out.status = status;
  out.reason = w.substr(reason_start, reason_end - reason_start);
  return done(i);
}

ParseResult parse_response_head(std::string_view bytes, Response& out, const Limits& limits,
                                std::string_view request_method) {
  const std::size_t head_limit = limits.max_head;
  const std::string_view w = bytes.substr(0, head_limit);
  const std::size_t line_limit = saturating_add(limits.max_request_line, 2);
  ParseResult r = parse_status_line(w.substr(0, line_limit), out);
  if (r.status == ParseStatus::kNeedMore) {
    return ran_out(bytes.size(), std::min(line_limit, head_limit), 502, "status line too long");
  }
  if (r.status == ParseStatus::kError) return r;
  std::size_t i = r.consumed;

  FieldFacts facts;
  const std::size_t max_headers = std::min(limits.max_headers, kMaxHeaders);
  r = parse_fields(w, i, out.headers, max_headers,
                   [&](const Header& h) { return note_common_field(h, facts, out.connection); });
  if (r.status == ParseStatus::kNeedMore) {
    return ran_out(bytes.size(), head_limit, 502, "response head too large");
  }
  if (r.status == ParseStatus::kError) return r;
  const std::size_t head_length = r.consumed;

  const TransferCodings& te = facts.codings;
  if (te.present) {
    if (out.version_minor == 0) return fail(502, "Transfer-Encoding in an HTTP/1.0 response");
    if (te.other || !te.chunked_last || te.chunked_params) {
      return fail(502, "transfer coding other than chunked");
    }
  }
  out.keep_alive = keep_alive_for(out.version_minor, out.connection);
  out.content_length = facts.content_length;
  if (te.present && facts.has_content_length) {
    out.had_both = true;
    out.keep_alive = false;
  }
  const int status = out.status;
  const bool no_body = status < 200 || status == 204 || status == 304 || request_method == "HEAD" ||
                       (request_method == "CONNECT" && status >= 200 && status < 300);
  if (no_body) {
    out.body_kind = BodyKind::kNone;
  } else if (te.present) {
    out.body_kind = BodyKind::kChunked;
  } else if (facts.has_content_length) {
    out.body_kind = BodyKind::kContentLength;
  } else {
    out.body_kind = BodyKind::kUntilClose;
    out.keep_alive = false;
  }
  return done(head_length);
}

}  // namespace

Method lookup_method(std::string_view m) {
  switch (m.size()) {
    case 3:
      if (m == "GET") return Method::kGet;
      if (m == "PUT") return Method::kPut;
      break;
    case 4:
      if (m == "HEAD") return Method::kHead;
      if (m == "POST") return Method::kPost;
      break;
    case 5:
      if (m == "TRACE") return Method::kTrace;
      if (m == "PATCH") return Method::kPatch;
      break;
    case 6:
      if (m == "DELETE") return Method::kDelete;
      break;
    case 7:
      if (m == "CONNECT") return Method::kConnect;
      if (m == "OPTIONS") return Method::kOptions;
      break;
    default:
      break;
  }
  return Method::kOther;
}

const Header* Headers::find(HeaderToken token) const {
  for (const Header& h : *this) {
    if (h.token == token) return &h;
  }
  return nullptr;
}

const Header* Headers::find(std::string_view name) const {
  for (const Header& h : *this) {
    if (iequals(h.name, name)) return &h;
  }
  return nullptr;
}

bool ConnectionOptions::names(std::string_view name) const {
  for (std::size_t k = 0; k < count; ++k) {
    if (iequals(tokens[k], name)) return true;
  }
  return false;
}

FieldLine parse_field_line(std::string_view s) {
  FieldLine out;
  const auto error = [&out](const char* reason) {
    out.status = FieldLineStatus::kError;
    out.reason = reason;
    return out;
  };
  std::size_t i = 0;
  if (i < s.size() && is_ows(s[i])) return error("obs-fold or whitespace before a field name");
  while (i < s.size() && has_class(s[i], kTchar)) ++i;
  if (i == s.size()) return out;
  if (s[i] != ':') {
    if (is_ows(s[i])) return error("whitespace before the colon");
    if (s[i] == '\r') return error("field line without a colon");
    if (s[i] == '\n') return error("bare LF");
    return error("invalid character in field name");
  }
  if (i == 0) return error("empty field name");
  const std::string_view name = s.substr(0, i);
  i = skip_ows(s, i + 1);
  const std::size_t value_start = i;
  std::size_t value_end = i;  // one past the last non-OWS byte
  while (i < s.size() && has_class(s[i], kFieldChar)) {
    if (!is_ows(s[i])) value_end = i + 1;
    ++i;
  }
  if (i == s.size()) return out;
  if (s[i] == '\n') return error("bare LF");
  if (s[i] != '\r')
    return error(s[i] == '\0' ? "NUL in field value" : "control character in field value");
  if (i + 1 == s.size()) return out;
  if (s[i + 1] != '\n') return error("bare CR");
  out.status = FieldLineStatus::kComplete;
  out.length = i + 2;
  out.header.name = name;
  out.header.value = s.substr(value_start, value_end - value_start);
  out.header.token = lookup_header_token(name);
  return out;
}

bool parse_host_port(std::string_view a, bool require_port, std::string_view& host_out) {
  if (a.empty()) return false;
  std::size_t i = 0;
  if (a[0] == '[') {
    const std::size_t close = a.find(']');
    if (close == std::string_view::npos || close < 3) return false;  // "[::]" at least
    bool colon = false;
    for (std::size_t k = 1; k < close; ++k) {
      if (a[k] == ':') {
        colon = true;
      } else if (!has_class(a[k], kHexDigit) && a[k] != '.') {
        return false;
      }
    }
    if (!colon) return false;
    i = close + 1;
  } else {
    while (i < a.size() && a[i] != ':') {
      if (a[i] == '%') {
        if (i + 2 >= a.size() || !has_class(a[i + 1], kHexDigit) ||
            !has_class(a[i + 2], kHexDigit)) {
          return false;
        }
        i += 3;
        continue;
      }
      if (!has_class(a[i], kRegNameChar)) return false;
      ++i;
    }
    if (i == 0) return false;
  }
  host_out = a.substr(0, i);
  if (i == a.size()) return !require_port;
  if (a[i] != ':') return false;
  const std::string_view port = a.substr(i + 1);
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (!has_class(c, kDigit)) return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value <= 65535;
}

ParseResult parse_request(std::string_view bytes, Request& out, const Limits& limits) {
  reset_request(out);
  return parse_request_head(bytes, out, limits);
}

ParseResult parse_response(std::string_view bytes, Response& out, const Limits& limits,
                           std::string_view request_method) {
  reset_response(out);
  ParseResult r = parse_response_head(bytes, out, limits, request_method);
  if (r.status == ParseStatus::kError) r.http_status = 502;  // the client sees a bad gateway
  return r;
}

}  // namespace gatehouse::proxy::http1
