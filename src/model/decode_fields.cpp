#include "model/decode_fields.h"

#include <boost/json/serialize.hpp>
#include <chrono>
#include <limits>
#include <utility>

#include "base/strings.h"

namespace gatehouse::model::detail {
namespace json = boost::json;

std::string child_path(std::string_view path, std::string_view key) {
  std::string out(path);
  if (!out.empty()) out += '.';
  out += key;
  return out;
}

std::string item_path(std::string_view path, std::size_t index) {
  std::string out(path);
  out += '[';
  out += std::to_string(index);
  out += ']';
  return out;
}

std::string key_path(std::string_view path, std::string_view key) {
  std::string out(path);
  out += '[';
  out += key;
  out += ']';
  return out;
}

const char* json_type_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "?";
}

const json::value* member(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  return (v && !v->is_null()) ? v : nullptr;
}

void FieldReader::error(std::string field, std::string message) {
  failed_ = true;
  Diagnostic d = context_;
  d.severity = Severity::kError;
  d.field = std::move(field);
  d.message = std::move(message);
  diagnostics_.push_back(std::move(d));
}

void FieldReader::wrong_type(const json::value& v, const std::string& path, const char* want) {
  std::string got = json_type_name(v);
  // Show short scalars: `got string "8080"` says at once that a quoted number was the problem.
  if (v.is_string()) {
    got += ' ';
    got += quoted(v.get_string());
  } else if (v.is_number() || v.is_bool()) {
    got += ' ';
    got += json::serialize(v);
  }
  error(path, std::string("must be ") + want + ", got " + got);
}

const json::object* FieldReader::as_object(const json::value& v, const std::string& path) {
  if (v.is_object()) return &v.get_object();
  wrong_type(v, path, "an object");
  return nullptr;
}

const json::array* FieldReader::as_array(const json::value& v, const std::string& path) {
  if (v.is_array()) return &v.get_array();
  wrong_type(v, path, "an array");
  return nullptr;
}

std::optional<std::string> FieldReader::as_string(const json::value& v, const std::string& path) {
  if (v.is_string()) return std::string(v.get_string());
  wrong_type(v, path, "a string");
  return std::nullopt;
}

std::optional<std::int32_t> FieldReader::as_int32(const json::value& v, const std::string& path) {
  constexpr std::int64_t kMin = std::numeric_limits<std::int32_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();
  if (v.is_int64()) {
    std::int64_t n = v.get_int64();
    if (n >= kMin && n <= kMax) return static_cast<std::int32_t>(n);
  } else if (!v.is_uint64()) {
    wrong_type(v, path, "an integer");
    return std::nullopt;
  }
  error(path, "out of range for a 32-bit integer: " + json::serialize(v));
  return std::nullopt;
}

std::optional<bool> FieldReader::as_bool(const json::value& v, const std::string& path) {
  if (v.is_bool()) return v.get_bool();
  wrong_type(v, path, "a boolean");
  return std::nullopt;
}

const json::object* FieldReader::object(const json::object& parent, std::string_view key,
                                        const std::string& path) {
  const json::value* v = member(parent, key);
  return v ? as_object(*v, child_path(path, key)) : nullptr;
}

const json::array* FieldReader::array(const json::object& parent, std::string_view key,
                                      const std::string& path) {
  const json::value* v = member(parent, key);
  return v ? as_array(*v, child_path(path, key)) : nullptr;
}

std::optional<std::string> FieldReader::string(const json::object& parent, std::string_view key,
                                               const std::string& path) {
  const json::value* v = member(parent, key);
  return v ? as_string(*v, child_path(path, key)) : std::nullopt;
}

std::optional<std::int32_t> FieldReader::int32(const json::object& parent, std::string_view key,
                                               const std::string& path) {
  const json::value* v = member(parent, key);
  return v ? as_int32(*v, child_path(path, key)) : std::nullopt;
}

std::optional<bool> FieldReader::boolean(const json::object& parent, std::string_view key,
                                         const std::string& path) {
  const json::value* v = member(parent, key);
  return v ? as_bool(*v, child_path(path, key)) : std::nullopt;
}

std::vector<std::string> FieldReader::string_list(const json::object& parent, std::string_view key,
                                                  const std::string& path) {
  std::vector<std::string> out;
  std::string list_path = child_path(path, key);
  const json::array* items = array(parent, key, path);
  if (!items) return out;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const json::value& v = (*items)[i];
    if (v.is_null()) {
      out.emplace_back();  // Go decodes null into a string as ""
    } else if (auto s = as_string(v, item_path(list_path, i))) {
      out.push_back(std::move(*s));
    }
  }
  return out;
}

std::map<std::string, std::string> FieldReader::string_map(const json::object& parent,
                                                           std::string_view key,
                                                           const std::string& path) {
  std::map<std::string, std::string> out;
  std::string map_path = child_path(path, key);
  const json::object* entries = object(parent, key, path);
  if (!entries) return out;
  for (const auto& entry : *entries) {
    std::string_view k = entry.key();
    if (entry.value().is_null()) {
      out[std::string(k)] = "";  // `key:` with no value; Go decodes it as ""
    } else if (auto s = as_string(entry.value(), key_path(map_path, k))) {
      out[std::string(k)] = *s;
    }
  }
  return out;
}

namespace {

// The `n` decimal digits of `s` at `pos`, or -1.
int digits_at(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
  int year = digits_at(s, 0, 4), month = digits_at(s, 5, 2), day = digits_at(s, 8, 2);
  int hour = digits_at(s, 11, 2), minute = digits_at(s, 14, 2), second = digits_at(s, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {  // fractional seconds: read, then dropped
    std::size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
  }
  std::int64_t offset = 0;
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = digits_at(s, pos + 1, 2), om = digits_at(s, pos + 4, 2);
    if (oh < 0 || om < 0 || s[pos + 3] != ':' || oh > 23 || om > 59) return std::nullopt;
    offset = (s[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;

  std::chrono::year_month_day date{std::chrono::year{year},
                                   std::chrono::month{static_cast<unsigned>(month)},
                                   std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  std::int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  return days * 86400 + hour * 3600 + minute * 60 + second - offset;
}

}  // namespace gatehouse::model::detail
