#include "source/manifest_cache.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include <utility>

#include "model/decode.h"
#include "store/object_store.h"

namespace gatehouse::source {

namespace {

std::int64_t to_ns(const struct timespec& ts) {
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The kernel's coarse wall clock, the one file timestamps are taken from.
std::int64_t coarse_now_ns() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return to_ns(ts);
}

template <class T>
void append_copies(const std::vector<T>& from, std::vector<T>& to) {
  to.insert(to.end(), from.begin(), from.end());
}

}  // namespace

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
  return stamp;
}

Reloaded ManifestCache::reload() {
  Reloaded out;
  model::Diagnostics& diagnostics = out.loaded.diagnostics;
  const std::vector<std::string> files = expand_manifest_paths(paths_, diagnostics);
  out.files = files.size();

  std::unordered_map<std::string, Entry> next;
  next.reserve(files.size());
  std::vector<const Entry*> order;  // one per expanded file, duplicates included
  order.reserve(files.size());
  for (const std::string& file : files) {
    if (auto seen = next.find(file); seen != next.end()) {  // named twice: decoded once
      order.push_back(&seen->second);
      continue;
    }
    auto node = entries_.extract(file);
    Entry entry = node.empty() ? Entry{} : std::move(node.mapped());
    // Sampled before stat and read: a later write gets a timestamp >= this one.
    const std::int64_t now_ns = coarse_now_ns();
    std::optional<Stamp> stamp = stamp_of(file);
    if (!stamp || !entry.stamp || entry.racy || !(*stamp == *entry.stamp)) {
      entry.objects = {};
      entry.diagnostics.clear();
      if (auto text = read_manifest_file(file, entry.diagnostics))
        model::decode_manifest(*text, file, entry.objects, entry.diagnostics);
      entry.racy = !stamp || stamp->mtime_ns >= now_ns || stamp->ctime_ns >= now_ns;
      entry.stamp = std::move(stamp);
      ++out.decoded;
    }
    auto [it, inserted] = next.emplace(file, std::move(entry));
    order.push_back(&it->second);
  }
  entries_ = std::move(next);  // files no longer named are forgotten here

  // The same order load_manifests uses: every file's read/decode diagnostics in file order, then
  // one put of all objects (each kind in file order), whose replacements add warnings.
  model::Objects merged;
  for (const Entry* entry : order) {
    diagnostics.insert(diagnostics.end(), entry->diagnostics.begin(), entry->diagnostics.end());
    append_copies(entry->objects.ingresses, merged.ingresses);
    append_copies(entry->objects.ingress_classes, merged.ingress_classes);
    append_copies(entry->objects.services, merged.services);
    append_copies(entry->objects.endpoint_slices, merged.endpoint_slices);
    append_copies(entry->objects.secrets, merged.secrets);
  }
  store::ObjectStore store;
  store.put(std::move(merged), diagnostics);
  out.loaded.objects = store.snapshot();
  return out;
}

}  // namespace gatehouse::source
