// A set of IP address ranges (CIDR blocks), for --trust-forwarded-from: the load balancers whose
// X-Forwarded-For gatehouse believes. IPv4 and IPv6; an IPv4-mapped IPv6 address is matched as
// the IPv4 address it carries.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::proxy {

// `text` as an address, parsed from a stack copy (no allocation); false when it is not one.
bool parse_address(std::string_view text, boost::asio::ip::address& out);

class AddressSet {
 public:
  // Adds "10.0.0.0/8", "2001:db8::/32" or a single address ("192.0.2.7", "::1"). On failure
  // returns a message saying what is wrong and adds nothing.
  std::string add(std::string_view cidr);
  bool empty() const { return ranges_.empty(); }
  bool contains(const boost::asio::ip::address& address) const;
  // The same for an address in text; false when it is not one.
  bool contains(std::string_view address) const;

 private:
  struct Range {
    bool v6 = false;
    unsigned char bytes[16] = {};
    unsigned prefix = 0;  // bits
  };
  std::vector<Range> ranges_;
};

}  // namespace gatehouse::proxy
