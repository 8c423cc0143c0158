#include "proxy/tls/cert_table.h"

#include "routing/route_table.h"

namespace gatehouse::proxy::tls {

const CertTable::Index::value_type* CertTable::lookup(std::string_view name) const {
  char buffer[routing::kMaxHostLength];
  const std::string_view host = routing::normalize_host(name, buffer);
  if (host.empty()) return nullptr;
  if (auto it = exact_.find(host); it != exact_.end()) return &*it;
  // A wildcard covers exactly one more, non-empty label (as for rules).
  const std::size_t dot = host.find('.');
  if (dot == std::string_view::npos || dot == 0) return nullptr;
  if (auto it = wildcard_.find(host.substr(dot + 1)); it != wildcard_.end()) return &*it;
  return nullptr;
}

SSL_CTX* CertTable::find(std::string_view server_name) const {
  const auto* entry = lookup(server_name);
  return entry ? entry->second : fallback_.get();
}

bool CertTable::has_tls(std::string_view host) const { return lookup(host) != nullptr; }

}  // namespace gatehouse::proxy::tls
