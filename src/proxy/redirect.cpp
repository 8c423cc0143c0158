#include "proxy/redirect.h"

namespace gatehouse::proxy {

void https_location(std::string& out, std::string_view host, std::uint16_t port,
                    std::string_view path, std::string_view query, bool has_query) {
  if (!host.empty() && host.front() == '[') {
    const std::size_t close = host.find(']');
    if (close != std::string_view::npos) host = host.substr(0, close + 1);
  } else if (const std::size_t colon = host.find(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  out.assign("https://");
  out.append(host);
  if (port != 443) {
    out += ':';
    out.append(std::to_string(port));
  }
  out.append(path.empty() ? std::string_view("/") : path);
  if (has_query) {
    out += '?';
    out.append(query);
  }
}

}  // namespace gatehouse::proxy
