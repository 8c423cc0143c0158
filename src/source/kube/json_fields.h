// Reading fields of what an API server sends, leniently: a missing or mistyped field is "" or
// null, never an exception (the input is untrusted).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

namespace gatehouse::source::kube {

inline const boost::json::object* object_at(const boost::json::object* o, const char* key) {
  const boost::json::value* v = o ? o->if_contains(key) : nullptr;
  return v ? v->if_object() : nullptr;
}

inline std::string string_at(const boost::json::object* o, const char* key) {
  const boost::json::value* v = o ? o->if_contains(key) : nullptr;
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// A Status body's message, or the start of whatever the body is.
inline std::string status_message(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  std::string m = ec ? std::string() : string_at(v.if_object(), "message");
  return m.empty() ? std::string(body.substr(0, 200)) : m;
}

}  // namespace gatehouse::source::kube
