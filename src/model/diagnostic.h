// A Diagnostic says what is wrong (or worth a warning) with one object, and where it came from:
// file, document, kind, namespace/name and field. The decoder, the store and the compiler all
// report through it; `gatehouse validate` prints them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/objects.h"

namespace gatehouse::model {

enum class Severity : std::uint8_t { kWarning, kError };

struct Diagnostic {
  Severity severity = Severity::kError;
  Origin origin;           // file and document index; file "" when not known
  std::string kind;        // "Ingress", "Service", ... ("" when the kind itself is unreadable)
  std::string namespace_;  // "" for cluster-scoped or unknown
  std::string name;
  std::string field;  // JSON path of the field, e.g. "spec.rules[0].host"; "" for the whole object
  std::string message;

  // "examples/bad.yaml#2: Ingress default/web: spec.rules[0].host: must not be an IP address"
  std::string to_string() const;

  // About a command-line option rather than an object ("--default-backend: ..."). Built field by
  // field: GCC 12 at -O3 wrongly warns that an aggregate's `{}` Origin may be used uninitialized.
  static Diagnostic about_option(Severity severity, std::string option, std::string message) {
    Diagnostic d;
    d.severity = severity;
    d.field = std::move(option);
    d.message = std::move(message);
    return d;
  }
};

using Diagnostics = std::vector<Diagnostic>;

bool has_errors(const Diagnostics& diagnostics);

}  // namespace gatehouse::model
