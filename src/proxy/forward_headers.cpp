#include "proxy/forward_headers.h"

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

void append_forwarding_fields_with(std::string& head, const Forwarding& f, std::uint64_t id_high,
                                   std::uint64_t id_low) {
  head.append("X-Forwarded-For: ");
  if (f.has_prior_forwarded_for) {
    head.append(f.prior_forwarded_for);
    head.append(", ");
  }
  head.append(f.client_ip);
  head.append("\r\nX-Real-IP: ");
  head.append(f.client_ip);
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
