// Incremental manifest loading: the same result as load_manifests, but a file whose stat has not
// changed since the last reload is not read or decoded again. A one-file edit among 10,000 files
// costs one decode plus a stat per file and the merge, not 10,000 parses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/diagnostic.h"
#include "model/objects.h"
#include "source/files.h"

namespace gatehouse::source {

// What one ManifestCache::reload produced.
struct Reloaded {
  Loaded loaded;            // exactly what load_manifests(paths) would return now
  std::size_t files = 0;    // manifest files the paths expanded to (a repeated file counts twice)
  std::size_t decoded = 0;  // of those, how many were read and decoded again this time
};

// Not thread-safe: one owner (the control thread) calls reload.
class ManifestCache {
 public:
  explicit ManifestCache(std::vector<std::string> paths);

  // Expands the paths (as expand_manifest_paths), stats every file, re-reads and re-decodes only
  // the files that are new or whose stat changed, forgets files that are gone, and merges all of
  // them through ObjectStore in the order load_manifests uses: objects, diagnostics and their
  // order equal a full load_manifests(paths). Never throws.
  //
  // A file that became malformed (or unreadable) contributes its error diagnostics and none of
  // its objects: its old objects disappear from the result. Keeping the last good table is the
  // caller's decision (e.g. do not publish while the diagnostics hold errors).
  //
  // A file is "changed" when any of these differ: device, inode, size, mtime and ctime (with
  // nanoseconds), and for a symlink its resolved real path (stat follows links, so a ConfigMap
  // ..data swap changes the identity of every visible file). File timestamps come from a coarse
  // kernel clock (a few ms), so a file whose timestamp is not older than the moment it was read
  // could be rewritten within the same tick without a visible stat change; such a file is read
  // again on the next reload too (git's "racy clean" rule).
  Reloaded reload();

 private:
  struct Stamp {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::int64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    std::string real_path;  // set only when the path itself is a symlink
    bool operator==(const Stamp&) const = default;
  };
  struct Entry {
    std::optional<Stamp> stamp;      // nullopt: could not stat; always read again
    bool racy = true;                // timestamp not older than the read: read again next time
    model::Objects objects;          // as decoded from this file, before de-duplication
    model::Diagnostics diagnostics;  // read and decode problems of this file
  };

  static std::optional<Stamp> stamp_of(const std::string& file);

  std::vector<std::string> paths_;
  std::unordered_map<std::string, Entry> entries_;  // by file path as expanded
};

}  // namespace gatehouse::source
