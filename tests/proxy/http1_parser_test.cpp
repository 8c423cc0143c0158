// Request and response heads, fed as byte scripts. Every smuggling shape from the data-plane
// issue has its own test; the split tests check that "need more" never changes the outcome.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "proxy/http1/parser.h"

namespace gatehouse::proxy::http1 {
namespace {

using namespace std::string_literals;

// The parsed head keeps views into its bytes, so the bytes travel with it. Request/Response hold
// a fixed header array (a few KiB): keep them off the test's stack frame.
struct Parsed {
  std::unique_ptr<std::string> bytes;
  std::unique_ptr<Request> request = std::make_unique<Request>();
  ParseResult result;
};

Parsed parse(std::string_view bytes, const Limits& limits = {}) {
  Parsed p;
  p.bytes = std::make_unique<std::string>(bytes);
  p.result = parse_request(*p.bytes, *p.request, limits);
  return p;
}

// The status of a request that must be refused, or 0 when it was not refused.
int refused_with(std::string_view bytes, const Limits& limits = {}) {
  Parsed p = parse(bytes, limits);
  return p.result.status == ParseStatus::kError ? p.result.http_status : 0;
}

std::string get_with(std::string_view fields, std::string_view version = "HTTP/1.1") {
  return "GET / " + std::string(version) + "\r\n" + std::string(fields) + "\r\n";
}

bool inside(std::string_view view, std::string_view buffer) {
  return view.data() >= buffer.data() && view.data() + view.size() <= buffer.data() + buffer.size();
}

// --- Header tokens ---

TEST(HeaderToken, LookupIsCaseInsensitiveAndFlagsHopByHop) {
  EXPECT_EQ(lookup_header_token("Content-Length"), HeaderToken::kContentLength);
  EXPECT_EQ(lookup_header_token("TRANSFER-ENCODING"), HeaderToken::kTransferEncoding);
  EXPECT_EQ(lookup_header_token("x-forwarded-for"), HeaderToken::kXForwardedFor);
  EXPECT_EQ(lookup_header_token("Proxy-Authorization"), HeaderToken::kProxyAuthorization);
  EXPECT_EQ(lookup_header_token("X-Custom"), HeaderToken::kUnknown);
  EXPECT_EQ(lookup_header_token(""), HeaderToken::kUnknown);
  EXPECT_EQ(lookup_header_token("hostx"), HeaderToken::kUnknown);
  EXPECT_TRUE(is_hop_by_hop(HeaderToken::kConnection));
  EXPECT_TRUE(is_hop_by_hop(HeaderToken::kKeepAlive));
  EXPECT_TRUE(is_hop_by_hop(HeaderToken::kTe));
  EXPECT_TRUE(is_hop_by_hop(HeaderToken::kTrailer));
  EXPECT_TRUE(is_hop_by_hop(HeaderToken::kTransferEncoding));
  EXPECT_TRUE(is_hop_by_hop(HeaderToken::kUpgrade));
  EXPECT_TRUE(is_hop_by_hop(HeaderToken::kProxyConnection));
  EXPECT_TRUE(is_hop_by_hop(HeaderToken::kProxyAuthenticate));
  EXPECT_FALSE(is_hop_by_hop(HeaderToken::kHost));
  EXPECT_FALSE(is_hop_by_hop(HeaderToken::kContentLength));
  EXPECT_FALSE(is_hop_by_hop(HeaderToken::kUnknown));
  EXPECT_EQ(token_name(HeaderToken::kXRequestId), "x-request-id");
  for (int t = 1; t < static_cast<int>(HeaderToken::kCount); ++t) {
    const auto token = static_cast<HeaderToken>(t);
    EXPECT_EQ(lookup_header_token(token_name(token)), token) << token_name(token);
  }
}

// --- Request line ---

TEST(Http1Request, ParsesASimpleGet) {
  const std::string bytes =
      "GET /index.html?x=1&y HTTP/1.1\r\nHost: Example.org:8080\r\nUser-Agent: t\r\n\r\n";
  Parsed p = parse(bytes);
  const Request& r = *p.request;
  ASSERT_EQ(p.result.status, ParseStatus::kComplete) << p.result.reason;
  EXPECT_EQ(p.result.consumed, bytes.size());
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.method_id, Method::kGet);
  EXPECT_EQ(r.target_form, TargetForm::kOrigin);
  EXPECT_EQ(r.path, "/index.html");
  EXPECT_EQ(r.query, "x=1&y");
  EXPECT_TRUE(r.has_query);
  EXPECT_EQ(r.version_minor, 1);
  EXPECT_EQ(r.host, "Example.org:8080");
  EXPECT_EQ(r.routing_host, "Example.org");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0].token, HeaderToken::kHost);
  EXPECT_EQ(r.headers[1].name, "User-Agent");
  EXPECT_EQ(r.headers[1].value, "t");
  EXPECT_EQ(r.headers[1].token, HeaderToken::kUnknown);
  EXPECT_EQ(r.body_kind, BodyKind::kNone);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_FALSE(r.expect_continue);
  EXPECT_FALSE(r.upgrade);
  for (const Header& h : r.headers) {
    EXPECT_TRUE(inside(h.name, *p.bytes));
    EXPECT_TRUE(inside(h.value, *p.bytes));
  }
  EXPECT_TRUE(inside(r.path, *p.bytes));
  EXPECT_TRUE(inside(r.routing_host, *p.bytes));
}

TEST(Http1Request, TrimsOwsAndAllowsObsTextInValues) {
  Parsed p = parse(get_with("Host: a\r\nX-A: \t v a l \t\r\nX-B:\xc3\xa9t\xe9\r\nX-Empty:   \r\n"));
  ASSERT_EQ(p.result.status, ParseStatus::kComplete) << p.result.reason;
  EXPECT_EQ(p.request->headers.find("x-a")->value, "v a l");
  EXPECT_EQ(p.request->headers.find("X-B")->value, "\xc3\xa9t\xe9");
  EXPECT_EQ(p.request->headers.find("x-empty")->value, "");
}

TEST(Http1Request, IncompleteHeadNeedsMore) {
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\n").result.status, ParseStatus::kNeedMore);
  EXPECT_EQ(parse("").result.status, ParseStatus::kNeedMore);
}

TEST(Http1Request, OnlyHttp10And11AreSupported) {
  EXPECT_EQ(refused_with("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(refused_with("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(refused_with("GET / HTTP/0.9\r\n\r\n"), 505);
  EXPECT_EQ(refused_with("GET / http/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/11\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET /\r\n\r\n"), 400);
  EXPECT_EQ(parse("GET / HTTP/1.0\r\n\r\n").result.status, ParseStatus::kComplete);
}

TEST(Http1Request, MethodMustBeAToken) {
  EXPECT_EQ(refused_with("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  Parsed p = parse("PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request->method_id, Method::kOther);
}

TEST(Http1Request, BareLfAnywhereIsRefused) {
  EXPECT_EQ(refused_with("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: a\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: a\r\n\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: a\r\nX: a\nb\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(Http1Request, BareCrAnywhereIsRefused) {
  EXPECT_EQ(refused_with("GET / HTTP/1.1\rHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n"), 400);
  EXPECT_EQ(refused_with("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(Http1Request, IgnoresEmptyLinesBeforeTheRequestLine) {
  const std::string bytes = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  Parsed p = parse(bytes);
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.result.consumed, bytes.size());
  EXPECT_EQ(p.request->method, "GET");
}

// --- Limits ---

TEST(Http1Request, RequestLineOverTheLimitIs414EvenBeforeItEnds) {
  Limits limits;
  limits.max_request_line = 64;
  const std::string fits = "GET /" + std::string(64 - 14, 'a') + " HTTP/1.1";  // 64 bytes
  ASSERT_EQ(fits.size(), 64u);
  EXPECT_EQ(parse(fits + "\r\nHost: a\r\n\r\n", limits).result.status, ParseStatus::kComplete);
  const std::string too_long = "GET /" + std::string(64 - 13, 'a') + " HTTP/1.1";  // 65 bytes
  EXPECT_EQ(refused_with(too_long + "\r\nHost: a\r\n\r\n", limits), 414);
  // A line that never ends: refused once it cannot fit, not held open.
  const std::string endless = "GET /" + std::string(100, 'a');
  EXPECT_EQ(parse(endless.substr(0, 60), limits).result.status, ParseStatus::kNeedMore);
  EXPECT_EQ(refused_with(endless, limits), 414);
  // The default limit is 8 KiB.
  EXPECT_EQ(refused_with("GET /" + std::string(9000, 'a')), 414);
}

TEST(Http1Request, HeadOverTheLimitIs431EvenBeforeItEnds) {
  Limits limits;
  limits.max_head = 100;
  const std::string start = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
  const std::string exact = start + std::string(100 - start.size() - 4, 'v') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 100u);
  Parsed p = parse(exact, limits);
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.result.consumed, 100u);
  const std::string over = start + std::string(100 - start.size() - 3, 'v') + "\r\n\r\n";
  EXPECT_EQ(refused_with(over, limits), 431);
  EXPECT_EQ(refused_with(start + std::string(200, 'v'), limits), 431);
  EXPECT_EQ(parse(start + std::string(50, 'v'), limits).result.status, ParseStatus::kNeedMore);
  // The default limit is 32 KiB.
  EXPECT_EQ(refused_with(get_with("Host: a\r\nX: " + std::string(40000, 'v') + "\r\n")), 431);
}

TEST(Http1Request, MoreThanMaxHeadersIs431) {
  std::string fields = "Host: a\r\n";
  for (int k = 1; k < 100; ++k) fields += "X-" + std::to_string(k) + ": v\r\n";
  Parsed p = parse(get_with(fields));
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request->headers.size(), 100u);
  EXPECT_EQ(refused_with(get_with(fields + "X-100: v\r\n")), 431);
  Limits limits;
  limits.max_headers = 3;
  EXPECT_EQ(refused_with(get_with("Host: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n"), limits), 431);
  EXPECT_EQ(parse(get_with("Host: a\r\nA: 1\r\nB: 2\r\n"), limits).result.status,
            ParseStatus::kComplete);
}

// --- Request targets ---

TEST(Http1Request, AbsoluteFormAuthorityIsTheRoutingHost) {
  const std::string bytes =
      "GET HTTP://Api.Example.org:8443/v1/items?q=2 HTTP/1.1\r\nHost: other.org\r\n\r\n";
  Parsed p = parse(bytes);
  const Request& r = *p.request;
  ASSERT_EQ(p.result.status, ParseStatus::kComplete) << p.result.reason;
  EXPECT_EQ(r.target_form, TargetForm::kAbsolute);
  EXPECT_EQ(r.scheme, "HTTP");
  EXPECT_EQ(r.authority, "Api.Example.org:8443");
  EXPECT_EQ(r.routing_host, "Api.Example.org");
  EXPECT_EQ(r.host, "other.org");
  EXPECT_EQ(r.path, "/v1/items");
  EXPECT_EQ(r.query, "q=2");
}

TEST(Http1Request, AbsoluteFormWithoutPathHasPathSlash) {
  Parsed p = parse("GET https://a.org HTTP/1.1\r\nHost: a.org\r\n\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request->path, "/");
  EXPECT_FALSE(p.request->has_query);
  p = parse("GET http://a.org?x=1 HTTP/1.1\r\nHost: a.org\r\n\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request->path, "/");
  EXPECT_EQ(p.request->query, "x=1");
}

TEST(Http1Request, AbsoluteFormRefusesOtherSchemesUserinfoAndEmptyAuthority) {
  EXPECT_EQ(refused_with("GET ftp://a.org/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET http://u:p@a.org/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET http:/a.org/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(Http1Request, AsteriskFormOnlyWithOptions) {
  Parsed p = parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request->target_form, TargetForm::kAsterisk);
  EXPECT_EQ(p.request->routing_host, "a");
  EXPECT_EQ(refused_with("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(Http1Request, AuthorityFormOnlyWithConnect) {
  Parsed p = parse("CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\n\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request->target_form, TargetForm::kAuthority);
  EXPECT_EQ(p.request->authority, "db.internal:5432");
  EXPECT_EQ(p.request->routing_host, "db.internal");
  EXPECT_EQ(refused_with("CONNECT db.internal HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET db.internal:5432 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

TEST(Http1Request, ControlCharactersOrSpacesInTheTargetAreRefused) {
  EXPECT_EQ(refused_with("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"s), 400);
  EXPECT_EQ(refused_with("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET a/b HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

// --- Field lines ---

TEST(Http1Request, ObsFoldIsRefused) {
  EXPECT_EQ(refused_with(get_with("Host: a\r\nX: one\r\n two\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nX: one\r\n\ttwo\r\n")), 400);
  EXPECT_EQ(refused_with(get_with(" Host: a\r\n")), 400);  // whitespace before the first field
}

TEST(Http1Request, WhitespaceBeforeTheColonIsRefused) {
  EXPECT_EQ(refused_with(get_with("Host : a\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nContent-Length\t: 5\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nTransfer-Encoding : chunked\r\n")), 400);
}

TEST(Http1Request, InvalidFieldNameIsRefused) {
  EXPECT_EQ(refused_with(get_with("Host: a\r\nX(Y): 1\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\n: empty\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nNoColon\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nX\xc3\xa9: 1\r\n")), 400);
}

TEST(Http1Request, NulAndControlCharactersInValuesAreRefused) {
  EXPECT_EQ(refused_with(get_with("Host: a\r\nX: a\0b\r\n"s)), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nX: a\x01"
                                  "b\r\n")),
            400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nX: a\x7f\r\n")), 400);
}

// --- Host ---

TEST(Http1Request, Http11RequiresExactlyOneHost) {
  EXPECT_EQ(refused_with(get_with("")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nHost: a\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nhost: b\r\n")), 400);
}

TEST(Http1Request, Http10MayOmitHost) {
  Parsed p = parse(get_with("", "HTTP/1.0"));
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request->routing_host, "");
  EXPECT_FALSE(p.request->keep_alive);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nHost: b\r\n", "HTTP/1.0")), 400);
}

TEST(Http1Request, HostMustBeHostAndOptionalPort) {
  EXPECT_EQ(refused_with(get_with("Host: a b\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a/b\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a:123456\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a:99999\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a:\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a:8x\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: \r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: user@a\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: [zz::1]\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: ::1\r\n")), 400);
  Parsed p = parse(get_with("Host: [fd00::1]:8080\r\n"));
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request->routing_host, "[fd00::1]");
  p = parse(get_with("Host: 10.0.0.1:65535\r\n"));
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request->routing_host, "10.0.0.1");
  p = parse(get_with("Host: xn--caf-dma.example%2D1\r\n"));
  EXPECT_EQ(p.result.status, ParseStatus::kComplete);
}

// --- Body framing (RFC 9112 §6) ---

TEST(Http1Request, ContentLengthFramesTheBody) {
  Parsed p = parse(get_with("Host: a\r\nContent-Length: 42\r\n"));
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request->body_kind, BodyKind::kContentLength);
  EXPECT_EQ(p.request->content_length, 42u);
  p = parse(get_with("Host: a\r\nContent-Length: 0\r\n"));
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request->body_kind, BodyKind::kContentLength);
  EXPECT_EQ(p.request->content_length, 0u);
}

TEST(Http1Request, ContentLengthAndTransferEncodingTogetherAreRefused) {
  EXPECT_EQ(
      refused_with(get_with("Host: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n")),
      400);
  EXPECT_EQ(
      refused_with(get_with("Host: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n")),
      400);
}

TEST(Http1Request, DifferingContentLengthsAreRefused) {
  EXPECT_EQ(refused_with(get_with("Host: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nContent-Length: 5, 6\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nContent-Length: 5,\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nContent-Length: ,5\r\n")), 400);
}

TEST(Http1Request, IdenticalContentLengthsAreOne) {
  Parsed p = parse(get_with("Host: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n"));
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request->content_length, 5u);
  p = parse(get_with("Host: a\r\nContent-Length: 5 , 5,005\r\n"));
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request->content_length, 5u);
}

TEST(Http1Request, ContentLengthMustBeDigitsOnly) {
  EXPECT_EQ(refused_with(get_with("Host: a\r\nContent-Length: +5\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nContent-Length: -5\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nContent-Length: 0x5\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nContent-Length: 5a\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nContent-Length: 1 0\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nContent-Length: 1\t0\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nContent-Length: 5.0\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nContent-Length:\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nContent-Length: \"5\"\r\n")), 400);
}

TEST(Http1Request, ContentLengthAbove63BitsIsRefused) {
  Parsed p = parse(get_with("Host: a\r\nContent-Length: 9223372036854775807\r\n"));
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request->content_length, 9223372036854775807ull);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nContent-Length: 9223372036854775808\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nContent-Length: 99999999999999999999999\r\n")), 400);
}

TEST(Http1Request, ChunkedTransferEncodingFramesTheBody) {
  Parsed p = parse(get_with("Host: a\r\nTransfer-Encoding: Chunked\r\n"));
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request->body_kind, BodyKind::kChunked);
}

TEST(Http1Request, TransferEncodingGzipOnlyIsRefused) {
  EXPECT_EQ(refused_with(get_with("Host: a\r\nTransfer-Encoding: gzip\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nTransfer-Encoding:\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nTransfer-Encoding: xchunked\r\n")), 400);
}

TEST(Http1Request, TransferEncodingWhoseFinalCodingIsNotChunkedIsRefused) {
  EXPECT_EQ(refused_with(get_with("Host: a\r\nTransfer-Encoding: chunked, gzip\r\n")), 400);
  EXPECT_EQ(refused_with(
                get_with("Host: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n")),
            400);
}

TEST(Http1Request, ChunkedTwiceIsRefused) {
  EXPECT_EQ(refused_with(get_with("Host: a\r\nTransfer-Encoding: chunked, chunked\r\n")), 400);
  EXPECT_EQ(refused_with(get_with(
                "Host: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")),
            400);
}

TEST(Http1Request, OtherCodingsBeforeChunkedAreNotImplemented) {
  EXPECT_EQ(refused_with(get_with("Host: a\r\nTransfer-Encoding: gzip, chunked\r\n")), 501);
  EXPECT_EQ(refused_with(
                get_with("Host: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")),
            501);
}

TEST(Http1Request, MalformedTransferEncodingIsRefused) {
  EXPECT_EQ(refused_with(get_with("Host: a\r\nTransfer-Encoding: chunked;x=1\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nTransfer-Encoding: chun ked\r\n")), 400);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nTransfer-Encoding: \"chunked\"\r\n")), 400);
  // Empty list elements are ignored (RFC 9110 §5.6.1.2): still exactly "chunked".
  EXPECT_EQ(parse(get_with("Host: a\r\nTransfer-Encoding: , chunked,\r\n")).result.status,
            ParseStatus::kComplete);
}

TEST(Http1Request, TransferEncodingInHttp10IsRefused) {
  EXPECT_EQ(refused_with(get_with("Host: a\r\nTransfer-Encoding: chunked\r\n", "HTTP/1.0")), 400);
}

// --- Connection semantics ---

TEST(Http1Request, KeepAliveDefaultsFollowTheVersion) {
  Parsed p = parse(get_with("Host: a\r\n"));
  EXPECT_TRUE(p.request->keep_alive);
  p = parse(get_with("Host: a\r\nConnection: close\r\n"));
  EXPECT_FALSE(p.request->keep_alive);
  p = parse(get_with("", "HTTP/1.0"));
  EXPECT_FALSE(p.request->keep_alive);
  p = parse(get_with("Connection: Keep-Alive\r\n", "HTTP/1.0"));
  EXPECT_TRUE(p.request->keep_alive);
  p = parse(get_with("Connection: keep-alive, close\r\n", "HTTP/1.0"));
  EXPECT_FALSE(p.request->keep_alive);
}

TEST(Http1Request, ConnectionOptionsAreListed) {
  Parsed p =
      parse(get_with("Host: a\r\nConnection: X-Secret, , keep-alive\r\nConnection: Foo\r\n"));
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  const ConnectionOptions& c = p.request->connection;
  ASSERT_EQ(c.count, 3u);
  EXPECT_EQ(c.tokens[0], "X-Secret");
  EXPECT_EQ(c.tokens[2], "Foo");
  EXPECT_TRUE(c.names("x-secret"));
  EXPECT_TRUE(c.keep_alive);
  EXPECT_FALSE(c.names("host"));
  EXPECT_EQ(refused_with(get_with("Host: a\r\nConnection: keep alive\r\n")), 400);
  std::string many = "Host: a\r\nConnection: t0";
  for (int k = 1; k <= 16; ++k) many += ", t" + std::to_string(k);
  EXPECT_EQ(refused_with(get_with(many + "\r\n")), 400);
}

TEST(Http1Request, ExpectContinue) {
  Parsed p = parse(get_with("Host: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n"));
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_TRUE(p.request->expect_continue);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nExpect: 200-ok\r\n")), 417);
  EXPECT_EQ(refused_with(get_with("Host: a\r\nExpect: 100-continue, x\r\n")), 417);
  p = parse(get_with("Expect: 100-continue\r\n", "HTTP/1.0"));
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_FALSE(p.request->expect_continue);  // RFC 9110 §10.1.1: ignored in HTTP/1.0
}

TEST(Http1Request, UpgradeNeedsConnectionUpgradeAndAnUpgradeHeader) {
  Parsed p = parse(get_with("Host: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"));
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_TRUE(p.request->upgrade);
  EXPECT_EQ(p.request->upgrade_protocols, "websocket");
  EXPECT_FALSE(parse(get_with("Host: a\r\nUpgrade: websocket\r\n")).request->upgrade);
  EXPECT_FALSE(parse(get_with("Host: a\r\nConnection: upgrade\r\n")).request->upgrade);
}

// --- Streams ---

TEST(Http1Request, PipelinedRequestsParseOneAfterAnother) {
  const std::string stream =
      "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
      "GET /b HTTP/1.1\r\nHost: b\r\n\r\n"
      "GET /c HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n";
  std::string_view rest = stream;
  const char* paths[] = {"/a", "/b", "/c"};
  for (const char* path : paths) {
    Parsed p = parse(rest);
    ASSERT_EQ(p.result.status, ParseStatus::kComplete) << path;
    EXPECT_EQ(p.request->path, path);
    rest.remove_prefix(p.result.consumed);
    if (p.request->body_kind == BodyKind::kContentLength) {
      rest.remove_prefix(p.request->content_length);
    }
  }
  EXPECT_TRUE(rest.empty());
}

TEST(Http1Request, EverySplitPointNeedsMoreThenGivesTheSameResult) {
  const std::string requests[] = {
      "GET /x?y=1 HTTP/1.1\r\nHost: example.org\r\nAccept: */*\r\n\r\n",
      "\r\nPOST http://a.org:81/p HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n"
      "Connection: Upgrade, close\r\nUpgrade: h2c\r\n\r\n",
      "OPTIONS * HTTP/1.0\r\nX-Empty:\r\n\r\n",
  };
  for (const std::string& bytes : requests) {
    Parsed whole = parse(bytes);
    ASSERT_EQ(whole.result.status, ParseStatus::kComplete) << bytes;
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
      EXPECT_EQ(parse(std::string_view(bytes).substr(0, cut)).result.status, ParseStatus::kNeedMore)
          << cut;
    }
    // Bytes after the head (a body, the next request) change nothing.
    Parsed more = parse(bytes + "GET / HTTP/1.1\r\n");
    ASSERT_EQ(more.result.status, ParseStatus::kComplete);
    EXPECT_EQ(more.result.consumed, whole.result.consumed);
    EXPECT_EQ(more.request->path, whole.request->path);
    EXPECT_EQ(more.request->routing_host, whole.request->routing_host);
    EXPECT_EQ(more.request->headers.size(), whole.request->headers.size());
    EXPECT_EQ(more.request->body_kind, whole.request->body_kind);
    EXPECT_EQ(more.request->keep_alive, whole.request->keep_alive);
  }
}

TEST(Http1Request, ARefusedPrefixIsRefusedTheSameWayWhole) {
  const std::string bad[] = {
      get_with("Host: a\r\nX: a\nb\r\n"),
      get_with("Host: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n"),
      "GET / HTTP/3.0\r\nHost: a\r\n\r\n",
      get_with("Host : a\r\n"),
  };
  for (const std::string& bytes : bad) {
    const Parsed whole = parse(bytes);
    ASSERT_EQ(whole.result.status, ParseStatus::kError) << bytes;
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
      const Parsed p = parse(std::string_view(bytes).substr(0, cut));
      if (p.result.status == ParseStatus::kNeedMore) continue;
      EXPECT_EQ(p.result.status, ParseStatus::kError) << cut;
      EXPECT_EQ(p.result.http_status, whole.result.http_status) << cut;
      EXPECT_STREQ(p.result.reason, whole.result.reason) << cut;
    }
  }
}

// --- Responses ---

struct ParsedResponse {
  std::unique_ptr<std::string> bytes;
  std::unique_ptr<Response> response = std::make_unique<Response>();
  ParseResult result;
};

ParsedResponse parse_resp(std::string_view bytes, std::string_view method = "GET") {
  ParsedResponse p;
  p.bytes = std::make_unique<std::string>(bytes);
  p.result = parse_response(*p.bytes, *p.response, Limits{}, method);
  return p;
}

TEST(Http1Response, ContentLengthBody) {
  const std::string bytes = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nServer: pod\r\n\r\nbody...";
  ParsedResponse p = parse_resp(bytes);
  ASSERT_EQ(p.result.status, ParseStatus::kComplete) << p.result.reason;
  EXPECT_EQ(p.result.consumed, bytes.size() - 7);
  EXPECT_EQ(p.response->status, 200);
  EXPECT_EQ(p.response->reason, "OK");
  EXPECT_EQ(p.response->body_kind, BodyKind::kContentLength);
  EXPECT_EQ(p.response->content_length, 12u);
  EXPECT_TRUE(p.response->keep_alive);
  EXPECT_EQ(p.response->headers.size(), 2u);
}

TEST(Http1Response, ReasonMayBeEmpty) {
  ParsedResponse p = parse_resp("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.response->reason, "");
  p = parse_resp("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.response->status, 404);
  p = parse_resp("HTTP/1.1 500 Internal \xe9rror\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.response->reason, "Internal \xe9rror");
}

TEST(Http1Response, ResponsesToHeadHaveNoBody) {
  ParsedResponse p = parse_resp("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", "HEAD");
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.response->body_kind, BodyKind::kNone);
  EXPECT_TRUE(p.response->keep_alive);
  p = parse_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "HEAD");
  EXPECT_EQ(p.response->body_kind, BodyKind::kNone);
}

TEST(Http1Response, Status204And304And1xxHaveNoBody) {
  for (const char* line : {"HTTP/1.1 204 No Content", "HTTP/1.1 304 Not Modified",
                           "HTTP/1.1 100 Continue", "HTTP/1.1 101 Switching Protocols"}) {
    ParsedResponse p = parse_resp(std::string(line) + "\r\nContent-Length: 10\r\n\r\n");
    ASSERT_EQ(p.result.status, ParseStatus::kComplete) << line;
    EXPECT_EQ(p.response->body_kind, BodyKind::kNone) << line;
  }
}

TEST(Http1Response, SuccessfulConnectHasNoBody) {
  ParsedResponse p = parse_resp("HTTP/1.1 200 Connection established\r\n\r\n", "CONNECT");
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.response->body_kind, BodyKind::kNone);
  p = parse_resp("HTTP/1.1 407 Auth\r\nContent-Length: 2\r\n\r\n", "CONNECT");
  EXPECT_EQ(p.response->body_kind, BodyKind::kContentLength);
}

TEST(Http1Response, WithoutFramingTheBodyRunsUntilClose) {
  ParsedResponse p = parse_resp("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.response->body_kind, BodyKind::kUntilClose);
  EXPECT_FALSE(p.response->keep_alive);
}

TEST(Http1Response, ChunkedBody) {
  ParsedResponse p = parse_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.response->body_kind, BodyKind::kChunked);
  EXPECT_TRUE(p.response->keep_alive);
  EXPECT_FALSE(p.response->had_both);
}

TEST(Http1Response, ChunkedAndContentLengthReadAsChunkedWithoutReuse) {
  ParsedResponse p =
      parse_resp("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.response->body_kind, BodyKind::kChunked);
  EXPECT_TRUE(p.response->had_both);
  EXPECT_FALSE(p.response->keep_alive);
}

TEST(Http1Response, KeepAliveFollowsVersionAndConnection) {
  EXPECT_FALSE(parse_resp("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").response->keep_alive);
  EXPECT_TRUE(parse_resp("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
                  .response->keep_alive);
  EXPECT_FALSE(parse_resp("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                   .response->keep_alive);
}

TEST(Http1Response, MalformedResponsesAreBadGateway) {
  const char* bad[] = {
      "HTTP/2 200 OK\r\n\r\n",
      "HTTP/1.2 200 OK\r\n\r\n",
      "HTTP/1.1 099 Low\r\n\r\n",
      "HTTP/1.1 600 High\r\n\r\n",
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 O\x01K\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
      "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX : b\r\n\r\n",
  };
  for (const char* bytes : bad) {
    ParsedResponse p = parse_resp(bytes);
    EXPECT_EQ(p.result.status, ParseStatus::kError) << bytes;
    EXPECT_EQ(p.result.http_status, 502) << bytes;
  }
  ParsedResponse p = parse_resp("HTTP/1.1 200 OK\r\nX: " + std::string(40000, 'v'));
  EXPECT_EQ(p.result.status, ParseStatus::kError);
  EXPECT_EQ(p.result.http_status, 502);
}

TEST(Http1Response, EverySplitPointNeedsMoreThenCompletes) {
  const std::string bytes = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nVary: *\r\n\r\n";
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_EQ(parse_resp(std::string_view(bytes).substr(0, cut)).result.status,
              ParseStatus::kNeedMore)
        << cut;
  }
  ParsedResponse p = parse_resp(bytes);
  ASSERT_EQ(p.result.status, ParseStatus::kComplete);
  EXPECT_EQ(p.result.consumed, bytes.size());
}

}  // namespace
}  // namespace gatehouse::proxy::http1
