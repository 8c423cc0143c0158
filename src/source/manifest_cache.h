// Incremental manifest loading: the same result as load_manifests, but a file whose stat has not
// changed since the last reload is not read or decoded again, and when the watcher names the
// changed files only those are stat'ed and their objects patched into the previous result. A
// one-file edit among 10,000 files costs one stat, one decode and a few binary searches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/diagnostic.h"
#include "model/object_changes.h"
#include "model/objects.h"
#include "source/changes.h"
#include "source/files.h"

namespace gatehouse::source {

// What one ManifestCache::reload produced.
struct Reloaded {
  // Exactly what load_manifests(paths) would return now. `objects` is shared with the cache: a
  // later reload changes it in place only when nobody else holds it (copy on write).
  std::shared_ptr<const model::Objects> objects;
  model::Diagnostics diagnostics;
  std::size_t files = 0;    // manifest files the paths expanded to (a repeated file counts twice)
  std::size_t decoded = 0;  // of those, how many were decoded again this time
  std::size_t statted = 0;  // how many were stat'ed to find that out
  bool merged = false;      // every file's objects were merged anew (not patched by the change)
  // Files that could not be read, or directories that could not be listed, this time (cannot
  // open, read failed): an I/O problem, not a malformed file. They are read again on the next
  // reload, whatever the change names; an unlisted directory keeps its files' objects.
  std::vector<std::string> unreadable;
  // Which objects differ from the previous reload's: the keys of every object the changed files
  // defined before or define now, or `all` after a full merge (and on the first reload).
  model::ObjectChanges changes;
};

// Not thread-safe: one owner (the control thread) calls reload.
class ManifestCache {
 public:
  explicit ManifestCache(std::vector<std::string> paths);

  // Finds the files that are new, gone or whose stat changed, re-reads and re-decodes only
  // those, and returns the objects and diagnostics a full load_manifests(paths) would give now,
  // in the same order. Throws only what allocation throws; the cache is then in no useful state
  // and should be replaced by a new one (serve does so).
  //
  // Finding them: with `changes.anything` (the default), the paths are expanded again and every
  // file is stat'ed. Otherwise only the named files (and those read too recently to trust their
  // stat, below) are stat'ed, provided each is a file the cache already knows and still a
  // regular file, and no two known files are one file (then an event would name only one of
  // them); anything else falls back to the full sweep.
  //
  // Merging them: when no changed object's kind/namespace/name is defined in another document
  // too, the previous result is patched (the changed file's objects replaced in place); a
  // change that involves such a duplicate merges every file again as load_manifests does.
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
  Reloaded reload(const Changes& changes = Changes::everything());

 private:
  struct Stamp {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::int64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    std::uint32_t type = 0;  // st_mode & S_IFMT
    std::string real_path;  // set only when the path itself is a symlink
    bool operator==(const Stamp&) const = default;
  };
  struct Entry {
    std::string file;                // as expanded (what origins name)
    std::string watched_path;        // absolute and lexically normal, as Changes names it
    std::optional<Stamp> stamp;      // nullopt: could not stat or read; always read again
    bool unreadable = false;         // the last read failed (Reloaded::unreadable)
    bool racy = true;                // timestamp not older than the read: read again next time
    std::optional<std::string> racy_text;  // what was read, kept while racy: an unchanged
                                           // re-read then costs a comparison, not a decode
    std::vector<model::ObjectKey> keys;  // of the objects it defines, in document order
    // As decoded from this file, before de-duplication; dropped (has_objects false) once the
    // merged result holds them, unless the file defines a duplicated key (drop_objects).
    model::Objects objects;
    bool has_objects = false;
    model::Diagnostics diagnostics;  // read and decode problems of this file
  };
  // A file whose objects changed in this reload (`after` null: the file is gone).
  struct Changed {
    std::string file;
    std::vector<model::ObjectKey> before;  // the keys it defined
    const Entry* after = nullptr;
  };

  static std::optional<Stamp> stamp_of(const std::string& file);
  // Reads `entry`'s file again and, unless it is the racy text read last time, decodes it and
  // records its old objects in `changed`. Returns whether it decoded.
  static bool refresh(Entry& entry, std::optional<Stamp> stamp, std::int64_t now_ns,
                      std::vector<Changed>& changed);
  // Re-checks only the named files; false (having changed nothing) when it cannot.
  bool refresh_named(const Changes& changes, Reloaded& out, std::vector<Changed>& changed);
  void sweep(Reloaded& out, std::vector<Changed>& changed);
  // Whether two entries are one file (the same path spelt twice, a hard link, a symlink to
  // another manifest): an event names only one of them, so named reloads would miss the other.
  bool has_aliases() const;
  // Applies `changed` to merged_ in place; false when a duplicate key makes that unsafe.
  bool patch(const std::vector<Changed>& changed);
  // Merges every file's objects anew. Throws std::logic_error if a file's dropped objects are
  // not in the merged result (a bug: the caller then starts from a new cache).
  void merge_all();
  void drop_objects(Entry& entry) const;
  static model::ObjectChanges changes_of(const std::vector<Changed>& changed);

  std::vector<std::string> paths_;
  std::unordered_map<std::string, Entry> entries_;  // by file path as expanded
  std::unordered_map<std::string, Entry*> by_watched_path_;
  std::vector<const Entry*> order_;            // one per expanded file, duplicates included
  bool repeated_file_ = false;                 // a file appears twice in order_
  bool aliased_ = false;                       // has_aliases() as of the last reload
  model::Diagnostics expand_diagnostics_;      // from the last expansion of paths_
  std::shared_ptr<model::Objects> merged_;     // the de-duplicated objects
  bool sweep_next_ = false;  // a directory could not be listed last time: sweep again
  model::Diagnostics merge_diagnostics_;       // the replacement warnings of the last full merge
  std::set<std::string> duplicated_keys_;      // "Kind/ns/name" defined more than once
};

}  // namespace gatehouse::source
