// Watching manifest paths with inotify, coalesced into one "something changed" callback. The
// watcher says which files the events named (Changes), or that anything may have changed;
// ManifestCache::reload finds out what really did.
//
// What is watched, per path:
//  - a file: its parent directory, counting only events on the file's name (so an editor's
//    write-to-temp-then-rename and a `kubectl cp`-style replacement are seen). If the file is a
//    symlink, also the first component of a relative link target in the same directory (a
//    ConfigMap volume's `..data`) and the directory of the link's resolved target.
//  - a directory: the directory itself, where every event counts, hidden names included (a
//    ConfigMap volume updates by renaming a `..data_tmp` link over `..data`), plus its parent,
//    filtered by its name, so a directory that is replaced or re-created is watched again.
//  - a path that does not exist yet: its nearest existing ancestor, filtered by the next name,
//    so it is picked up when it appears.
// Watches are re-established before each callback when the directory structure changed.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "source/changes.h"

namespace gatehouse::source {

class FileWatcher {
 public:
  // `on_change` runs on `ex` once the events have been quiet for `settle`, or `10 * settle` after
  // the first of them if they keep coming, with what the events named since the last call. An
  // idle watcher (no call for `settle`) calls at once when every event read names a file
  // renamed into place. A change during on_change leads to one more call afterwards. `ex` must not run handlers concurrently (one thread, or a strand).
  FileWatcher(boost::asio::any_io_executor ex, std::vector<std::string> paths,
              std::chrono::milliseconds settle, std::function<void(const Changes&)> on_change);
  ~FileWatcher();  // stop()
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // Creates the inotify instance and the watches and starts reading events. Returns "" on
  // success; otherwise a message naming what failed (inotify instance or watch limit, permission
  // denied on a directory), and nothing is watched. Never throws. Call once.
  std::string start();

  // Stops watching; no on_change call starts after it returns. Call from the executor's thread
  // (or while it is not running). Safe to call twice.
  void stop();

  // The last error met after start() (e.g. the watch limit reached while re-establishing
  // watches, or a failed read); "" when none. Watching goes on for the other paths.
  std::string last_error() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace gatehouse::source
