#include "proxy/path_normalize.h"

namespace gatehouse::proxy {

namespace {

constexpr std::size_t kMaxPath = 64 * 1024;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

PathVerdict normalize_path(std::string_view path, const PathPolicy& policy, std::string& out) {
  out.clear();
  if (path.empty() || path.front() != '/') return PathVerdict::kNotOrigin;
  if (path.size() > kMaxPath) return PathVerdict::kTooLong;

  // One pass over the segments of `path`. Decoding never yields '/' (an escaped slash stays
  // escaped), so splitting the raw path on '/' splits the decoded one the same way.
  std::size_t i = 1;
  for (;;) {
    std::size_t end = path.find('/', i);
    const bool last = end == std::string_view::npos;
    if (last) end = path.size();
    const std::size_t start = out.size();
    out += '/';
    for (std::size_t k = i; k < end; ++k) {
      if (path[k] != '%') {
        out += path[k];
        continue;
      }
      if (k + 2 >= end) return PathVerdict::kBadEncoding;
      int hi = hex_value(path[k + 1]), lo = hex_value(path[k + 2]);
      if (hi < 0 || lo < 0) return PathVerdict::kBadEncoding;
      auto byte = static_cast<unsigned char>(hi * 16 + lo);
      if (is_unreserved(byte)) {
        out += static_cast<char>(byte);
      } else {
        constexpr char kHex[] = "0123456789ABCDEF";
        out += '%';
        out += kHex[hi];
        out += kHex[lo];
      }
      k += 2;
    }
    std::string_view segment(out.data() + start + 1, out.size() - start - 1);
    if (segment == "." || segment == "..") {
      out.resize(start);
      if (segment.size() == 2) {  // ".." drops the previous segment, never the root
        std::size_t cut = out.rfind('/');
        out.resize(cut == std::string::npos ? 0 : cut);
      }
      if (last) out += '/';  // "/a/." and "/a/b/.." both end in "/a/"
    } else if (segment.empty() && !last && policy.merge_slashes) {
      out.resize(start);  // "//" collapses
    }
    if (last) break;
    i = end + 1;
  }
  if (out.empty()) out.push_back('/');
  return PathVerdict::kOk;
}

}  // namespace gatehouse::proxy
