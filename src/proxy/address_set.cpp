#include "proxy/address_set.h"

#include <charconv>
#include <cstring>

namespace gatehouse::proxy {

namespace {

namespace ip = boost::asio::ip;

// The address as 4 or 16 bytes; IPv4-mapped IPv6 as IPv4.
bool bytes_of(ip::address address, unsigned char out[16], bool& v6) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = ip::make_address_v4(ip::v4_mapped, address.to_v6());
  v6 = address.is_v6();
  if (v6) {
    const auto b = address.to_v6().to_bytes();
    std::memcpy(out, b.data(), 16);
  } else {
    const auto b = address.to_v4().to_bytes();
    std::memcpy(out, b.data(), 4);
  }
  return true;
}

// "\"" + text + "\"" built by appending: GCC 12 at -O3 reports a -Wrestrict false positive on
// operator+(const char*, std::string&&).
std::string quoted(std::string_view text) {
  std::string out(1, '"');
  out.append(text);
  out += '"';
  return out;
}

bool prefix_matches(const unsigned char* a, const unsigned char* b, unsigned bits) {
  const unsigned whole = bits / 8, rest = bits % 8;
  if (std::memcmp(a, b, whole) != 0) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

bool parse_address(std::string_view text, ip::address& out) {
  char copy[64];  // an IPv6 address with a zone fits; anything longer is no address
  if (text.empty() || text.size() >= sizeof copy) return false;
  std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  boost::system::error_code ec;
  out = ip::make_address(copy, ec);
  return !ec;
}

std::string AddressSet::add(std::string_view cidr) {
  const std::size_t slash = cidr.find('/');
  ip::address address;
  if (!parse_address(cidr.substr(0, slash), address))
    return quoted(cidr) + " is not an address or CIDR block";
  Range range;
  bytes_of(address, range.bytes, range.v6);
  const unsigned max = range.v6 ? 128 : 32;
  range.prefix = max;
  if (slash != std::string_view::npos) {
    const std::string_view digits = cidr.substr(slash + 1);
    unsigned prefix = 0;
    auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (err != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
        prefix > max)
      return quoted(cidr) + ": the prefix length must be 0 to " + std::to_string(max);
    // A block written with bits set past its prefix ("10.1.2.3/8") is a typo more often than not.
    unsigned char zeroed[16] = {};
    std::memcpy(zeroed, range.bytes, 16);
    for (unsigned bit = prefix; bit < max; ++bit)
      zeroed[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
    if (std::memcmp(zeroed, range.bytes, 16) != 0)
      return quoted(cidr) + " has bits set past its prefix length";
    range.prefix = prefix;
  }
  ranges_.push_back(range);
  return {};
}

bool AddressSet::contains(const ip::address& address) const {
  unsigned char bytes[16] = {};
  bool v6 = false;
  bytes_of(address, bytes, v6);
  for (const Range& r : ranges_)
    if (r.v6 == v6 && prefix_matches(bytes, r.bytes, r.prefix)) return true;
  return false;
}

bool AddressSet::contains(std::string_view text) const {
  ip::address address;
  return !ranges_.empty() && parse_address(text, address) && contains(address);
}

}  // namespace gatehouse::proxy
