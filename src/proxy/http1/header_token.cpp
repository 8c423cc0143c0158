#include "proxy/http1/header_token.h"

#include "base/strings.h"

namespace gatehouse::proxy::http1 {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

HeaderToken lookup_header_token(std::string_view name) {
  // Twenty names: a length filter rejects almost every candidate before any byte is compared,
  // which beats hashing for names this short.
  constexpr std::size_t kCount = static_cast<std::size_t>(HeaderToken::kCount);
  for (std::size_t i = 1; i < kCount; ++i) {
    const std::string_view candidate = detail::kTokenInfo[i].name;
    if (candidate.size() != name.size()) continue;
    if (iequals(candidate, name)) return static_cast<HeaderToken>(i);
  }
  return HeaderToken::kUnknown;
}

bool list_contains(std::string_view value, std::string_view token) {
  for (std::string_view item : split(value, ',')) {
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (iequals(item.substr(0, item.find('/')), token)) return true;
  }
  return false;
}

}  // namespace gatehouse::proxy::http1
