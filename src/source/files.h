// The file source: manifests on disk. A path is a file or a directory (every *.yaml, *.yml and
// *.json directly in it, sorted by name). Watching and incremental reloads live in
// file_watcher.h and manifest_cache.h.
#pragma once

#include <optional>
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

// The files `paths` name, expanded and sorted as load_manifests reads them. Directories that
// exist but could not be listed (out of descriptors, say) are also added to `unlisted`.
std::vector<std::string> expand_manifest_paths(const std::vector<std::string>& paths,
                                               model::Diagnostics& diagnostics,
                                               std::vector<std::string>* unlisted = nullptr);

// The content of `file`, or nullopt with one error diagnostic (cannot open, read failed, or
// larger than 64 MiB). Shared by load_manifests and ManifestCache so both report alike.
std::optional<std::string> read_manifest_file(const std::string& file,
                                              model::Diagnostics& diagnostics);

}  // namespace gatehouse::source
