// The one path-normalization policy (DESIGN.md): applied to a request's path before matching, and
// the result is what is sent upstream, so routing and the pod never see different paths. It lives
// beside the matcher so that serve, explain and the admin API cannot normalize differently.
#pragma once

#include <string>
#include <string_view>

namespace gatehouse::routing {

struct PathPolicy {
  bool merge_slashes = true;  // "/a//b" → "/a/b"
};

enum class PathVerdict : unsigned char {
  kOk,
  kBadEncoding,   // '%' not followed by two hex digits
  kBadCharacter,  // a byte RFC 3986 does not allow in a path ('#', '\\', '"', space, non-ASCII ...)
  kDotSlash,      // a dot-segment beside an escaped slash ("/..%2F", "%2E%2E%5C"): see below
  kBadQuery,      // the query holds a byte valid_query refuses
  kNotOrigin,     // does not start with '/'
  kTooLong,
};

// Normalizes `path` (the part of an origin-form target before '?') into `out` (cleared first;
// reuse one string per worker so steady state does not allocate):
//  1. percent-encoded unreserved characters (ALPHA DIGIT - . _ ~) are decoded, other escapes are
//     kept with upper-case hex ("%2f" stays an escape and never becomes a separator);
//  2. dot-segments are removed as RFC 3986 §5.2.4 does, never climbing above "/";
//  3. runs of '/' are merged when the policy says so.
// So "/a/../b", "/%2e%2e/b" and "//b" all become "/b".
//
// Refused: any byte outside RFC 3986's path characters (pchar and '/'; RFC 9112 §3.2 and RFC
// 9113 §8.3.1 allow nothing else, so a fragment's '#' never reaches matching), and a segment that
// holds "." or ".." once an escaped slash or backslash (%2F, %5C) in it is read as a separator.
// An escaped slash is otherwise data: it is matched as part of its segment and sent to the pod
// escaped, as the client sent it ("/api/group%2Fproject" works). But a pod that decodes it before
// resolving dot-segments would turn "/pub/..%2Finternal", which a rule for /pub matched, into
// "/internal": such paths are ambiguous and answered 400 (docs/decisions/0011).
PathVerdict normalize_path(std::string_view path, const PathPolicy& policy, std::string& out);

// Whether `query` (after '?', without it) may be forwarded: visible ASCII only, and no '#' (a
// fragment is never part of a request target). It is otherwise forwarded untouched.
bool valid_query(std::string_view query);

// What serve does with a request-target's path and query before matching, in one place for the
// HTTP/1.1 and HTTP/2 sessions and for explain: normalize_path into `out`, then valid_query.
PathVerdict normalize_target(std::string_view path, std::string_view query,
                             const PathPolicy& policy, std::string& out);

// The status and reason a request whose path got `verdict` (not kOk) is refused with.
int path_refusal_status(PathVerdict verdict);
const char* path_refusal_reason(PathVerdict verdict);

}  // namespace gatehouse::routing
