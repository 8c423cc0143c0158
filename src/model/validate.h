// Validation: the checks the Kubernetes API server makes on create (SPEC.md §2), made again here
// because a file source has no API server in front of it. Each validate() appends every problem
// with the object to `diagnostics` (naming origin, kind, namespace/name and field) and returns
// false when any is an error; warnings (e.g. a defaulted pathType) leave it valid.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/diagnostic.h"
#include "model/objects.h"

namespace gatehouse::model {

bool validate(const Ingress& ingress, Diagnostics& diagnostics);
bool validate(const IngressClass& ingress_class, Diagnostics& diagnostics);
bool validate(const Service& service, Diagnostics& diagnostics);
bool validate(const EndpointSlice& slice, Diagnostics& diagnostics);
bool validate(const Secret& secret, Diagnostics& diagnostics);

// The building blocks, for the decoder and tests. Each returns why `s` is invalid, or nullopt.

// A lower-case RFC 1123 subdomain: dot-separated labels of [a-z0-9-], each 1-63 characters and
// not starting or ending with '-'; 253 characters at most.
std::optional<std::string> check_dns1123_subdomain(std::string_view s);
// One RFC 1123 label (at most 63 characters), as namespaces use.
std::optional<std::string> check_dns1123_label(std::string_view s);
// An RFC 1035 label: an RFC 1123 label that starts with a letter, as Service names use.
std::optional<std::string> check_dns1035_label(std::string_view s);
// An Ingress host: a subdomain, or "*." plus one when `allow_wildcard`; never an IP address.
std::optional<std::string> check_ingress_host(std::string_view s, bool allow_wildcard = true);
// A port name (IANA_SVC_NAME): at most 15 of [a-z0-9-], at least one letter, no "--", not
// starting or ending with '-'.
std::optional<std::string> check_port_name(std::string_view s);
// True when `s` parses as an IPv4 or IPv6 address.
bool is_ip_address(std::string_view s);

}  // namespace gatehouse::model
