#include "source/manifest_cache.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <stdexcept>
#include <filesystem>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "model/decode.h"
#include "store/object_store.h"

namespace gatehouse::source {

namespace {

namespace fs = std::filesystem;

std::int64_t to_ns(const struct timespec& ts) {
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The kernel's coarse wall clock, the one file timestamps are taken from.
std::int64_t coarse_now_ns() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return to_ns(ts);
}

// How FileWatcher names a file (Changes::files): absolute and lexically normal.
std::string watched_path_of(const std::string& file) {
  std::error_code ec;
  fs::path path = fs::absolute(file, ec);
  if (ec) path = file;
  return path.lexically_normal().string();
}

std::string key_of(const char* kind, const model::ObjectMeta& meta) {
  return std::string(kind) + "/" + meta.namespace_ + "/" + meta.name;
}

template <class T>
void append_copies(const std::vector<T>& from, std::vector<T>& to) {
  to.insert(to.end(), from.begin(), from.end());
}

using KeyView = std::pair<std::string_view, std::string_view>;  // namespace, name

template <class T>
KeyView key_view(const T& object) {
  return {object.meta.namespace_, object.meta.name};
}

// Replaces, in `sorted` (one object per key, ordered by namespace/name as ObjectStore::snapshot
// orders them), the objects of kind `kind` that `file` defined (their keys among `before`) by
// those it defines now (`after`, null when the file is gone). False when that would not equal a
// full merge: a key defined twice, in this file or also in another one. `sorted` may then be
// half-patched (only in objects `file` defined); the caller merges anew.
template <class T>
bool patch_kind(model::Kind kind, const std::string& file,
                const std::vector<model::ObjectKey>& before, const std::vector<T>* after,
                std::vector<T>& sorted, const std::set<std::string>& duplicated) {
  auto position = [&sorted](const KeyView& key) {
    return std::lower_bound(sorted.begin(), sorted.end(), key,
                            [](const T& x, const KeyView& k) { return key_view(x) < k; });
  };
  auto holds = [&sorted](auto it, const KeyView& key) {
    return it != sorted.end() && key_view(*it) == key;
  };
  const char* kind_name = model::to_string(kind);
  std::set<KeyView> now;
  if (after) {
    for (const T& object : *after) {
      if (!now.insert(key_view(object)).second) return false;
      if (duplicated.count(key_of(kind_name, object.meta))) return false;
    }
  }
  for (const model::ObjectKey& key : before) {
    if (key.kind != kind) continue;
    const KeyView view{key.namespace_, key.name};
    if (duplicated.count(std::string(kind_name) + "/" + key.namespace_ + "/" + key.name))
      return false;
    if (now.count(view)) continue;
    auto it = position(view);
    if (!holds(it, view) || it->meta.origin.file != file) return false;
    sorted.erase(it);
  }
  if (after) {
    for (const T& object : *after) {
      auto it = position(key_view(object));
      if (!holds(it, key_view(object))) {
        sorted.insert(it, object);
      } else {
        if (it->meta.origin.file != file) return false;  // another file defines it too
        *it = object;
      }
    }
  }
  return true;
}

// Copies, from the merged result, the objects of kind `kind` among `keys` (a file's, whose own
// copy was dropped: each is the one the merge kept, since the file defines no duplicated key).
template <class T>
bool copy_from_merged(model::Kind kind, const std::string& file,
                      const std::vector<model::ObjectKey>& keys, const std::vector<T>& sorted,
                      std::vector<T>& to) {
  for (const model::ObjectKey& key : keys) {
    if (key.kind != kind) continue;
    const KeyView view{key.namespace_, key.name};
    auto it = std::lower_bound(sorted.begin(), sorted.end(), view,
                               [](const T& x, const KeyView& k) { return key_view(x) < k; });
    if (it == sorted.end() || key_view(*it) != view || it->meta.origin.file != file) return false;
    to.push_back(*it);
  }
  return true;
}

template <class T>
void add_keys(model::Kind kind, const std::vector<T>& objects, model::ObjectChanges& out) {
  for (const T& object : objects)
    out.keys.push_back(model::ObjectKey{kind, object.meta.namespace_, object.meta.name});
}

void add_keys(const model::Objects& objects, model::ObjectChanges& out) {
  add_keys(model::Kind::kIngress, objects.ingresses, out);
  add_keys(model::Kind::kIngressClass, objects.ingress_classes, out);
  add_keys(model::Kind::kService, objects.services, out);
  add_keys(model::Kind::kEndpointSlice, objects.endpoint_slices, out);
  add_keys(model::Kind::kSecret, objects.secrets, out);
}

}  // namespace

model::ObjectChanges ManifestCache::changes_of(const std::vector<Changed>& changed) {
  model::ObjectChanges out = model::ObjectChanges::none();
  for (const Changed& c : changed) {
    out.keys.insert(out.keys.end(), c.before.begin(), c.before.end());
    if (c.after) out.keys.insert(out.keys.end(), c.after->keys.begin(), c.after->keys.end());
  }
  return out;
}

ManifestCache::ManifestCache(std::vector<std::string> paths) : paths_(std::move(paths)) {}

// The identity and version of `file` as stat() sees it through any links, or nullopt when it
// cannot be stat'ed (it is then read again every time, and the read reports why).
std::optional<ManifestCache::Stamp> ManifestCache::stamp_of(const std::string& file) {
  struct stat link {};
  if (::lstat(file.c_str(), &link) != 0) return std::nullopt;
  struct stat st = link;
  Stamp stamp;
  if (S_ISLNK(link.st_mode)) {
    if (::stat(file.c_str(), &st) != 0) return std::nullopt;
    char* real = ::realpath(file.c_str(), nullptr);
    if (real == nullptr) return std::nullopt;
    stamp.real_path = real;
    ::free(real);
  }
  stamp.device = static_cast<std::uint64_t>(st.st_dev);
  stamp.inode = static_cast<std::uint64_t>(st.st_ino);
  stamp.size = static_cast<std::int64_t>(st.st_size);
  stamp.mtime_ns = to_ns(st.st_mtim);
  stamp.ctime_ns = to_ns(st.st_ctim);
  stamp.type = static_cast<std::uint32_t>(st.st_mode & S_IFMT);
  return stamp;
}

bool ManifestCache::refresh(Entry& entry, std::optional<Stamp> stamp, std::int64_t now_ns,
                            std::vector<Changed>& changed) {
  const bool racy = !stamp || stamp->mtime_ns >= now_ns || stamp->ctime_ns >= now_ns;
  model::Diagnostics diagnostics;
  std::optional<std::string> text = read_manifest_file(entry.file, diagnostics);
  // A file that could not be read (out of descriptors, an I/O error) is not malformed: it is
  // read again on every reload until it is, and serve schedules one (Reloaded::unreadable).
  entry.unreadable = !text;
  if (!text) stamp.reset();
  if (text && entry.racy_text && *text == *entry.racy_text) {
    // Read again only because its stamp could not be trusted, and unchanged: nothing to decode.
    entry.racy = racy;
    entry.stamp = std::move(stamp);
    if (!racy) entry.racy_text.reset();
    return false;
  }
  changed.push_back(Changed{entry.file, std::move(entry.keys), &entry});
  entry.keys = {};
  entry.objects = {};
  entry.has_objects = true;
  entry.diagnostics = std::move(diagnostics);
  if (text) model::decode_manifest(*text, entry.file, entry.objects, entry.diagnostics);
  model::ObjectChanges keys;
  add_keys(entry.objects, keys);
  entry.keys = std::move(keys.keys);
  entry.racy = racy;
  entry.stamp = std::move(stamp);
  entry.racy_text.reset();
  if (racy && text) entry.racy_text = std::move(text);
  return true;
}

bool ManifestCache::refresh_named(const Changes& changes, Reloaded& out,
                                  std::vector<Changed>& changed) {
  if (!merged_ || aliased_ || sweep_next_) return false;
  std::vector<Entry*> check;
  for (const std::string& path : changes.files) {
    auto it = by_watched_path_.find(path);
    if (it == by_watched_path_.end()) return false;  // a new file, or not one read: sweep
    check.push_back(it->second);
  }
  for (auto& [file, entry] : entries_)
    if (entry.racy || entry.unreadable) check.push_back(&entry);
  std::sort(check.begin(), check.end());
  check.erase(std::unique(check.begin(), check.end()), check.end());

  // Sampled before stat and read: a later write gets a timestamp >= this one.
  const std::int64_t now_ns = coarse_now_ns();
  std::vector<std::optional<Stamp>> stamps;
  for (Entry* entry : check) {
    stamps.push_back(stamp_of(entry->file));
    ++out.statted;
    if (!stamps.back() || !entry->stamp) return false;  // gone or never seen: sweep
    if (stamps.back()->type != S_IFREG) return false;  // now a directory, a fifo...: sweep
  }
  for (std::size_t i = 0; i < check.size(); ++i) {
    Entry& entry = *check[i];
    if (!entry.racy && *stamps[i] == *entry.stamp) continue;
    if (refresh(entry, std::move(stamps[i]), now_ns, changed)) ++out.decoded;
  }
  return true;
}

void ManifestCache::sweep(Reloaded& out, std::vector<Changed>& changed) {
  expand_diagnostics_.clear();
  std::vector<std::string> unlisted;
  const std::vector<std::string> files =
      expand_manifest_paths(paths_, expand_diagnostics_, &unlisted);
  if (!unlisted.empty() && merged_) {
    // A directory that could not be listed has not lost its files: keep every entry as it is,
    // report it, and sweep again next time.
    out.unreadable = std::move(unlisted);
    sweep_next_ = true;
    return;
  }
  sweep_next_ = false;
  std::unordered_map<std::string, Entry> next;  // nodes move over whole: Entry* stay valid
  next.reserve(files.size());
  order_.clear();
  repeated_file_ = false;
  for (const std::string& file : files) {
    if (auto seen = next.find(file); seen != next.end()) {  // named twice: decoded once
      order_.push_back(&seen->second);
      repeated_file_ = true;
      continue;
    }
    Entry* entry = nullptr;
    if (auto node = entries_.extract(file); !node.empty()) {
      entry = &next.insert(std::move(node)).position->second;
    } else {
      Entry fresh;
      fresh.file = file;
      fresh.watched_path = watched_path_of(file);
      entry = &next.emplace(file, std::move(fresh)).first->second;
    }
    const std::int64_t now_ns = coarse_now_ns();
    std::optional<Stamp> stamp = stamp_of(file);
    ++out.statted;
    if (!stamp || !entry->stamp || entry->racy || !(*stamp == *entry->stamp)) {
      if (refresh(*entry, std::move(stamp), now_ns, changed)) ++out.decoded;
    }
    order_.push_back(entry);
  }
  for (auto& [file, gone] : entries_)  // files no longer named
    changed.push_back(Changed{file, std::move(gone.keys), nullptr});
  entries_ = std::move(next);
  by_watched_path_.clear();
  for (auto& [file, entry] : entries_) by_watched_path_.emplace(entry.watched_path, &entry);
}

bool ManifestCache::has_aliases() const {
  // Device and inode folded into one number: a collision only reports an alias that is not
  // there, which costs a sweep, never a missed change.
  std::unordered_set<std::uint64_t> files;
  files.reserve(entries_.size());
  for (const auto& [file, entry] : entries_)
    if (entry.stamp &&
        !files.insert(entry.stamp->device * 0x9E3779B97F4A7C15ull ^ entry.stamp->inode).second)
      return true;
  return false;
}

bool ManifestCache::patch(const std::vector<Changed>& changed) {
  if (repeated_file_) return false;
  if (changed.empty()) return true;
  if (merged_.use_count() > 1) merged_ = std::make_shared<model::Objects>(*merged_);
  model::Objects& m = *merged_;
  const std::set<std::string>& dup = duplicated_keys_;
  using model::Kind;
  for (const Changed& c : changed) {
    const model::Objects* a = c.after ? &c.after->objects : nullptr;
    const std::vector<model::ObjectKey>& b = c.before;
    if (!patch_kind(Kind::kIngress, c.file, b, a ? &a->ingresses : nullptr,
                    m.ingresses, dup) ||
        !patch_kind(Kind::kIngressClass, c.file, b,
                    a ? &a->ingress_classes : nullptr, m.ingress_classes, dup) ||
        !patch_kind(Kind::kService, c.file, b, a ? &a->services : nullptr,
                    m.services, dup) ||
        !patch_kind(Kind::kEndpointSlice, c.file, b,
                    a ? &a->endpoint_slices : nullptr, m.endpoint_slices, dup) ||
        !patch_kind(Kind::kSecret, c.file, b, a ? &a->secrets : nullptr, m.secrets,
                    dup))
      return false;
  }
  return true;
}

// A file's objects are kept only until they are in the merged result, and while the file
// defines a key that is defined more than once (the merge then keeps only one copy, and a later
// full merge needs the others). Otherwise merge_all takes them back from the merged result.
void ManifestCache::drop_objects(Entry& entry) const {
  if (!entry.has_objects) return;
  for (const model::ObjectKey& key : entry.keys)
    if (duplicated_keys_.count(std::string(model::to_string(key.kind)) + "/" + key.namespace_ +
                               "/" + key.name))
      return;
  entry.objects = {};
  entry.has_objects = false;
}

// The same merge as load_manifests: one put of all objects (each kind in file order), whose
// replacements add warnings.
void ManifestCache::merge_all() {
  // Files unchanged since the last merge may have dropped their objects; that merge kept each of
  // them (they were unique), so take them back from it. The new merge may find them duplicated
  // and keep them this time.
  for (auto& [file, entry] : entries_) {
    if (entry.has_objects) continue;
    using model::Kind;
    const model::Objects& m = *merged_;
    const auto& k = entry.keys;
    model::Objects& o = entry.objects;
    if (!copy_from_merged(Kind::kIngress, file, k, m.ingresses, o.ingresses) ||
        !copy_from_merged(Kind::kIngressClass, file, k, m.ingress_classes, o.ingress_classes) ||
        !copy_from_merged(Kind::kService, file, k, m.services, o.services) ||
        !copy_from_merged(Kind::kEndpointSlice, file, k, m.endpoint_slices, o.endpoint_slices) ||
        !copy_from_merged(Kind::kSecret, file, k, m.secrets, o.secrets))
      throw std::logic_error("manifest cache: the objects of " + file +
                             " are neither kept nor in the merged result");
    entry.has_objects = true;
  }
  model::Objects all;
  for (const Entry* entry : order_) {
    append_copies(entry->objects.ingresses, all.ingresses);
    append_copies(entry->objects.ingress_classes, all.ingress_classes);
    append_copies(entry->objects.services, all.services);
    append_copies(entry->objects.endpoint_slices, all.endpoint_slices);
    append_copies(entry->objects.secrets, all.secrets);
  }
  store::ObjectStore store;
  merge_diagnostics_.clear();
  store.put(std::move(all), merge_diagnostics_);
  merged_ = std::make_shared<model::Objects>(store.snapshot());
  // Every replacement warning names a key defined more than once; changes to those merge anew.
  duplicated_keys_.clear();
  for (const model::Diagnostic& d : merge_diagnostics_)
    duplicated_keys_.insert(d.kind + "/" + d.namespace_ + "/" + d.name);
}

Reloaded ManifestCache::reload(const Changes& changes) {
  Reloaded out;
  std::vector<Changed> changed;
  if (changes.anything || !refresh_named(changes, out, changed)) sweep(out, changed);
  aliased_ = has_aliases();  // a rename over a known name can make one as well as a sweep
  out.files = order_.size();
  if (!merged_ || !patch(changed)) {
    merge_all();
    out.merged = true;
    for (auto& [file, entry] : entries_) drop_objects(entry);
  } else {
    out.changes = changes_of(changed);
    for (const Changed& c : changed)
      if (c.after) drop_objects(*const_cast<Entry*>(c.after));
  }
  // load_manifests' order: expansion problems, then each file's, then the merge's warnings.
  out.diagnostics = expand_diagnostics_;
  for (const Entry* entry : order_)
    out.diagnostics.insert(out.diagnostics.end(), entry->diagnostics.begin(),
                           entry->diagnostics.end());
  out.diagnostics.insert(out.diagnostics.end(), merge_diagnostics_.begin(),
                         merge_diagnostics_.end());
  for (const Entry* entry : order_)
    if (entry->unreadable) out.unreadable.push_back(entry->file);
  out.objects = merged_;
  return out;
}

}  // namespace gatehouse::source
