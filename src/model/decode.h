// Decoding manifests: YAML streams (many documents) and JSON (one object or a List) into typed,
// validated objects. Unknown kinds and unknown fields are ignored, as Kubernetes clients do. An
// object that fails validation is dropped alone with an error Diagnostic naming file, document
// index, kind, namespace/name and field; every other object is still decoded.
#pragma once

#include <string_view>

#include "model/diagnostic.h"
#include "model/objects.h"

namespace boost::json {
class value;
}

namespace gatehouse::model {

enum class ManifestFormat { kAuto, kYaml, kJson };

// Decodes `text` (the content of `file`) and appends each valid object to `out` and each problem to
// `diagnostics`. kAuto picks JSON when the file name ends in ".json" or the text starts with '{' or
// '[' (after whitespace), YAML otherwise. Never throws; malformed text is one error diagnostic.
void decode_manifest(std::string_view text, std::string_view file, Objects& out,
                     Diagnostics& diagnostics, ManifestFormat format = ManifestFormat::kAuto);

// Decodes one object already parsed as JSON (a manifest document or an API server response /
// watch event object). Appends to `out` if the object is a known kind and valid. The API server
// leaves kind and apiVersion out of a list's items: `kind` and `api_version` stand in for them.
void decode_object(const boost::json::value& object, const Origin& origin, Objects& out,
                   Diagnostics& diagnostics, std::string_view kind = {},
                   std::string_view api_version = {});

}  // namespace gatehouse::model
