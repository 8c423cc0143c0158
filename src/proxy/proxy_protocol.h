// The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2): the line or block
// a TCP load balancer puts before a connection's first byte to say who the client was. Like the
// HTTP/1 codec it does no I/O and keeps no state: give it the bytes received so far, from the
// connection's first byte, and it says kComplete (with the header's exact length, so the
// request after it is left alone), kNeedMore, or kError. Nothing allocates, nothing throws, and
// no byte past the end of the input is read.
//
// Strict by design (spec §2.1: anything that does not match exactly aborts the connection):
// kNeedMore only while the bytes can still become a valid header, so a peer cannot hold the
// connection open by sending garbage slowly; kError means "close it". Which listeners expect a
// header is configuration, never guessed from the bytes (spec §5).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gatehouse::proxy {

// A v1 line is at most this long, CRLF included (spec §2.1: "PROXY UNKNOWN" with two full IPv6
// addresses and ports); no valid line is longer.
inline constexpr std::size_t kMaxProxyV1Line = 107;
// A v2 header (16 fixed bytes, addresses, TLVs) longer than this is refused: the length field
// allows 64 KiB, but a header only carries two addresses and a few TLVs.
inline constexpr std::size_t kMaxProxyV2Header = 4096;

enum class ProxyHeaderStatus : std::uint8_t { kComplete, kNeedMore, kError };

struct ProxyHeader {
  ProxyHeaderStatus status = ProxyHeaderStatus::kNeedMore;
  std::size_t consumed = 0;  // kComplete: the header's length; the connection's data follows
  // kComplete: the header names no client (v2 LOCAL, v2 UNSPEC, v1 UNKNOWN): use the TCP
  // peer. The endpoints below are then default-constructed.
  bool local = false;
  boost::asio::ip::tcp::endpoint source;       // the client, as the load balancer saw it
  boost::asio::ip::tcp::endpoint destination;  // the address the client connected to
  const char* reason = "";                     // kError: static text for the log
};

// Parses the header at the start of `bytes`. Bytes after the header are never examined.
ProxyHeader parse_proxy_header(std::string_view bytes);

// How many more bytes, at least, parse_proxy_header needs before it can answer anything but
// kNeedMore; 0 once it answers kComplete or kError. Never more than the header still lacks, so
// a caller without a buffer shared with the next protocol (a TLS handshake on the raw socket)
// can read exactly the header and nothing after it:
//
//   while (std::size_t n = proxy_header_bytes_needed(buf)) read exactly n more bytes into buf;
//   // parse_proxy_header(buf) is now kComplete or kError, and buf holds nothing past the header
//
// v2 announces its length: three reads at most (15 bytes, the shortest header of either version;
// the 16-byte fixed part's last; the rest). v1 does not: the bound grows a few bytes at a time
// (the shortest line, then its CRLF), a read per step; a caller that can peek (recv with
// MSG_PEEK, up to kMaxProxyV1Line bytes) should peek and parse, then read `consumed` bytes.
std::size_t proxy_header_bytes_needed(std::string_view bytes);

}  // namespace gatehouse::proxy
