#include "routing/path_normalize.h"

#include <array>

namespace gatehouse::routing {

namespace {

constexpr std::size_t kMaxPath = 64 * 1024;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// pchar (RFC 3986 §3.3) without pct-encoded, which is handled apart: unreserved, sub-delims,
// ':' and '@'. A table: this runs for every byte of every path.
constexpr std::array<bool, 256> make_path_chars() {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c)
    table[static_cast<std::size_t>(c)] = is_unreserved(static_cast<unsigned char>(c));
  for (char c : std::string_view("!$&'()*+,;=:@")) table[static_cast<unsigned char>(c)] = true;
  return table;
}
constexpr std::array<bool, 256> kPathChars = make_path_chars();

bool is_path_char(unsigned char c) {
  return kPathChars[c];
}

// Whether `segment` (as normalized: escapes upper-case) holds "." or ".." between escaped
// slashes or backslashes. Called only for segments that hold such an escape.
bool dot_beside_escaped_slash(std::string_view segment) {
  auto is_separator_escape = [&](std::size_t at) {
    return segment[at] == '%' && at + 2 < segment.size() &&
           ((segment[at + 1] == '2' && segment[at + 2] == 'F') ||
            (segment[at + 1] == '5' && segment[at + 2] == 'C'));
  };
  std::size_t begin = 0;
  for (;;) {
    std::size_t end = begin;
    while (end < segment.size() && !is_separator_escape(end)) ++end;
    const std::string_view piece = segment.substr(begin, end - begin);
    if (piece == "." || piece == "..") return true;
    if (end >= segment.size()) return false;
    begin = end + 3;
  }
}

}  // namespace

bool valid_query(std::string_view query) {
  for (char c : query) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x21 || b > 0x7e || b == '#') return false;
  }
  return true;
}

PathVerdict normalize_target(std::string_view path, std::string_view query,
                             const PathPolicy& policy, std::string& out) {
  const PathVerdict verdict = normalize_path(path, policy, out);
  if (verdict != PathVerdict::kOk) return verdict;
  return valid_query(query) ? PathVerdict::kOk : PathVerdict::kBadQuery;
}

int path_refusal_status(PathVerdict verdict) {
  return verdict == PathVerdict::kTooLong ? 414 : 400;
}

const char* path_refusal_reason(PathVerdict verdict) {
  switch (verdict) {
    case PathVerdict::kBadEncoding:
      return "invalid path encoding";
    case PathVerdict::kBadCharacter:
      return "a character not allowed in a path (a fragment '#' is never sent)";
    case PathVerdict::kDotSlash:
      return "a dot-segment beside an escaped slash";
    case PathVerdict::kBadQuery:
      return "a character not allowed in the query";
    case PathVerdict::kNotOrigin:
      return "the path does not start with '/'";
    case PathVerdict::kTooLong:
      return "the path is too long";
    case PathVerdict::kOk:
      break;
  }
  return "";
}

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
    bool escaped_slash = false;
    for (std::size_t k = i; k < end; ++k) {
      if (path[k] != '%') {
        if (!is_path_char(static_cast<unsigned char>(path[k]))) return PathVerdict::kBadCharacter;
        out += path[k];
        continue;
      }
      if (k + 2 >= end) return PathVerdict::kBadEncoding;
      int hi = hex_value(path[k + 1]), lo = hex_value(path[k + 2]);
      if (hi < 0 || lo < 0) return PathVerdict::kBadEncoding;
      auto byte = static_cast<unsigned char>(hi * 16 + lo);
      escaped_slash |= byte == '/' || byte == '\\';
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
    if (escaped_slash && dot_beside_escaped_slash(segment)) return PathVerdict::kDotSlash;
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

}  // namespace gatehouse::routing
