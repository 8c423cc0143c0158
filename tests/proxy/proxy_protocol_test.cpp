// The PROXY protocol header parser, fed byte scripts: v1 lines and v2 blocks, whole, split at
// every byte, followed by a request it must leave alone, and broken in the ways a confused or
// hostile peer breaks them.
#include "proxy/proxy_protocol.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <vector>

// Counts allocations, so a test can say the parser makes none. Not inlined: GCC would otherwise
// see free() meet a pointer from operator new and warn (-Wmismatched-new-delete).
namespace {
std::atomic<std::size_t> g_allocations{0};
}  // namespace

[[gnu::noinline]] void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace gatehouse::proxy {
namespace {

namespace ip = boost::asio::ip;
using Status = ProxyHeaderStatus;

constexpr std::string_view kRequest = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
const std::string kSignature("\r\n\r\n\0\r\nQUIT\n", 12);

ip::tcp::endpoint endpoint(const char* address, std::uint16_t port) {
  return {ip::make_address(address), port};
}

// A v2 header: signature, version/command, family/transport, length of `body`, `body`.
std::string v2(std::uint8_t version_command, std::uint8_t family, std::string_view body) {
  std::string out = kSignature;
  out += static_cast<char>(version_command);
  out += static_cast<char>(family);
  out += static_cast<char>(body.size() >> 8);
  out += static_cast<char>(body.size() & 0xff);
  out += body;
  return out;
}

std::string bytes_of(const ip::address& address) {
  if (address.is_v4()) {
    const auto b = address.to_v4().to_bytes();
    return {b.begin(), b.end()};
  }
  const auto b = address.to_v6().to_bytes();
  return {b.begin(), b.end()};
}

std::string port_bytes(std::uint16_t port) {
  return {static_cast<char>(port >> 8), static_cast<char>(port & 0xff)};
}

// The address block of a v2 PROXY header, then `tlvs`.
std::string address_block(const ip::tcp::endpoint& source, const ip::tcp::endpoint& destination,
                          std::string_view tlvs = {}) {
  return bytes_of(source.address()) + bytes_of(destination.address()) + port_bytes(source.port()) +
         port_bytes(destination.port()) + std::string(tlvs);
}

std::string tlv(std::uint8_t type, std::string_view value) {
  std::string out;
  out += static_cast<char>(type);
  out += static_cast<char>(value.size() >> 8);
  out += static_cast<char>(value.size() & 0xff);
  out += value;
  return out;
}

// Every proper prefix of `header` is a valid prefix: kNeedMore, and bytes_needed never asks for
// more than the header still lacks.
void expect_prefixes_need_more(std::string_view header) {
  for (std::size_t n = 0; n < header.size(); ++n) {
    const std::string_view prefix = header.substr(0, n);
    const ProxyHeader h = parse_proxy_header(prefix);
    EXPECT_EQ(h.status, Status::kNeedMore) << "prefix of " << n << " bytes: " << h.reason;
    EXPECT_EQ(h.consumed, 0u);
    const std::size_t needed = proxy_header_bytes_needed(prefix);
    EXPECT_GT(needed, 0u) << n;
    EXPECT_LE(needed, header.size() - n) << n;
  }
}

// `header` alone and followed by a request: complete, with exactly its own length consumed.
ProxyHeader expect_complete(std::string_view header) {
  const ProxyHeader alone = parse_proxy_header(header);
  EXPECT_EQ(alone.status, Status::kComplete) << alone.reason;
  EXPECT_EQ(alone.consumed, header.size());
  EXPECT_EQ(proxy_header_bytes_needed(header), 0u);
  const std::string stream = std::string(header) + std::string(kRequest);
  const ProxyHeader followed = parse_proxy_header(stream);
  EXPECT_EQ(followed.status, Status::kComplete) << followed.reason;
  EXPECT_EQ(followed.consumed, header.size());
  EXPECT_EQ(followed.source, alone.source);
  EXPECT_EQ(followed.destination, alone.destination);
  EXPECT_EQ(followed.local, alone.local);
  expect_prefixes_need_more(header);
  return alone;
}

void expect_error(std::string_view bytes) {
  const ProxyHeader h = parse_proxy_header(bytes);
  EXPECT_EQ(h.status, Status::kError) << '"' << bytes << '"';
  EXPECT_EQ(h.consumed, 0u);
  EXPECT_NE(std::string_view(h.reason), "");
  EXPECT_EQ(proxy_header_bytes_needed(bytes), 0u);
}

TEST(ProxyProtocolV1, Tcp4) {
  const ProxyHeader h = expect_complete("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
  EXPECT_FALSE(h.local);
  EXPECT_EQ(h.source, endpoint("192.168.0.1", 56324));
  EXPECT_EQ(h.destination, endpoint("192.168.0.11", 443));

  const ProxyHeader edges = expect_complete("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n");
  EXPECT_EQ(edges.source, endpoint("0.0.0.0", 0));
  EXPECT_EQ(edges.destination, endpoint("255.255.255.255", 65535));
}

TEST(ProxyProtocolV1, Tcp6) {
  const ProxyHeader h = expect_complete("PROXY TCP6 2001:db8::1 2001:DB8:0:0:0:0:0:2 1234 443\r\n");
  EXPECT_FALSE(h.local);
  EXPECT_EQ(h.source, endpoint("2001:db8::1", 1234));
  EXPECT_EQ(h.destination, endpoint("2001:db8::2", 443));

  // The longest TCP6 line (spec §2.1: 104 bytes), the shortest addresses, an IPv4-mapped one.
  const std::string longest =
      "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
      "65535 65535\r\n";
  ASSERT_EQ(longest.size(), 104u);
  EXPECT_EQ(expect_complete(longest).source.address(),
            ip::make_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  const ProxyHeader shortest = expect_complete("PROXY TCP6 :: ::1 1 2\r\n");
  EXPECT_EQ(shortest.source, endpoint("::", 1));
  EXPECT_EQ(shortest.destination, endpoint("::1", 2));
  const ProxyHeader mapped =
      expect_complete("PROXY TCP6 ::ffff:192.0.2.1 1:2:3:4:5:6:7:: 80 81\r\n");
  EXPECT_EQ(mapped.source, endpoint("::ffff:192.0.2.1", 80));
  EXPECT_EQ(mapped.destination, endpoint("1:2:3:4:5:6:7:0", 81));
  EXPECT_EQ(expect_complete("PROXY TCP6 1::8 1:2:3:4:5:6:1.2.3.4 80 81\r\n").destination,
            endpoint("1:2:3:4:5:6:102:304", 81));
}

TEST(ProxyProtocolV1, UnknownMeansUseThePeer) {
  const ProxyHeader short_form = expect_complete("PROXY UNKNOWN\r\n");
  EXPECT_TRUE(short_form.local);
  EXPECT_EQ(short_form.source, ip::tcp::endpoint());
  // Whatever follows UNKNOWN up to the CRLF is ignored, even if it is no address (spec §2.1).
  EXPECT_TRUE(expect_complete("PROXY UNKNOWN ffff::1 ffff::2 65535 65535\r\n").local);
  EXPECT_TRUE(expect_complete("PROXY UNKNOWN whatever you like\r\n").local);

  // The worst case of spec §2.1 is exactly 107 bytes, CRLF included.
  const std::string worst =
      "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
  ASSERT_EQ(worst.size(), kMaxProxyV1Line);
  EXPECT_TRUE(expect_complete(worst).local);
}

TEST(ProxyProtocolV1, NoCrlfWithin107BytesIsAnError) {
  const std::string start = "PROXY UNKNOWN ";
  EXPECT_EQ(parse_proxy_header(start + std::string(106 - start.size(), 'a')).status,
            Status::kNeedMore);
  expect_error(start + std::string(107 - start.size(), 'a'));
  expect_error(start + std::string(106 - start.size(), 'a') + "\r\n");  // a 108-byte line
  expect_error(start + std::string(400, 'a') + "\r\n");
  EXPECT_EQ(parse_proxy_header(start + std::string(105 - start.size(), 'a') + "\r\n").consumed,
            107u);
}

TEST(ProxyProtocolV1, RefusesMalformedLines) {
  for (const char* line : {
           "PROXZ TCP4 1.2.3.4 5.6.7.8 1 2\r\n",            // not the signature
           "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",            // case matters
           "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n",            //
           "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",            // no such protocol
           "PROXY TCP4\r\n",                                // no addresses
           "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n",           // extra spaces, anywhere
           "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",           //
           "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",           //
           "PROXY TCP4 1.2.3.4 5.6.7.8  1 2\r\n",           //
           "PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n",           //
           "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",           //
           "PROXY\tTCP4 1.2.3.4 5.6.7.8 1 2\r\n",           // a tab is not a space
           "PROXY TCP4 300.1.1.1 5.6.7.8 1 2\r\n",          // an octet past 255
           "PROXY TCP4 1.2.3.4 5.6.7.256 1 2\r\n",          //
           "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",           // leading zero (octal?)
           "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",              // three octets
           "PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n",          // five
           "PROXY TCP4 1.2..4 5.6.7.8 1 2\r\n",             // an empty one
           "PROXY TCP4 1.2.3.4. 5.6.7.8 1 2\r\n",           //
           "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",                // IPv6 under TCP4
           "PROXY TCP6 1.2.3.4 ::1 1 2\r\n",                // IPv4 under TCP6
           "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n",           // signed port
           "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",           //
           "PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n",        // past 65535
           "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999999999\r\n",  //
           "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n",          // leading zero
           "PROXY TCP4 1.2.3.4 5.6.7.8 00 2\r\n",           //
           "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",              // one port
           "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",          // three
           "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",              // LF alone
           "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",             // CR alone
           "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n",          //
           "PROXY TCP6 ::1%eth0 ::1 1 2\r\n",               // a zone
           "PROXY TCP6 ::: ::1 1 2\r\n",                    // not IPv6
           "PROXY TCP6 1::2::3 ::1 1 2\r\n",                // two gaps
           "PROXY TCP6 :1::2 ::1 1 2\r\n",                  // a lone leading colon
           "PROXY TCP6 1::2: ::1 1 2\r\n",                  // a trailing one
           "PROXY TCP6 1:2:3:4:5:6:7 ::1 1 2\r\n",          // seven groups
           "PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n",      // nine
           "PROXY TCP6 1:2:3:4::5:6:7:8 ::1 1 2\r\n",       // a gap for no group
           "PROXY TCP6 12345::1 ::1 1 2\r\n",               // five hex digits
           "PROXY TCP6 ::g ::1 1 2\r\n",                    // not hex
           "PROXY TCP6 ::1.2.3.4:5 ::1 1 2\r\n",            // a dotted quad not last
           "PROXY TCP6 1:2:3:4:5:1.2.3.4 ::1 1 2\r\n",      // a dotted quad short of 128 bits
           "PROXY TCP6 ::ffff:01.2.3.4 ::1 1 2\r\n",        //
           "PROXY UNKNOWN\n",                               // LF alone
           "PROXY UNKNOWN junk\nmore\r\n",                  //
           "PROXY UNKNOWN junk\rmore\r\n",                  // CR alone
           "PROXY UNKNOWNX\r\n",                            //
       }) {
    expect_error(line);
  }
}

TEST(ProxyProtocolV1, FailsAsSoonAsThePrefixCannotBeValid) {
  // A peer that sends garbage slowly gets its error at the first bad byte, not at 107.
  expect_error("G");
  expect_error("PROXY TCP4 300");
  expect_error("PROXY TCP4 1.2.3.4 5.6.7.8 65536");
  expect_error("PROXY TCP6 1:::");
  expect_error("PROXY TCP6 1:2:3:4:5:6:7:8:");
  expect_error("PROXY TCP6 1.2.3.4");  // a dotted quad only ends an IPv6 address
  expect_error("PROXY X");
  EXPECT_EQ(parse_proxy_header("PRO").status, Status::kNeedMore);
  EXPECT_EQ(parse_proxy_header("PROXY TCP6 1:2:3:4:5:6:7:").status, Status::kNeedMore);
  EXPECT_EQ(parse_proxy_header("PROXY TCP6 ::ffff:1.2.").status, Status::kNeedMore);
}

TEST(ProxyProtocolV2, LocalMeansUseThePeer) {
  const ProxyHeader h = expect_complete(v2(0x20, 0x00, ""));
  EXPECT_TRUE(h.local);
  EXPECT_EQ(h.consumed, 16u);
  EXPECT_EQ(h.source, ip::tcp::endpoint());
  // LOCAL may still carry addresses (and TLVs): skipped, never used (spec §2.2).
  const std::string block =
      address_block(endpoint("10.0.0.1", 1), endpoint("10.0.0.2", 2), tlv(0x04, "pad"));
  const ProxyHeader with_block = expect_complete(v2(0x20, 0x11, block));
  EXPECT_TRUE(with_block.local);
  EXPECT_EQ(with_block.consumed, 16 + block.size());
  EXPECT_TRUE(expect_complete(v2(0x20, 0x31, std::string(216, 'u'))).local);
}

TEST(ProxyProtocolV2, ProxyIpv4) {
  const auto source = endpoint("203.0.113.7", 51234);
  const auto destination = endpoint("10.1.2.3", 443);
  const ProxyHeader h = expect_complete(v2(0x21, 0x11, address_block(source, destination)));
  EXPECT_FALSE(h.local);
  EXPECT_EQ(h.consumed, 28u);
  EXPECT_EQ(h.source, source);
  EXPECT_EQ(h.destination, destination);

  const std::string tlvs = tlv(0x01, "h2") + tlv(0x02, "example.com") + tlv(0xea, "vpce-0123");
  const ProxyHeader with_tlvs =
      expect_complete(v2(0x21, 0x11, address_block(source, destination, tlvs)));
  EXPECT_EQ(with_tlvs.consumed, 28 + tlvs.size());
  EXPECT_EQ(with_tlvs.source, source);
  EXPECT_EQ(with_tlvs.destination, destination);
}

TEST(ProxyProtocolV2, ProxyIpv6) {
  const auto source = endpoint("2001:db8::7", 65535);
  const auto destination = endpoint("2001:db8:1::3", 0);
  const ProxyHeader h = expect_complete(v2(0x21, 0x21, address_block(source, destination)));
  EXPECT_FALSE(h.local);
  EXPECT_EQ(h.consumed, 52u);
  EXPECT_EQ(h.source, source);
  EXPECT_EQ(h.destination, destination);

  const std::string tlvs = tlv(0x05, std::string(128, 'i')) + tlv(0x04, "");
  const ProxyHeader with_tlvs =
      expect_complete(v2(0x21, 0x21, address_block(source, destination, tlvs)));
  EXPECT_EQ(with_tlvs.consumed, 52 + tlvs.size());
  EXPECT_EQ(with_tlvs.source, source);
}

TEST(ProxyProtocolV2, UnspecUnderProxyMeansUseThePeer) {
  EXPECT_TRUE(expect_complete(v2(0x21, 0x00, "")).local);
  EXPECT_TRUE(expect_complete(v2(0x21, 0x00, "ignored")).local);
}

TEST(ProxyProtocolV2, TruncatedHeadersWaitForTheirLength) {
  const std::string header =
      v2(0x21, 0x11, address_block(endpoint("1.2.3.4", 1), endpoint("5.6.7.8", 2), tlv(4, "xy")));
  for (std::size_t n = 1; n < header.size(); ++n) {
    const std::string_view prefix = std::string_view(header).substr(0, n);
    EXPECT_EQ(parse_proxy_header(prefix).status, Status::kNeedMore) << n;
    // v2 says its length: exactly 16, then exactly the rest.
    EXPECT_EQ(proxy_header_bytes_needed(prefix), n < 16 ? 16 - n : header.size() - n) << n;
  }
  // The address block must fit in the length, whatever the bytes after it.
  expect_error(v2(0x21, 0x11, std::string(11, 'a')));
  expect_error(v2(0x21, 0x21, std::string(35, 'a')));
  expect_error(v2(0x21, 0x21, std::string(12, 'a')) + std::string(100, 'b'));
}

TEST(ProxyProtocolV2, RefusesOversizedLengthAtOnce) {
  std::string head = v2(0x21, 0x11, "");
  head[14] = static_cast<char>((kMaxProxyV2Header - 16 + 1) >> 8);
  head[15] = static_cast<char>((kMaxProxyV2Header - 16 + 1) & 0xff);
  expect_error(head);  // without waiting for the 4 KiB
  head[14] = head[15] = static_cast<char>(0xff);
  expect_error(head);

  // The largest accepted header.
  const std::string largest = v2(0x21, 0x11, std::string(kMaxProxyV2Header - 16, 'x'));
  EXPECT_EQ(parse_proxy_header(largest).consumed, kMaxProxyV2Header);
  EXPECT_EQ(parse_proxy_header(std::string_view(largest).substr(0, 100)).status, Status::kNeedMore);
}

TEST(ProxyProtocolV2, RefusesWhatItDoesNotProxy) {
  const std::string block(216, 'a');
  for (std::uint8_t family : {0x12, 0x22, 0x31, 0x32, 0x10, 0x01, 0x02, 0x20, 0x30})
    expect_error(v2(0x21, family, block).substr(0, 14));  // refused at the family byte
  for (std::uint8_t family : {0x41, 0x13, 0xff, 0x0f})
    expect_error(v2(0x20, family, ""));  // undefined values, even for LOCAL
}

TEST(ProxyProtocolV2, RefusesBadSignatureVersionAndCommand) {
  for (std::size_t i = 0; i < 12; ++i) {
    std::string header = v2(0x21, 0x11, std::string(12, 'a'));
    header[i] ^= 0x20;
    if (i == 0) continue;  // a first byte other than CR is simply not v2
    expect_error(header.substr(0, i + 1));
  }
  expect_error(v2(0x11, 0x11, std::string(12, 'a')).substr(0, 13));  // version 1 in binary
  expect_error(v2(0x31, 0x11, std::string(12, 'a')).substr(0, 13));
  expect_error(v2(0x22, 0x11, std::string(12, 'a')).substr(0, 13));  // unassigned command
  expect_error(v2(0x2f, 0x11, std::string(12, 'a')).substr(0, 13));
}

TEST(ProxyProtocol, RefusesOtherProtocolsAtTheFirstByte) {
  expect_error(kRequest);
  expect_error(std::string("\x16\x03\x01\x02\x00", 5));  // a TLS ClientHello
  expect_error("\n");
  EXPECT_EQ(parse_proxy_header("").status, Status::kNeedMore);
  EXPECT_EQ(proxy_header_bytes_needed(""), 15u);  // "PROXY UNKNOWN\r\n", the shortest header
}

// What a caller without a shared buffer does: read exactly what bytes_needed says until the
// parser answers. It must stop at the header's end, whatever follows on the wire.
TEST(ProxyProtocol, ReadingWhatBytesNeededSaysNeverPassesTheHeader) {
  const std::vector<std::string> headers = {
      "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
      "PROXY TCP6 ::1 ::2 1 2\r\n",
      "PROXY UNKNOWN\r\n",
      "PROXY UNKNOWN 1 2 3\r\n",
      v2(0x20, 0x00, ""),
      v2(0x21, 0x21, address_block(endpoint("::1", 1), endpoint("::2", 2), tlv(4, "abc"))),
  };
  for (const std::string& header : headers) {
    const std::string wire = header + std::string(kRequest);
    std::string buffer;
    int reads = 0;
    while (const std::size_t n = proxy_header_bytes_needed(buffer)) {
      ASSERT_LE(buffer.size() + n, header.size()) << header;
      buffer += wire.substr(buffer.size(), n);
      ++reads;
    }
    EXPECT_EQ(buffer, header);
    EXPECT_EQ(parse_proxy_header(buffer).status, Status::kComplete);
    if (header[0] == '\r') {
      // 15 bytes (the shortest header of either version), the fixed part's last, the rest.
      EXPECT_EQ(reads, header.size() > 16 ? 3 : 2);
    }
  }
}

TEST(ProxyProtocol, ParsingAllocatesNothing) {
  const std::string v1 = "PROXY TCP6 2001:db8::1 ::ffff:1.2.3.4 1 2\r\n";
  const std::string v2_header =
      v2(0x21, 0x21, address_block(endpoint("::1", 1), endpoint("::2", 2), tlv(4, "abc")));
  const std::size_t before = g_allocations.load();
  std::size_t sum = 0;
  for (const std::string* s : {&v1, &v2_header}) {
    for (std::size_t n = 0; n <= s->size(); ++n) {
      sum += parse_proxy_header(std::string_view(*s).substr(0, n)).consumed;
      sum += proxy_header_bytes_needed(std::string_view(*s).substr(0, n));
    }
  }
  EXPECT_EQ(g_allocations.load(), before);
  EXPECT_GT(sum, 0u);
  ::operator delete(::operator new(8));  // the counter does count (a call is never elided)
  EXPECT_EQ(g_allocations.load(), before + 1);
}

}  // namespace
}  // namespace gatehouse::proxy
