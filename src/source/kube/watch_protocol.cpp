#include "source/kube/watch_protocol.h"

#include "source/kube/json_fields.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace gatehouse::source::kube {

namespace json = boost::json;

ListPage apply_list_page(std::string_view body, model::Kind kind, ObjectCache& cache,
                         std::vector<std::string>& listed) {
  ListPage page;
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  const json::object* root = ec ? nullptr : parsed.if_object();
  const json::value* items = root ? root->if_contains("items") : nullptr;
  if (!root || !items || !(items->is_array() || items->is_null())) {
    page.problem = "the response is not a list";
    return page;
  }
  if (items->is_array()) {
    for (const json::value& item : items->get_array()) {
      std::string key;
      cache.put(kind, item, &key);
      listed.push_back(std::move(key));
    }
  }
  const json::object* meta = object_at(root, "metadata");
  page.version = string_at(meta, "resourceVersion");
  page.next = string_at(meta, "continue");
  return page;
}

WatchEvent apply_watch_event(std::string_view line, model::Kind kind, bool namespaced,
                             ObjectCache& cache) {
  WatchEvent out;
  boost::system::error_code ec;
  json::value event = json::parse(line, ec);
  const json::object* e = ec ? nullptr : event.if_object();
  const json::value* object = e ? e->if_contains("object") : nullptr;
  if (!e || !object || !object->is_object()) {
    out.problem = "a watch event is not a JSON object with an object";
    return out;
  }
  const std::string type = string_at(e, "type");
  const json::object* meta = object_at(object->if_object(), "metadata");
  if (type == "ADDED" || type == "MODIFIED") {
    out.type = WatchEvent::Type::kApplied;
    out.version = cache.put(kind, *object);
  } else if (type == "DELETED") {
    std::string ns = namespaced ? string_at(meta, "namespace") : "";
    if (namespaced && ns.empty()) ns = "default";
    cache.remove(kind, ns, string_at(meta, "name"));
    out.type = WatchEvent::Type::kApplied;
    out.version = string_at(meta, "resourceVersion");
  } else if (type == "BOOKMARK") {
    out.type = WatchEvent::Type::kBookmark;
    out.version = string_at(meta, "resourceVersion");
  } else if (type == "ERROR") {
    const json::value* code = object->get_object().if_contains("code");
    if (code && code->is_int64() && code->as_int64() == 410) {
      out.type = WatchEvent::Type::kExpired;
    } else {
      out.problem = "the server ended the watch with an error: " + status_message(json::serialize(*object));
    }
  } else {
    out.problem = "a watch event of unknown type '" + type.substr(0, 40) + "'";
  }
  return out;
}

}  // namespace gatehouse::source::kube
