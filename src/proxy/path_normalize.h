// The one path-normalization policy (DESIGN.md): applied to a request's path before matching, and
// the result is what is sent upstream, so routing and the pod never see different paths.
#pragma once

#include <string>
#include <string_view>

namespace gatehouse::proxy {

struct PathPolicy {
  bool merge_slashes = true;  // "/a//b" → "/a/b"
};

enum class PathVerdict : unsigned char {
  kOk,
  kBadEncoding,  // '%' not followed by two hex digits
  kNotOrigin,    // does not start with '/'
  kTooLong,
};

// Normalizes `path` (the part of an origin-form target before '?') into `out` (cleared first;
// reuse one string per worker so steady state does not allocate):
//  1. percent-encoded unreserved characters (ALPHA DIGIT - . _ ~) are decoded, other escapes are
//     kept with upper-case hex ("%2f" stays an escape and never becomes a separator);
//  2. dot-segments are removed as RFC 3986 §5.2.4 does, never climbing above "/";
//  3. runs of '/' are merged when the policy says so.
// So "/a/../b", "/%2e%2e/b" and "//b" all become "/b".
PathVerdict normalize_path(std::string_view path, const PathPolicy& policy, std::string& out);

}  // namespace gatehouse::proxy
