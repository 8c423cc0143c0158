// YAML to JSON: turns a YAML stream into one boost::json::value per document, so YAML and JSON
// manifests share a single decoder (decode.h). Internal to the model layer.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <functional>
#include <string_view>

#include "base/result.h"

namespace gatehouse::model {

// Bounds on what one YAML stream may expand to. Aliases let a few bytes name an exponential tree
// ("billion laughs"), so nodes are counted as they are built, aliases included.
struct YamlLimits {
  std::size_t max_nodes = 1'000'000;         // JSON nodes per document
  std::size_t max_depth = 64;                // nested sequences / mappings
  std::size_t max_stream_nodes = 8'000'000;  // JSON nodes per stream, plus one per input byte
};

// Called once per non-skipped document: its 0-based index in the stream and its JSON value, or an
// error message that names the line and column.
using YamlDocumentFn = std::function<void(int document, Result<boost::json::value> value)>;

// Parses every document of `text` in order and calls `fn` for each. Scalars follow the YAML 1.2
// core schema: quoted scalars are strings; plain ones resolve to null, bool, int, float or string.
// A syntax error ends the stream (documents before it have been delivered) and is reported as the
// last call, for the document it occurred in. A document over the limits is reported as an error
// and the next document is still read. Mapping keys must be scalars and unique. Never throws
// (except what `fn` throws).
void for_each_yaml_document(std::string_view text, const YamlDocumentFn& fn,
                            const YamlLimits& limits = {});

// The value of a plain (unquoted, untagged) scalar under the YAML 1.2 core schema.
boost::json::value resolve_plain_scalar(std::string_view text);

}  // namespace gatehouse::model
