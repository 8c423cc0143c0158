#include "proxy/proxy_protocol.h"

#include <algorithm>
#include <cstring>

namespace gatehouse::proxy {
namespace {

namespace ip = boost::asio::ip;

// v2 (spec §2.2): a 12-byte signature no text protocol starts with, version/command, family/
// transport, a big-endian length of what follows.
constexpr char kV2Signature[12] = {'\r', '\n', '\r', '\n', '\0', '\r',
                                   '\n', 'Q',  'U',  'I',  'T',  '\n'};
constexpr std::size_t kV2FixedPart = 16;
constexpr unsigned kV2Local = 0x0;
constexpr unsigned kV2Proxy = 0x1;
constexpr unsigned kV2Unspec = 0x00;  // family and transport both unspecified
constexpr unsigned kV2TcpIpv4 = 0x11;
constexpr unsigned kV2TcpIpv6 = 0x21;
constexpr std::size_t kV2Ipv4Block = 2 * 4 + 2 * 2;   // two addresses, two ports
constexpr std::size_t kV2Ipv6Block = 2 * 16 + 2 * 2;  // the same for IPv6

constexpr std::string_view kV1Start = "PROXY ";
constexpr std::size_t kMinV1Line = 15;  // "PROXY UNKNOWN\r\n", the shortest header of either kind

ProxyHeader need_more() {
  return {};
}

ProxyHeader fail(const char* reason) {
  ProxyHeader header;
  header.status = ProxyHeaderStatus::kError;
  header.reason = reason;
  return header;
}

ProxyHeader complete_local(std::size_t consumed) {
  ProxyHeader header;
  header.status = ProxyHeaderStatus::kComplete;
  header.consumed = consumed;
  header.local = true;
  return header;
}

bool is_prefix_of(std::string_view text, std::string_view word) {
  return word.starts_with(text);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::uint8_t byte_at(std::string_view bytes, std::size_t i) {
  return static_cast<std::uint8_t>(bytes[i]);
}

std::uint16_t be16_at(std::string_view bytes, std::size_t i) {
  return static_cast<std::uint16_t>(byte_at(bytes, i) << 8 | byte_at(bytes, i + 1));
}

// The text checks below share one contract: with `whole` (the field's terminator was seen) they
// say whether `text` is a valid field and fill `out`; without it, whether more bytes could still
// make `text` valid. That second answer is what keeps kNeedMore for valid prefixes only.

// A dotted quad (spec §2.1): four decimal numbers 0-255, no leading zeros (no octal confusion).
bool parse_ipv4(std::string_view text, bool whole, ip::address_v4::bytes_type& out) {
  std::size_t octet = 0;
  unsigned value = 0;
  std::size_t digits = 0;
  for (const char c : text) {
    if (c == '.') {
      if (digits == 0 || octet == 3) return false;
      out[octet++] = static_cast<unsigned char>(value);
      value = 0;
      digits = 0;
    } else if (is_digit(c)) {
      if (digits == 1 && value == 0) return false;
      value = value * 10 + static_cast<unsigned>(c - '0');
      if (value > 255) return false;
      ++digits;
    } else {
      return false;
    }
  }
  if (!whole) return true;
  if (octet != 3 || digits == 0) return false;
  out[3] = static_cast<unsigned char>(value);
  return true;
}

// IPv6 text (spec §2.1, RFC 4291 §2.2): groups of one to four hex digits, one "::" for a run of
// at least one zero group, and possibly a dotted quad as the last 32 bits, which inet_ntop
// writes for IPv4-mapped addresses ("::ffff:192.0.2.1"). No zone ("%eth0"): not an address a
// peer can have. The room checks are exact, so a prefix passes only if it can still complete.
bool parse_ipv6(std::string_view text, bool whole, ip::address_v6::bytes_type& out) {
  std::uint16_t groups[8] = {};
  std::size_t count = 0;
  bool has_gap = false;
  std::size_t gap_at = 0;  // groups before the "::"
  bool after_single_colon = false;
  std::size_t i = 0;
  if (!text.empty() && text[0] == ':') {  // only "::" may start an address
    if (text.size() == 1) return !whole;
    if (text[1] != ':') return false;
    has_gap = true;
    i = 2;
  }
  while (i < text.size()) {
    const std::size_t max_groups = has_gap ? 7 : 8;
    std::size_t j = i;
    unsigned value = 0;
    while (j < text.size() && j - i < 4 && hex_value(text[j]) >= 0)
      value = value * 16 + static_cast<unsigned>(hex_value(text[j++]));
    if (j < text.size() && text[j] == '.') {
      // A dotted quad is the last two groups: it must end the address exactly.
      if (has_gap ? count + 2 > max_groups : count + 2 != 8) return false;
      ip::address_v4::bytes_type quad{};
      if (!parse_ipv4(text.substr(i), whole, quad)) return false;
      if (!whole) return true;
      groups[count++] = static_cast<std::uint16_t>(quad[0] << 8 | quad[1]);
      groups[count++] = static_cast<std::uint16_t>(quad[2] << 8 | quad[3]);
      after_single_colon = false;
      break;
    }
    if (j == i || count + 1 > max_groups) return false;  // an empty group, a stray byte, no room
    groups[count++] = static_cast<std::uint16_t>(value);
    after_single_colon = false;
    if (j == text.size()) break;
    if (text[j] != ':') return false;  // also a fifth hex digit
    ++j;
    if (j < text.size() && text[j] == ':') {
      if (has_gap || count > 7) return false;  // "::" stands for one group at least
      has_gap = true;
      gap_at = count;
      ++j;
    } else {
      if (count + 1 > max_groups) return false;  // a single ':' promises another group
      after_single_colon = true;
    }
    i = j;
  }
  if (!whole) return true;
  if (after_single_colon || (has_gap ? count > 7 : count != 8)) return false;
  if (!has_gap) gap_at = count;
  std::uint16_t full[8] = {};
  const std::size_t tail = count - gap_at;
  for (std::size_t k = 0; k < gap_at; ++k) full[k] = groups[k];
  for (std::size_t k = 0; k < tail; ++k) full[8 - tail + k] = groups[gap_at + k];
  for (std::size_t k = 0; k < 8; ++k) {
    out[2 * k] = static_cast<unsigned char>(full[k] >> 8);
    out[2 * k + 1] = static_cast<unsigned char>(full[k] & 0xff);
  }
  return true;
}

// A TCP port (spec §2.1): decimal 0-65535, no sign, no leading zeros.
bool parse_port(std::string_view text, bool whole, std::uint16_t& out) {
  unsigned value = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!is_digit(text[i]) || (i > 0 && text[0] == '0')) return false;
    value = value * 10 + static_cast<unsigned>(text[i] - '0');
    if (value > 65535) return false;
  }
  if (!whole) return true;
  if (text.empty()) return false;
  out = static_cast<std::uint16_t>(value);
  return true;
}

// One field of a v1 line: from `pos` up to `end`, which is not part of it. Without `end` in the
// line the field runs to the line's end and is not `whole`.
struct Field {
  std::string_view text;
  bool whole = false;
  std::size_t next = 0;  // just past `end`
};

Field take_field(std::string_view line, std::size_t pos, char end) {
  const std::size_t stop = line.find(end, pos);
  if (stop == std::string_view::npos) return {line.substr(pos), false, line.size()};
  return {line.substr(pos, stop - pos), true, stop + 1};
}

bool parse_address(const Field& field, bool v6, ip::address& out) {
  if (v6) {
    ip::address_v6::bytes_type bytes{};
    if (!parse_ipv6(field.text, field.whole, bytes)) return false;
    if (field.whole) out = ip::address_v6(bytes);
  } else {
    ip::address_v4::bytes_type bytes{};
    if (!parse_ipv4(field.text, field.whole, bytes)) return false;
    if (field.whole) out = ip::address_v4(bytes);
  }
  return true;
}

// "PROXY UNKNOWN" then anything up to CRLF, which the receiver ignores (spec §2.1); `pos` is
// just past "UNKNOWN". A lone CR or LF is not a line end (spec §2.1), so either is an error.
ProxyHeader parse_v1_unknown(std::string_view line, std::size_t pos) {
  for (std::size_t i = pos; i < line.size(); ++i) {
    if (line[i] == '\n') return fail("PROXY v1: LF without CR");
    if (line[i] != '\r') continue;
    if (i + 1 == line.size()) return need_more();
    if (line[i + 1] != '\n') return fail("PROXY v1: CR without LF");
    return complete_local(i + 2);
  }
  return need_more();
}

// "PROXY TCP4|TCP6 src dst sport dport\r\n", single spaces, nothing else (spec §2.1). `line` is
// at most kMaxProxyV1Line bytes; the caller turns a kNeedMore at that length into an error.
ProxyHeader parse_v1_line(std::string_view line) {
  if (!line.starts_with(kV1Start))
    return is_prefix_of(line, kV1Start) ? need_more() : fail("not a PROXY protocol header");
  std::size_t stop = kV1Start.size();
  while (stop < line.size() && line[stop] != ' ' && line[stop] != '\r') ++stop;
  const std::string_view protocol = line.substr(kV1Start.size(), stop - kV1Start.size());
  if (stop == line.size()) {
    const bool known = is_prefix_of(protocol, "TCP4") || is_prefix_of(protocol, "TCP6") ||
                       is_prefix_of(protocol, "UNKNOWN");
    return known ? need_more() : fail("PROXY v1: unknown protocol");
  }
  if (protocol == "UNKNOWN") return parse_v1_unknown(line, stop);
  if ((protocol != "TCP4" && protocol != "TCP6") || line[stop] != ' ')
    return fail("PROXY v1: unknown protocol");
  const bool v6 = protocol == "TCP6";

  ip::address source;
  ip::address destination;
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  Field field = take_field(line, stop + 1, ' ');
  if (!parse_address(field, v6, source)) return fail("PROXY v1: bad source address");
  if (!field.whole) return need_more();
  field = take_field(line, field.next, ' ');
  if (!parse_address(field, v6, destination)) return fail("PROXY v1: bad destination address");
  if (!field.whole) return need_more();
  field = take_field(line, field.next, ' ');
  if (!parse_port(field.text, field.whole, source_port)) return fail("PROXY v1: bad source port");
  if (!field.whole) return need_more();
  field = take_field(line, field.next, '\r');
  if (!parse_port(field.text, field.whole, destination_port))
    return fail("PROXY v1: bad destination port");
  if (!field.whole || field.next == line.size()) return need_more();
  if (line[field.next] != '\n') return fail("PROXY v1: CR without LF");

  ProxyHeader header;
  header.status = ProxyHeaderStatus::kComplete;
  header.consumed = field.next + 1;
  header.source = ip::tcp::endpoint(source, source_port);
  header.destination = ip::tcp::endpoint(destination, destination_port);
  return header;
}

ProxyHeader parse_v1(std::string_view bytes) {
  const ProxyHeader header = parse_v1_line(bytes.substr(0, kMaxProxyV1Line));
  if (header.status == ProxyHeaderStatus::kNeedMore && bytes.size() >= kMaxProxyV1Line)
    return fail("PROXY v1: no CRLF in the first 107 bytes");
  return header;
}

// Each byte is checked as soon as it arrives (spec §2.1 asks to abort early), so a bad version,
// command, family or length fails before the rest of the header is waited for.
ProxyHeader parse_v2(std::string_view bytes) {
  if (std::memcmp(bytes.data(), kV2Signature, std::min(bytes.size(), sizeof kV2Signature)) != 0)
    return fail("PROXY v2: bad signature");
  if (bytes.size() < 13) return need_more();
  const unsigned version = byte_at(bytes, 12) >> 4;
  const unsigned command = byte_at(bytes, 12) & 0x0f;
  if (version != 2) return fail("PROXY v2: unsupported version");
  if (command != kV2Local && command != kV2Proxy) return fail("PROXY v2: unknown command");
  if (bytes.size() < 14) return need_more();
  const unsigned family = byte_at(bytes, 13);
  // Undefined values are refused whatever the command (spec §2.2: receivers reject them).
  if ((family >> 4) > 0x3 || (family & 0x0f) > 0x2)
    return fail("PROXY v2: invalid address family or transport");
  // Only TCP is proxied here; UDP and AF_UNIX (and mixed UNSPEC values) would mean accepting a
  // connection whose client is unknown, which spec §2.2 leaves to the receiver: refused.
  if (command == kV2Proxy && family != kV2Unspec && family != kV2TcpIpv4 && family != kV2TcpIpv6)
    return fail("PROXY v2: unsupported address family or transport");
  if (bytes.size() < kV2FixedPart) return need_more();
  const std::size_t length = be16_at(bytes, 14);
  const std::size_t total = kV2FixedPart + length;
  if (total > kMaxProxyV2Header) return fail("PROXY v2: header too long");
  if (command == kV2Proxy) {
    const std::size_t block = family == kV2TcpIpv4   ? kV2Ipv4Block
                              : family == kV2TcpIpv6 ? kV2Ipv6Block
                                                     : 0;
    if (length < block) return fail("PROXY v2: length shorter than the address block");
  }
  if (bytes.size() < total) return need_more();
  // LOCAL (a health check by the balancer itself) and UNSPEC carry no client: the TCP peer is
  // the one. Bytes past the address block are TLVs, skipped: the length covers them.
  if (command == kV2Local || family == kV2Unspec) return complete_local(total);

  ProxyHeader header;
  header.status = ProxyHeaderStatus::kComplete;
  header.consumed = total;
  const std::string_view block = bytes.substr(kV2FixedPart);
  if (family == kV2TcpIpv4) {
    ip::address_v4::bytes_type source{};
    ip::address_v4::bytes_type destination{};
    std::memcpy(source.data(), block.data(), 4);
    std::memcpy(destination.data(), block.data() + 4, 4);
    header.source = ip::tcp::endpoint(ip::address_v4(source), be16_at(block, 8));
    header.destination = ip::tcp::endpoint(ip::address_v4(destination), be16_at(block, 10));
  } else {
    ip::address_v6::bytes_type source{};
    ip::address_v6::bytes_type destination{};
    std::memcpy(source.data(), block.data(), 16);
    std::memcpy(destination.data(), block.data() + 16, 16);
    header.source = ip::tcp::endpoint(ip::address_v6(source), be16_at(block, 32));
    header.destination = ip::tcp::endpoint(ip::address_v6(destination), be16_at(block, 34));
  }
  return header;
}

}  // namespace

ProxyHeader parse_proxy_header(std::string_view bytes) {
  // The first byte tells the versions apart: 'P' begins v1, CR begins v2's signature.
  if (bytes.empty()) return need_more();
  if (bytes[0] == kV2Signature[0]) return parse_v2(bytes);
  if (bytes[0] == kV1Start[0]) return parse_v1(bytes);
  return fail("not a PROXY protocol header");
}

std::size_t proxy_header_bytes_needed(std::string_view bytes) {
  if (parse_proxy_header(bytes).status != ProxyHeaderStatus::kNeedMore) return 0;
  if (!bytes.empty() && bytes[0] == kV2Signature[0]) {
    // kNeedMore past 16 bytes means the length was read and the header is not all here.
    if (bytes.size() < kV2FixedPart) return kV2FixedPart - bytes.size();
    return kV2FixedPart + be16_at(bytes, 14) - bytes.size();
  }
  // v1 (or nothing yet): the line is at least kMinV1Line long and still lacks its CRLF, or just
  // the LF when the last byte is the CR (a valid prefix has no other CR).
  const std::size_t to_shortest = bytes.size() < kMinV1Line ? kMinV1Line - bytes.size() : 0;
  const std::size_t to_crlf = !bytes.empty() && bytes.back() == '\r' ? 1 : 2;
  return std::max(to_shortest, to_crlf);
}

}  // namespace gatehouse::proxy
