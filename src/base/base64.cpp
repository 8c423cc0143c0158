#include "base/base64.h"

#include <cstdint>

namespace gatehouse {

namespace {

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t group = 0;
  int in_group = 0;
  int padding = 0;
  for (char c : text) {
    if (c == '\r' || c == '\n') continue;  // Go's StdEncoding skips line breaks
    if (c == '=') {
      ++padding;
      ++in_group;
    } else {
      int d = base64_digit(c);
      if (d < 0 || padding > 0) return std::nullopt;  // nothing may follow the padding
      group = (group << 6) | static_cast<std::uint32_t>(d);
      ++in_group;
    }
    if (in_group == 4) {
      if (padding > 2) return std::nullopt;
      group <<= 6 * padding;
      out += static_cast<char>((group >> 16) & 0xff);
      if (padding < 2) out += static_cast<char>((group >> 8) & 0xff);
      if (padding < 1) out += static_cast<char>(group & 0xff);
      group = 0;
      in_group = 0;
      if (padding > 0) padding = 3;  // marks the end: any later character is an error
    }
  }
  if (in_group != 0) return std::nullopt;
  return out;
}

}  // namespace gatehouse
