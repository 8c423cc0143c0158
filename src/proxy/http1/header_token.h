// Interned tokens for the header names the proxy acts on. A field line's name is looked up once,
// when the head is parsed; from then on "is this hop-by-hop?" is a bit test on the token's flags,
// never a string comparison. Names outside the list are HeaderToken::kUnknown and are forwarded
// untouched (unless a Connection option names them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

namespace gatehouse::proxy::http1 {

enum class HeaderToken : std::uint8_t {
  kUnknown = 0,
  kHost,
  kContentLength,
  kTransferEncoding,
  kConnection,
  kKeepAlive,
  kTe,
  kTrailer,
  kUpgrade,
  kProxyConnection,
  kProxyAuthorization,
  kProxyAuthenticate,
  kExpect,
  kXForwardedFor,
  kXForwardedProto,
  kXForwardedHost,
  kXForwardedPort,
  kXRealIp,
  kXRequestId,
  kForwarded,
  kXOriginalForwardedFor,
  kCount,  // not a token: the number of entries
};

// Flag bits of a token.
inline constexpr std::uint8_t kHopByHop = 1u << 0;  // RFC 9110 §7.6.1: never forwarded as is
inline constexpr std::uint8_t kFraming = 1u << 1;   // decides the body's length (RFC 9112 §6)
inline constexpr std::uint8_t kForwarding = 1u
                                            << 2;  // written by the proxy, not trusted from peers

namespace detail {

struct TokenInfo {
  std::string_view name;  // canonical, lower case
  std::uint8_t flags;
};

inline constexpr TokenInfo kTokenInfo[] = {
    {"", 0},
    {"host", 0},
    {"content-length", kFraming},
    {"transfer-encoding", kHopByHop | kFraming},
    {"connection", kHopByHop},
    {"keep-alive", kHopByHop},
    {"te", kHopByHop},
    {"trailer", kHopByHop},
    {"upgrade", kHopByHop},
    {"proxy-connection", kHopByHop},
    {"proxy-authorization", kHopByHop},
    {"proxy-authenticate", kHopByHop},
    {"expect", 0},
    {"x-forwarded-for", kForwarding},
    {"x-forwarded-proto", kForwarding},
    {"x-forwarded-host", kForwarding},
    {"x-forwarded-port", kForwarding},
    {"x-real-ip", kForwarding},
    {"x-request-id", 0},
    {"forwarded", kForwarding},
    {"x-original-forwarded-for", kForwarding},
};
static_assert(std::size(kTokenInfo) == static_cast<std::size_t>(HeaderToken::kCount));

}  // namespace detail

// The canonical lower-case name; "" for kUnknown.
constexpr std::string_view token_name(HeaderToken token) {
  return detail::kTokenInfo[static_cast<std::size_t>(token)].name;
}

constexpr std::uint8_t token_flags(HeaderToken token) {
  return detail::kTokenInfo[static_cast<std::size_t>(token)].flags;
}

constexpr bool is_hop_by_hop(HeaderToken token) {
  return (token_flags(token) & kHopByHop) != 0;
}

// Case-insensitive (ASCII) lookup of a field name; kUnknown when it is not one of the tokens.
// Allocates nothing; costs one length switch and at most a few short comparisons.
HeaderToken lookup_header_token(std::string_view name);

// ASCII case-insensitive equality, for tokens, codings and schemes (never allocates).
bool iequals(std::string_view a, std::string_view b);

// True when the comma-separated list `value` holds `token` (ASCII case-insensitive), a
// "/version" suffix ignored: "websocket" in "WebSocket" or in "websocket, foo/1"; "trailers" in
// a TE field.
bool list_contains(std::string_view value, std::string_view token);

}  // namespace gatehouse::proxy::http1
