// The file source: manifests on disk. A path is a file or a directory (every *.yaml, *.yml and
// *.json directly in it, sorted by name). Later phases add inotify watching here.
#pragma once

#include <string>
#include <vector>

#include "model/diagnostic.h"
#include "model/objects.h"

namespace gatehouse::source {

struct Loaded {
  model::Objects objects;  // de-duplicated by kind/namespace/name: the later document wins
  model::Diagnostics diagnostics;
};

// Reads and decodes every manifest under `paths`, in order. A path that does not exist or cannot
// be read is an error diagnostic; the other paths still load.
Loaded load_manifests(const std::vector<std::string>& paths);

// The files `paths` name, expanded and sorted as load_manifests reads them.
std::vector<std::string> expand_manifest_paths(const std::vector<std::string>& paths,
                                               model::Diagnostics& diagnostics);

}  // namespace gatehouse::source
