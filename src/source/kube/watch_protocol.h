// What the API server sends for a list or a watch, applied to an ObjectCache: a list page
// ({"metadata": {"resourceVersion", "continue"}, "items": [...]}) or one line of a watch stream
// ({"type": "ADDED|MODIFIED|DELETED|BOOKMARK|ERROR", "object": {...}}). Both are untrusted input:
// anything malformed is reported, never trusted (tests/fuzz/fuzz_watch.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/object_changes.h"
#include "source/kube/object_cache.h"

namespace gatehouse::source::kube {

struct ListPage {
  std::string version;  // metadata.resourceVersion
  std::string next;     // metadata.continue: "" on the last page
  std::string problem;  // not "" when the body is not a list (nothing was applied)
};

// Puts every item into `cache` and appends its "namespace/name" to `listed`.
ListPage apply_list_page(std::string_view body, model::Kind kind, ObjectCache& cache,
                         std::vector<std::string>& listed);

struct WatchEvent {
  enum class Type { kApplied, kBookmark, kExpired, kFailed };
  Type type = Type::kFailed;
  std::string version;  // the resourceVersion it carries ("" if none)
  std::string problem;  // kFailed: what was wrong (a malformed line, or an ERROR other than 410)
};

WatchEvent apply_watch_event(std::string_view line, model::Kind kind, bool namespaced,
                             ObjectCache& cache);

}  // namespace gatehouse::source::kube
