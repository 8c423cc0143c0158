// Building nghttp2's field lists: views into strings the caller keeps alive until the submit
// call (nghttp2 copies them there).
#pragma once

#include <nghttp2/nghttp2.h>

#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::proxy {

inline nghttp2_nv field(std::string_view name, std::string_view value) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
          value.size(), NGHTTP2_NV_FLAG_NONE};
}

// Appends the "Name: value\r\n" lines of `lines` (as append_forwarding_fields writes them) to
// `out`, lower-casing the names in place: HTTP/2 field names are lower-case.
// Starts at `from`: what precedes it is not lines.
inline void add_lines_as_fields(std::string& lines, std::vector<nghttp2_nv>& out,
                                std::size_t from = 0) {
  for (std::size_t at = from; at < lines.size();) {
    const std::size_t end = lines.find("\r\n", at);
    const std::size_t colon = lines.find(':', at);
    if (end == std::string::npos || colon == std::string::npos || colon > end) break;
    for (std::size_t i = at; i < colon; ++i)
      if (lines[i] >= 'A' && lines[i] <= 'Z') lines[i] = static_cast<char>(lines[i] + 32);
    const std::size_t value = colon + 2 <= end ? colon + 2 : end;
    out.push_back(field(std::string_view(lines).substr(at, colon - at),
                        std::string_view(lines).substr(value, end - value)));
    at = end + 2;
  }
}

}  // namespace gatehouse::proxy
