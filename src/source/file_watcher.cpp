#include "source/file_watcher.h"

#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace gatehouse::source {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint32_t kEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                  IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
// Events that change which names exist in a directory: they may call for new watches.
constexpr std::uint32_t kStructural = IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE;
// Events about the watched directory itself: it is gone or moved, or the kernel dropped the
// watch (IN_IGNORED) or the queue (IN_Q_OVERFLOW, wd -1).
constexpr std::uint32_t kSelf = IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT;
constexpr int kMaxSettleFactor = 10;

bool is_dir_now(const fs::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Absolute and lexically normal, without a trailing separator ("/a/b/" -> "/a/b").
fs::path normalized(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  if (ec) p = path;
  p = p.lexically_normal();
  if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
  return p;
}

}  // namespace

struct FileWatcher::State : std::enable_shared_from_this<State> {
  // One inotify watch (one directory inode): which names in it matter.
  struct Watch {
    std::string dir;
    bool all = false;             // every event counts (a watched manifest directory)
    std::set<std::string> names;  // names whose events count and may call for new watches
  };

  State(boost::asio::any_io_executor ex, std::vector<std::string> paths_in,
        std::chrono::milliseconds settle_in, std::function<void(const Changes&)> on_change_in)
      : descriptor(ex), timer(ex), settle(settle_in), on_change(std::move(on_change_in)) {
    for (const auto& path : paths_in) paths.push_back(normalized(path));
    if (settle < std::chrono::milliseconds(0)) settle = std::chrono::milliseconds(0);
  }

  // Which directories to watch and how, from the paths as they are on disk now.
  std::map<std::string, Watch> wanted() const {
    std::map<std::string, Watch> want;
    auto filter = [&](const fs::path& dir, const std::string& name) {
      Watch& w = want[dir.string()];
      w.dir = dir.string();
      w.names.insert(name);
    };
    for (const fs::path& path : paths) {
      if (is_dir_now(path)) {
        Watch& w = want[path.string()];
        w.dir = path.string();
        w.all = true;
      }
      // The parent (or the nearest existing ancestor), filtered by the next name down.
      fs::path child = path;
      while (child.has_filename() && child != child.root_path()) {
        fs::path parent = child.parent_path();
        if (is_dir_now(parent)) {
          filter(parent, child.filename().string());
          break;
        }
        child = parent;
      }
      // A symlink: its target may change without the link changing (ConfigMap ..data).
      std::error_code ec;
      if (fs::is_symlink(fs::symlink_status(path, ec))) {
        fs::path target = fs::read_symlink(path, ec);
        if (!ec && target.is_relative() && !target.empty()) {
          std::string first = target.begin()->string();
          if (first != "." && first != "..") filter(path.parent_path(), first);
        }
        char* real = ::realpath(path.c_str(), nullptr);
        if (real != nullptr) {
          fs::path resolved = real;
          ::free(real);
          if (!is_dir_now(resolved) && resolved.has_parent_path())
            filter(resolved.parent_path(), resolved.filename().string());
        }
      }
    }
    return want;
  }

  // Adds the watches wanted now and removes those no longer wanted. Returns "" or a message
  // naming the directories that could not be watched.
  std::string rearm() {
    std::string error;
    std::map<int, Watch> next;
    for (int attempt = 0; attempt < 3; ++attempt) {
      error.clear();
      next.clear();
      bool raced = false;
      for (auto& [dir, want] : wanted()) {
        int wd = ::inotify_add_watch(fd, dir.c_str(), kEvents | IN_ONLYDIR);
        if (wd < 0) {
          int err = errno;
          if (err == ENOENT || err == ENOTDIR) {
            raced = true;  // it went away between stat and watch: compute again
            continue;
          }
          if (!error.empty()) error += "; ";
          error += "cannot watch " + dir + ": " + std::strerror(err);
          if (err == ENOSPC) error += " (fs.inotify.max_user_watches reached)";
          continue;
        }
        Watch& w = next[wd];  // two paths may name one inode (a linked directory)
        if (w.dir.empty()) w.dir = want.dir;
        w.all = w.all || want.all;
        w.names.insert(want.names.begin(), want.names.end());
      }
      if (!raced) break;
    }
    for (const auto& [wd, w] : watches)
      if (!next.count(wd)) ::inotify_rm_watch(fd, wd);  // EINVAL when already gone: fine
    watches = std::move(next);
    return error;
  }

  void read() {
    descriptor.async_read_some(
        boost::asio::buffer(buffer, sizeof buffer),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          if (!self->running) return;
          if (ec) {
            if (ec != boost::asio::error::operation_aborted)
              self->last_error = "reading inotify events failed: " + ec.message();
            return;
          }
          self->handle(n);
          self->read();
        });
  }

  // Walks the events read into `buffer`; any that matters starts or extends the settle period.
  // A file renamed into place (IN_MOVED_TO: the atomic update that tools and editors make)
  // calls on_change at once when the watcher was idle for a settle period, so the usual
  // single-file update skips the settle wait. Anything else settles: in-place writes (a `cp`
  // of several files would otherwise publish the first file alone), creations, ConfigMap
  // swaps, and whatever follows a call within the settle period.
  void handle(std::size_t n) {
    bool changed = false;
    bool complete = true;
    for (std::size_t at = 0; at + sizeof(inotify_event) <= n;) {
      inotify_event event;
      std::memcpy(&event, buffer + at, sizeof event);
      std::string name;
      if (event.len > 0) {
        const char* text = buffer + at + sizeof event;
        name.assign(text, ::strnlen(text, event.len));
      }
      at += sizeof event + event.len;

      if (event.mask & IN_Q_OVERFLOW) {  // events were lost: assume anything changed
        changed = true;
        need_rearm = true;
        changes.anything = true;
        complete = false;
        continue;
      }
      auto it = watches.find(event.wd);
      if (it == watches.end()) continue;  // a watch removed by rearm
      Watch& w = it->second;
      if (event.mask & kSelf) {
        changed = true;
        need_rearm = true;
        changes.anything = true;
        complete = false;
        if (event.mask & IN_IGNORED) watches.erase(it);
        continue;
      }
      const bool named = !name.empty() && w.names.count(name) > 0;
      if (!w.all && !named) continue;
      changed = true;
      if (named && (event.mask & kStructural)) need_rearm = true;
      // A hidden name (a ConfigMap's ..data swap) changes what other names resolve to.
      if (name.empty() || name.front() == '.') {
        changes.anything = true;
        complete = false;
      } else {
        changes.files.insert(w.dir + "/" + name);
        if (!(event.mask & IN_MOVED_TO)) complete = false;
      }
    }
    if (!changed) return;
    const Clock::time_point now = Clock::now();
    if (complete && !pending && now - last_call >= settle) {
      pending = true;
      fire();
      return;
    }
    note_change();
  }

  void note_change() {
    const Clock::time_point now = Clock::now();
    if (!pending) {
      pending = true;
      first_event = now;
    }
    last_event = now;
    if (!timer_armed) arm(deadline());
  }

  Clock::time_point deadline() const {
    return std::min(last_event + settle, first_event + kMaxSettleFactor * settle);
  }

  void arm(Clock::time_point at) {
    timer_armed = true;
    timer.expires_at(at);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      self->timer_armed = false;
      if (!self->running || ec) return;
      self->on_timer();
    });
  }

  // The settle timer fired: fire on_change if the events have been quiet long enough (or the
  // cap is reached), otherwise wait until the later deadline.
  void on_timer() {
    if (!pending) return;
    const Clock::time_point due = deadline();
    if (Clock::now() < due) {
      arm(due);
      return;
    }
    fire();
  }

  void fire() {
    pending = false;
    last_call = Clock::now();
    if (need_rearm) {
      need_rearm = false;
      // Before the callback: anything after the new watches is seen by them, anything before
      // is seen by the reload the callback starts.
      std::string error = rearm();
      if (!error.empty()) last_error = std::move(error);
    }
    Changes seen = std::move(changes);
    changes = Changes{false, {}};
    if (on_change) on_change(seen);
  }

  void stop() {
    if (!running && fd < 0) return;
    running = false;
    boost::system::error_code ignored;
    timer.cancel();
    if (descriptor.is_open()) {
      descriptor.cancel(ignored);
      descriptor.close(ignored);  // closes fd; the kernel drops every watch with it
    } else if (fd >= 0) {
      ::close(fd);
    }
    fd = -1;
    watches.clear();
  }

  std::vector<fs::path> paths;
  boost::asio::posix::stream_descriptor descriptor;
  boost::asio::steady_timer timer;
  std::chrono::milliseconds settle;
  std::function<void(const Changes&)> on_change;

  int fd = -1;
  Changes changes{false, {}};  // what the events named since the last on_change
  bool running = false;
  bool pending = false;     // an event was seen and on_change has not run since
  bool need_rearm = false;  // the directory structure changed: recompute the watches
  bool timer_armed = false;
  Clock::time_point first_event;
  Clock::time_point last_event;
  Clock::time_point last_call;  // of on_change
  std::map<int, Watch> watches;  // by watch descriptor
  std::string last_error;
  alignas(inotify_event) char buffer[64 * 1024];
};

FileWatcher::FileWatcher(boost::asio::any_io_executor ex, std::vector<std::string> paths,
                         std::chrono::milliseconds settle,
                         std::function<void(const Changes&)> on_change)
    : state_(
          std::make_shared<State>(std::move(ex), std::move(paths), settle, std::move(on_change))) {}

FileWatcher::~FileWatcher() {
  stop();
}

std::string FileWatcher::start() {
  State& s = *state_;
  if (s.running) return "already started";
  s.fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (s.fd < 0) {
    int err = errno;
    std::string message = std::string("inotify_init1 failed: ") + std::strerror(err);
    if (err == EMFILE) message += " (fs.inotify.max_user_instances or the fd limit reached)";
    return message;
  }
  std::string error = s.rearm();
  if (!error.empty()) {
    s.stop();
    return error;
  }
  boost::system::error_code ec;
  s.descriptor.assign(s.fd, ec);
  if (ec) {
    s.stop();
    return "cannot register the inotify descriptor: " + ec.message();
  }
  s.running = true;
  s.read();
  return {};
}

void FileWatcher::stop() {
  if (state_) state_->stop();
}

std::string FileWatcher::last_error() const {
  return state_->last_error;
}

}  // namespace gatehouse::source
