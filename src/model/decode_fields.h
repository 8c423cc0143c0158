// Typed access to the fields of one manifest object's JSON, for the decoder (decode.cpp). Each
// field of the wrong JSON type becomes an error Diagnostic naming its path, e.g.
// "spec.rules[0].http.paths[1].backend.service.port.number". Internal to the model layer.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/diagnostic.h"

namespace gatehouse::model::detail {

// "spec" + "rules" -> "spec.rules"; "" + "spec" -> "spec".
std::string child_path(std::string_view path, std::string_view key);
// "spec.rules" + 2 -> "spec.rules[2]".
std::string item_path(std::string_view path, std::size_t index);
// "metadata.labels" + "app" -> "metadata.labels[app]" (keys may hold dots and slashes).
std::string key_path(std::string_view path, std::string_view key);

// "string", "number", "object", ... for messages.
const char* json_type_name(const boost::json::value& v);

// The member `key` of `object`, or nullptr when it is missing or null (JSON null means unset, as
// for Kubernetes' Go types).
const boost::json::value* member(const boost::json::object& object, std::string_view key);

// Reads fields of one object, reporting type errors against a context Diagnostic that already
// carries origin, kind, namespace and name. Every reader returns "unset" (nullptr / nullopt /
// empty) both for a missing field and for a field of the wrong type; only the latter is an error.
class FieldReader {
 public:
  FieldReader(Diagnostic context, Diagnostics& diagnostics)
      : context_(std::move(context)), diagnostics_(diagnostics) {}

  bool failed() const { return failed_; }
  Diagnostic& context() { return context_; }

  void error(std::string field, std::string message);

  // Value forms: `v` is the field's value at `path`.
  const boost::json::object* as_object(const boost::json::value& v, const std::string& path);
  const boost::json::array* as_array(const boost::json::value& v, const std::string& path);
  std::optional<std::string> as_string(const boost::json::value& v, const std::string& path);
  std::optional<std::int32_t> as_int32(const boost::json::value& v, const std::string& path);
  std::optional<bool> as_bool(const boost::json::value& v, const std::string& path);

  // Member forms: the field `key` of `parent`, which sits at `path`.
  const boost::json::object* object(const boost::json::object& parent, std::string_view key,
                                    const std::string& path);
  const boost::json::array* array(const boost::json::object& parent, std::string_view key,
                                  const std::string& path);
  std::optional<std::string> string(const boost::json::object& parent, std::string_view key,
                                    const std::string& path);
  std::optional<std::int32_t> int32(const boost::json::object& parent, std::string_view key,
                                    const std::string& path);
  std::optional<bool> boolean(const boost::json::object& parent, std::string_view key,
                              const std::string& path);
  std::vector<std::string> string_list(const boost::json::object& parent, std::string_view key,
                                       const std::string& path);
  std::map<std::string, std::string> string_map(const boost::json::object& parent,
                                                std::string_view key, const std::string& path);

 private:
  void wrong_type(const boost::json::value& v, const std::string& path, const char* want);

  Diagnostic context_;
  Diagnostics& diagnostics_;
  bool failed_ = false;
};

// An RFC 3339 time ("2024-01-02T03:04:05Z", "2024-01-02T04:04:05.5+01:00") as Unix seconds, the
// fraction dropped; nullopt when malformed or not a real date.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace gatehouse::model::detail
