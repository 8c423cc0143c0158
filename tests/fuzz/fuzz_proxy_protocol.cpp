// libFuzzer target: arbitrary bytes to the PROXY protocol header parser. The first byte picks a
// start to put before the rest (none, the v1 "PROXY ", or the v2 signature, so that the fuzzer
// spends its time past the first check); the rest is the stream. Checks, beyond "no crash, no
// undefined behaviour, no read past the input": consumed never exceeds the input and is nonzero
// exactly for kComplete; an error has a reason; the answer depends only on the header's bytes,
// so every prefix shorter than a complete header is kNeedMore and every prefix that answered
// stays answered the same way; and reading what proxy_header_bytes_needed says never passes
// the header's end.
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "proxy/proxy_protocol.h"

namespace {

using gatehouse::proxy::kMaxProxyV1Line;
using gatehouse::proxy::kMaxProxyV2Header;
using gatehouse::proxy::parse_proxy_header;
using gatehouse::proxy::proxy_header_bytes_needed;
using gatehouse::proxy::ProxyHeader;
using Status = gatehouse::proxy::ProxyHeaderStatus;

void check(bool condition) {
  if (!condition) std::abort();
}

bool same(const ProxyHeader& a, const ProxyHeader& b) {
  return a.status == b.status && a.consumed == b.consumed && a.local == b.local &&
         a.source == b.source && a.destination == b.destination &&
         std::strcmp(a.reason, b.reason) == 0;
}

void check_one(const ProxyHeader& h, std::size_t size) {
  check(h.reason != nullptr);
  check(h.consumed <= size);
  switch (h.status) {
    case Status::kComplete:
      check(h.consumed > 0 && h.consumed <= kMaxProxyV2Header);
      check(h.reason[0] == '\0');
      if (h.local) {
        check(h.source == boost::asio::ip::tcp::endpoint());
        check(h.destination == boost::asio::ip::tcp::endpoint());
      } else {
        check(h.source.address().is_v4() == h.destination.address().is_v4());
      }
      break;
    case Status::kNeedMore:
      check(h.consumed == 0 && h.reason[0] == '\0');
      break;
    case Status::kError:
      check(h.consumed == 0 && h.reason[0] != '\0');
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 2 * kMaxProxyV2Header) return 0;
  static const std::string kStarts[] = {"", "PROXY ", std::string("\r\n\r\n\0\r\nQUIT\n", 12)};
  const std::string& start = kStarts[data[0] % 3];
  // A heap copy of exactly the input's size, so AddressSanitizer sees any read past its end.
  std::string input = start;
  input.append(reinterpret_cast<const char*>(data) + 1, size - 1);
  char* exact = static_cast<char*>(std::malloc(input.size() + 1));
  std::memcpy(exact, input.data(), input.size());
  const std::string_view bytes(exact, input.size());

  const ProxyHeader whole = parse_proxy_header(bytes);
  check_one(whole, bytes.size());
  if (whole.status == Status::kComplete && !whole.local && whole.consumed <= kMaxProxyV1Line &&
      bytes[0] == 'P') {
    check(bytes.substr(whole.consumed - 2, 2) == "\r\n");
  }

  // Prefixes, as a connection would receive them: kNeedMore until the answer, then the answer.
  bool answered = false;
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    const std::string_view prefix = bytes.substr(0, n);
    const ProxyHeader h = parse_proxy_header(prefix);
    check_one(h, n);
    const std::size_t needed = proxy_header_bytes_needed(prefix);
    if (h.status == Status::kNeedMore) {
      check(!answered);
      check(needed > 0);
      if (whole.status == Status::kComplete) check(n + needed <= whole.consumed);
    } else {
      answered = true;
      check(needed == 0);
      check(same(h, whole));  // the bytes after the answer change nothing
    }
    // A prefix of a complete header is never an error.
    if (whole.status == Status::kComplete) check(h.status != Status::kError);
  }
  std::free(exact);
  return 0;
}
