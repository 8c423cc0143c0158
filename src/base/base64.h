// Standard base64 with padding, as Kubernetes encodes Secret data and kubeconfig *-data fields.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gatehouse {

// Line breaks are skipped (as Go's StdEncoding does); nullopt when `text` is not valid base64.
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace gatehouse
