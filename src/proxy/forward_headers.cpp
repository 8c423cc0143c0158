#include "proxy/forward_headers.h"

#include <boost/asio/ip/address.hpp>

namespace gatehouse::proxy {

void append_decimal(std::string& out, std::uint64_t n) {
  char buf[24];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n);
  out.append(p, buf + sizeof buf - p);
}

void append_hex(std::string& out, std::uint64_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[16];
  char* p = buf + sizeof buf;
  do {
    *--p = kHex[n & 15];
    n >>= 4;
  } while (n);
  out.append(p, buf + sizeof buf - p);
}

std::string_view real_client(std::string_view peer, std::string_view forwarded_for,
                             bool has_forwarded_for, const AddressSet* trusted) {
  if (!trusted || trusted->empty() || !has_forwarded_for || !trusted->contains(peer)) return peer;
  std::string_view client = peer;
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    const std::size_t comma = rest.rfind(',');
    std::string_view item = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    boost::asio::ip::address address;
    if (!parse_address(item, address)) break;  // not an address: believe no further
    client = item;
    if (!trusted->contains(address)) break;
  }
  return client;
}

void append_forwarding_fields_with(std::string& head, const Forwarding& f, std::uint64_t id_high,
                                   std::uint64_t id_low) {
  const bool believed = f.has_prior_forwarded_for && f.trusted && !f.trusted->empty() &&
                        f.trusted->contains(f.client_ip);
  head.append("X-Forwarded-For: ");
  if (believed) {
    head.append(f.prior_forwarded_for);
    head.append(", ");
  }
  head.append(f.client_ip);
  head.append("\r\nX-Real-IP: ");
  head.append(believed ? real_client(f.client_ip, f.prior_forwarded_for, true, f.trusted)
                       : f.client_ip);
  if (f.has_prior_forwarded_for && !believed) {
    head.append("\r\nX-Original-Forwarded-For: ");
    head.append(f.prior_forwarded_for);
  }
  head.append(f.https ? "\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: "
                      : "\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: ");
  head.append(f.host);
  head.append("\r\nX-Forwarded-Port: ");
  append_decimal(head, f.port);
  head.append("\r\n");
  if (!f.has_request_id) {
    static constexpr char kHex[] = "0123456789abcdef";
    head.append("X-Request-ID: ");
    for (int i = 0; i < 16; ++i) head += kHex[(id_high >> (i * 4)) & 15];
    for (int i = 0; i < 16; ++i) head += kHex[(id_low >> (i * 4)) & 15];
    head.append("\r\n");
  }
}

}  // namespace gatehouse::proxy
