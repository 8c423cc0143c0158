// What a watcher saw change between two reloads: the manifest files its events named, or
// "anything" when it cannot tell (a directory swapped, events lost, a path re-created). The
// reload that follows re-reads only the named files when it can, and sweeps every path otherwise.
#pragma once

#include <set>
#include <string>

namespace gatehouse::source {

struct Changes {
  bool anything = true;
  // Absolute, lexically normal paths (ManifestCache matches them against the files it knows).
  std::set<std::string> files;

  static Changes everything() { return {}; }
};

}  // namespace gatehouse::source
