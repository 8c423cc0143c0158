// FileWatcher: real inotify on a temporary directory; every wait is bounded (at most 5 s).
#include "source/file_watcher.h"

#include <gtest/gtest.h>

#include "source/temp_dir_fixture.h"
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "source/manifest_cache.h"

namespace gatehouse::source {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

using testing::service_yaml;

class FileWatcherTest : public testing::TempDirTest {
 protected:
  void TearDown() override {
    watcher_.reset();
    TempDirTest::TearDown();
  }

  // Starts a watcher on `paths` counting callbacks; fails the test if start() reports an error.
  void watch(std::vector<std::string> paths, milliseconds settle = milliseconds(5),
             std::function<void()> also = {}) {
    watcher_ = std::make_unique<FileWatcher>(
        io_.get_executor(), std::move(paths), settle, [this, also](const Changes& changes) {
          ++calls_;
          seen_.anything = seen_.anything || changes.anything;
          seen_.files.insert(changes.files.begin(), changes.files.end());
          if (also) also();
        });
    std::string error = watcher_->start();
    ASSERT_EQ(error, "");
  }

  // Runs the event loop until `done` holds or `limit` passes; returns whether `done` held.
  bool run_until(const std::function<bool()>& done, milliseconds limit = milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      if (io_.stopped()) io_.restart();
      io_.run_for(milliseconds(5));
    }
    return true;
  }

  // Runs the loop for `period`, for counting the callbacks that follow one.
  void run_for(milliseconds period) {
    run_until([] { return false; }, period);
  }

  // Waits for the next callback, then a quiet period; returns how many callbacks came.
  int wait_for_callbacks(milliseconds quiet = milliseconds(150)) {
    const int before = calls_;
    run_until([&] { return calls_ > before; });
    run_for(quiet);
    return calls_ - before;
  }

  // What the callbacks reported since the last take, merged.
  Changes take_changes() { return std::exchange(seen_, Changes{false, {}}); }

  boost::asio::io_context io_;
  std::unique_ptr<FileWatcher> watcher_;
  int calls_ = 0;
  Changes seen_{false, {}};
};

TEST_F(FileWatcherTest, WritingAWatchedFileCallsOnceAndOtherNamesAreIgnored) {
  write("a.yaml", service_yaml("a"));
  watch({path("a.yaml")});
  write("b.yaml", service_yaml("b"));  // same directory, another name
  run_for(milliseconds(100));
  EXPECT_EQ(calls_, 0);
  write("a.yaml", service_yaml("a", 81));
  EXPECT_EQ(wait_for_callbacks(), 1);
}

TEST_F(FileWatcherTest, CallbackNamesTheChangedFiles) {
  write("conf/a.yaml", service_yaml("a"));
  write("conf/b.yaml", service_yaml("b"));
  watch({path("conf")});
  write("conf/a.yaml", service_yaml("a", 81));
  ASSERT_GE(wait_for_callbacks(), 1);
  Changes changes = take_changes();
  EXPECT_FALSE(changes.anything);
  EXPECT_EQ(changes.files, std::set<std::string>{path("conf/a.yaml")});

  // A hidden name is a ConfigMap-style swap: it may change every file, so the watcher says so.
  write("conf/..data_tmp", "x");
  ASSERT_GE(wait_for_callbacks(), 1);
  EXPECT_TRUE(take_changes().anything);
}

TEST_F(FileWatcherTest, RenameIntoPlaceWhenIdleCallsAtOnceAndOtherChangesSettle) {
  write("conf/a.yaml", service_yaml("a"));
  write("conf/b.yaml", service_yaml("b"));
  watch({path("conf")}, milliseconds(400));
  auto rename_into_place = [this](const std::string& name, int port) {
    write("staging/" + name, service_yaml(name.substr(0, 1), port));
    fs::rename(path("staging/" + name), path("conf/" + name));
  };
  const auto start = std::chrono::steady_clock::now();
  rename_into_place("a.yaml", 81);
  ASSERT_TRUE(run_until([&] { return calls_ == 1; }, milliseconds(2000)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(300));  // not the 400 ms

  rename_into_place("b.yaml", 81);  // right after a call: settles
  run_for(milliseconds(150));
  EXPECT_EQ(calls_, 1);
  ASSERT_TRUE(run_until([&] { return calls_ == 2; }, milliseconds(2000)));

  run_for(milliseconds(500));  // idle again
  write("conf/a.yaml", service_yaml("a", 82));  // written in place: maybe one of several files
  run_for(milliseconds(150));
  EXPECT_EQ(calls_, 2);
  ASSERT_TRUE(run_until([&] { return calls_ == 3; }, milliseconds(2000)));
}

TEST_F(FileWatcherTest, BurstOfWritesIsCoalesced) {
  watch({dir_}, milliseconds(20));
  std::thread writer([this] {
    for (int i = 0; i < 50; ++i) {
      std::string name(1, 'f');  // not "f" + std::string: a GCC 12 -O3 -Wrestrict false positive
      name += std::to_string(i % 5);
      write(name + ".yaml", service_yaml("x", i));
    }
  });
  const bool called = run_until([&] { return calls_ > 0; });
  writer.join();
  run_for(milliseconds(200));
  EXPECT_TRUE(called);
  EXPECT_GE(calls_, 1);
  EXPECT_LE(calls_, 2);
}

TEST_F(FileWatcherTest, EventsThatNeverStopStillCallWithinTenSettles) {
  watch({dir_}, milliseconds(20));  // at most 200 ms from the first event to a call
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; !done && i < 200; ++i) {  // one event every 5 ms for up to 1 s
      write("a.yaml", service_yaml("a", i));
      std::this_thread::sleep_for(milliseconds(5));
    }
  });
  const auto start = std::chrono::steady_clock::now();
  const bool called = run_until([&] { return calls_ > 0; }, milliseconds(900));
  const auto waited = std::chrono::steady_clock::now() - start;
  done = true;
  writer.join();
  EXPECT_TRUE(called);
  EXPECT_LT(waited, milliseconds(600));  // 200 ms cap, generous for a loaded machine
}

TEST_F(FileWatcherTest, EditorStyleReplaceIsSeen) {
  write("a.yaml", service_yaml("a"));
  watch({path("a.yaml")});
  write(".a.yaml.swp", service_yaml("a", 81));
  fs::rename(path(".a.yaml.swp"), path("a.yaml"));
  EXPECT_EQ(wait_for_callbacks(), 1);
  write(".a.yaml.swp", service_yaml("a", 82));  // and again: the new inode is watched too
  fs::rename(path(".a.yaml.swp"), path("a.yaml"));
  EXPECT_EQ(wait_for_callbacks(), 1);
}

TEST_F(FileWatcherTest, NewFileInAWatchedDirectoryIsSeen) {
  watch({dir_});
  write("c.yaml", service_yaml("c"));
  EXPECT_EQ(wait_for_callbacks(), 1);
}

TEST_F(FileWatcherTest, DeleteIsSeenAndTheFileIsSeenWhenItComesBack) {
  write("a.yaml", service_yaml("a"));
  watch({path("a.yaml")});
  fs::remove(path("a.yaml"));
  EXPECT_EQ(wait_for_callbacks(), 1);
  write("a.yaml", service_yaml("a"));
  EXPECT_GE(wait_for_callbacks(), 1);
}

// kubelet's ConfigMap volume update, seen through a directory path and through a file path.
class ConfigMapTest : public FileWatcherTest, public ::testing::WithParamInterface<bool> {};

TEST_P(ConfigMapTest, SymlinkSwapIsSeenAndReloadReturnsTheNewContent) {
  const bool watch_file = GetParam();
  write("..2024_01/foo.yaml", service_yaml("foo", 80));
  fs::create_directory_symlink("..2024_01", path("..data"));
  fs::create_symlink("..data/foo.yaml", path("foo.yaml"));
  const std::vector<std::string> paths = {watch_file ? path("foo.yaml") : dir_};
  ManifestCache cache(paths);
  ASSERT_EQ(cache.reload().objects->services.at(0).ports.at(0).port, 80);
  watch(paths);

  write("..2024_02/foo.yaml", service_yaml("foo", 81));
  fs::create_directory_symlink("..2024_02", path("..data_tmp"));
  fs::rename(path("..data_tmp"), path("..data"));
  ASSERT_TRUE(run_until([&] { return calls_ > 0; }));
  Reloaded after = cache.reload(take_changes());  // what serve does
  ASSERT_EQ(after.objects->services.size(), 1u);
  EXPECT_EQ(after.objects->services[0].ports.at(0).port, 81);

  fs::remove_all(path("..2024_01"));  // kubelet's clean-up
  run_for(milliseconds(100));
  const int before = calls_;
  write("..2024_03/foo.yaml", service_yaml("foo", 82));  // and a second swap is seen too
  fs::create_directory_symlink("..2024_03", path("..data_tmp"));
  fs::rename(path("..data_tmp"), path("..data"));
  ASSERT_TRUE(run_until([&] { return calls_ > before; }));
  EXPECT_EQ(cache.reload(take_changes()).objects->services.at(0).ports.at(0).port, 82);
}

INSTANTIATE_TEST_SUITE_P(DirectoryOrFile, ConfigMapTest, ::testing::Bool());

TEST_F(FileWatcherTest, WatchedDirectoryRemovedAndRecreatedIsStillWatched) {
  write("sub/a.yaml", service_yaml("a"));
  watch({path("sub")});
  fs::remove_all(path("sub"));
  EXPECT_GE(wait_for_callbacks(), 1);
  fs::create_directory(path("sub"));
  EXPECT_GE(wait_for_callbacks(), 1);
  write("sub/b.yaml", service_yaml("b"));
  EXPECT_EQ(wait_for_callbacks(), 1);
  write("sub/b.yaml", service_yaml("b", 81));
  EXPECT_EQ(wait_for_callbacks(), 1);
}

TEST_F(FileWatcherTest, PathThatDoesNotExistYetIsPickedUpWhenItAppears) {
  watch({path("later/x.yaml")});
  fs::create_directory(path("later"));
  run_for(milliseconds(100));  // a callback or none: the file is not there yet
  const int before = calls_;
  write("later/x.yaml", service_yaml("x"));
  ASSERT_TRUE(run_until([&] { return calls_ > before; }));
  run_for(milliseconds(100));
  const int after_create = calls_;
  write("later/x.yaml", service_yaml("x", 81));
  EXPECT_EQ(wait_for_callbacks(), 1);
  EXPECT_GT(after_create, before);
}

TEST_F(FileWatcherTest, ChangeDuringTheCallbackLeadsToExactlyOneMoreCall) {
  write("a.yaml", service_yaml("a"));
  bool rewrote = false;
  watch({path("a.yaml")}, milliseconds(5), [&] {
    if (rewrote) return;
    rewrote = true;
    write("a.yaml", service_yaml("a", 81));
  });
  write("a.yaml", service_yaml("a", 80));
  run_until([&] { return calls_ >= 2; });
  run_for(milliseconds(150));
  EXPECT_EQ(calls_, 2);
}

TEST_F(FileWatcherTest, NoCallbackAfterStop) {
  write("a.yaml", service_yaml("a"));
  watch({path("a.yaml")});
  write("a.yaml", service_yaml("a", 81));
  watcher_->stop();
  run_for(milliseconds(100));
  EXPECT_EQ(calls_, 0);
  watcher_->stop();  // twice is fine
}

TEST_F(FileWatcherTest, UnreadableDirectoryIsAnErrorFromStart) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every directory";
  fs::create_directory(path("locked"));
  ::chmod(path("locked").c_str(), 0);
  FileWatcher watcher(io_.get_executor(), {path("locked")}, milliseconds(5), [](const Changes&) {});
  std::string error = watcher.start();
  ::chmod(path("locked").c_str(), 0755);
  EXPECT_NE(error.find("locked"), std::string::npos) << error;
}

}  // namespace
}  // namespace gatehouse::source
