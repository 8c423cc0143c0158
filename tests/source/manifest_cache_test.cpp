// ManifestCache: incremental reloads that equal a full load_manifests.
#include "source/manifest_cache.h"

#include <gtest/gtest.h>

#include "source/temp_dir_fixture.h"
#include <stdlib.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <set>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "source/files.h"

namespace gatehouse::source {
namespace {

namespace fs = std::filesystem;

using testing::service_yaml;

// "s" + std::to_string(n), written so that GCC 12 at -O3 does not see operator+(const char*,
// std::string&&): it reports a -Wrestrict false positive there (a Release build failed on it).
std::string numbered(const char* prefix, std::size_t n) {
  std::string out(prefix);
  out += std::to_string(n);
  return out;
}

// Everything a reload result says, as text: objects with their origins, then diagnostics.
std::string summary(const model::Objects& o, const model::Diagnostics& diagnostics) {
  std::string out;
  for (const auto& x : o.ingresses)
    out += "Ingress " + x.meta.namespace_ + "/" + x.meta.name + " " + x.meta.origin.file + "#" +
           std::to_string(x.meta.origin.document) + " rules=" + std::to_string(x.rules.size()) +
           "\n";
  for (const auto& x : o.ingress_classes)
    out += "IngressClass " + x.meta.name + " " + x.meta.origin.file + "\n";
  for (const auto& x : o.services) {
    out += "Service " + x.meta.namespace_ + "/" + x.meta.name + " " + x.meta.origin.file + "#" +
           std::to_string(x.meta.origin.document);
    for (const auto& p : x.ports) {
      out += ' ';
      out += std::to_string(p.port);
    }
    out += "\n";
  }
  for (const auto& x : o.endpoint_slices)
    out += "EndpointSlice " + x.meta.namespace_ + "/" + x.meta.name + "\n";
  for (const auto& x : o.secrets) out += "Secret " + x.meta.namespace_ + "/" + x.meta.name + "\n";
  for (const auto& d : diagnostics) out += "diag " + d.to_string() + "\n";
  return out;
}
std::string summary(const Loaded& loaded) { return summary(loaded.objects, loaded.diagnostics); }
std::string summary(const Reloaded& r) { return summary(*r.objects, r.diagnostics); }

class ManifestCacheTest : public testing::TempDirTest {
 protected:

  // File timestamps come from a coarse clock; a file stamped in the current tick is read again
  // on the next reload (ManifestCache's racy rule). Let the tick pass so counts are exact.
  static void let_clock_tick() { std::this_thread::sleep_for(std::chrono::milliseconds(30)); }

};

TEST_F(ManifestCacheTest, OnlyTheChangedFileIsDecodedAgain) {
  for (int i = 0; i < 20; ++i)
    write(numbered("s", 100 + i) + ".yaml", service_yaml(numbered("s", i)));
  let_clock_tick();
  ManifestCache cache({dir_});
  Reloaded first = cache.reload();
  EXPECT_EQ(first.files, 20u);
  EXPECT_EQ(first.decoded, 20u);
  EXPECT_EQ(first.objects->services.size(), 20u);

  Reloaded again = cache.reload();
  EXPECT_EQ(again.decoded, 0u);
  EXPECT_EQ(summary(again), summary(first));

  write("s107.yaml", service_yaml("s7", 8080));
  let_clock_tick();
  Reloaded changed = cache.reload();
  EXPECT_EQ(changed.decoded, 1u);
  EXPECT_EQ(summary(changed), summary(load_manifests({dir_})));
  EXPECT_NE(summary(changed).find("Service default/s7 " + path("s107.yaml") + "#0 8080"),
            std::string::npos)
      << summary(changed);

  EXPECT_EQ(cache.reload().decoded, 0u);
}

TEST_F(ManifestCacheTest, SameResultAsLoadManifestsIncludingWarningsAndErrors) {
  write("conf/1.yaml", service_yaml("web", 80));
  write("conf/2.yaml", service_yaml("other") + "---\n" + service_yaml("web", 8080));  // replaces
  write("conf/3.yaml", "kind: [oops\n");                                              // malformed
  write("conf/4.json", R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "j"}})");
  write("conf/5.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: ing}\nspec:\n"
        "  rules:\n  - host: a.example.com\n    http:\n      paths:\n      - path: /\n"
        "        pathType: Prefix\n        backend: {service: {name: web, port: {number: 80}}}\n");
  write("extra.yaml", service_yaml("extra"));
  // A directory, a file inside it named again (decoded twice by load_manifests), a missing path.
  const std::vector<std::string> paths = {path("conf"), path("conf/1.yaml"), path("missing.yaml"),
                                          path("extra.yaml")};
  let_clock_tick();
  ManifestCache cache(paths);
  Reloaded first = cache.reload();
  EXPECT_EQ(first.files, 7u);
  EXPECT_EQ(first.decoded, 6u);  // conf/1.yaml is read once for both of its places
  EXPECT_EQ(summary(first), summary(load_manifests(paths)));
  EXPECT_TRUE(model::has_errors(first.diagnostics));

  write("conf/3.yaml", service_yaml("fixed"));
  write("missing.yaml", service_yaml("found"));
  let_clock_tick();
  Reloaded second = cache.reload();
  EXPECT_EQ(second.decoded, 2u);
  EXPECT_EQ(summary(second), summary(load_manifests(paths)));
  EXPECT_FALSE(model::has_errors(second.diagnostics)) << summary(second);
}

TEST_F(ManifestCacheTest, DeletedFileObjectsDisappear) {
  write("a.yaml", service_yaml("a"));
  write("b.yaml", service_yaml("b"));
  ManifestCache cache({dir_});
  ASSERT_EQ(cache.reload().objects->services.size(), 2u);
  fs::remove(path("a.yaml"));
  Reloaded after = cache.reload();
  EXPECT_EQ(after.files, 1u);
  ASSERT_EQ(after.objects->services.size(), 1u);
  EXPECT_EQ(after.objects->services[0].meta.name, "b");
  EXPECT_EQ(summary(after), summary(load_manifests({dir_})));
}

TEST_F(ManifestCacheTest, MalformedFileYieldsItsDiagnosticsAndLosesItsObjects) {
  write("a.yaml", service_yaml("a"));
  write("b.yaml", service_yaml("b"));
  ManifestCache cache({dir_});
  ASSERT_EQ(cache.reload().objects->services.size(), 2u);

  write("a.yaml", "kind: [oops\n");
  Reloaded bad = cache.reload();
  ASSERT_EQ(bad.diagnostics.size(), 1u) << summary(bad);
  EXPECT_EQ(bad.diagnostics[0].origin.file, path("a.yaml"));
  ASSERT_EQ(bad.objects->services.size(), 1u);
  EXPECT_EQ(bad.objects->services[0].meta.name, "b");

  write("a.yaml", service_yaml("a"));
  Reloaded good = cache.reload();
  EXPECT_TRUE(good.diagnostics.empty()) << summary(good);
  EXPECT_EQ(good.objects->services.size(), 2u);
}

TEST_F(ManifestCacheTest, SameSizeRewriteWithinOneClockTickIsSeen) {
  // In place, same inode, same size, probably the same coarse mtime: only the racy rule sees it.
  write("a.yaml", service_yaml("a", 80));
  ManifestCache cache({path("a.yaml")});
  ASSERT_EQ(cache.reload().objects->services.at(0).ports.at(0).port, 80);
  write("a.yaml", service_yaml("a", 81));
  EXPECT_EQ(cache.reload().objects->services.at(0).ports.at(0).port, 81);
}

TEST_F(ManifestCacheTest, RacyFileReadAgainUnchangedIsNotDecodedAgain) {
  write("a.yaml", service_yaml("a", 80));
  write("b.yaml", service_yaml("b", 80));
  // Stamped in the future: not older than any read, so racy on every reload.
  const auto future = fs::file_time_type::clock::now() + std::chrono::seconds(60);
  fs::last_write_time(path("a.yaml"), future);
  fs::last_write_time(path("b.yaml"), future);
  ManifestCache cache({dir_});
  ASSERT_EQ(cache.reload().decoded, 2u);
  Reloaded again = cache.reload(Changes{false, {}});
  EXPECT_EQ(again.statted, 2u);  // both racy: read again...
  EXPECT_EQ(again.decoded, 0u);  // ...but unchanged, so not decoded
  write("a.yaml", service_yaml("a", 81));  // same size: only the content differs
  fs::last_write_time(path("a.yaml"), future);
  Reloaded changed = cache.reload(Changes{false, {}});
  EXPECT_EQ(changed.decoded, 1u);
  EXPECT_EQ(summary(changed), summary(load_manifests({dir_})));
}

TEST_F(ManifestCacheTest, ConfigMapSwapReturnsTheNewContent) {
  // kubelet's layout; the new content has the same size, and the visible link never changes.
  write("..2024_01/foo.yaml", service_yaml("foo", 80));
  fs::create_directory_symlink("..2024_01", path("..data"));
  fs::create_symlink("..data/foo.yaml", path("foo.yaml"));
  let_clock_tick();
  ManifestCache by_dir({dir_});
  ManifestCache by_file({path("foo.yaml")});
  ASSERT_EQ(by_dir.reload().objects->services.at(0).ports.at(0).port, 80);
  ASSERT_EQ(by_file.reload().objects->services.at(0).ports.at(0).port, 80);
  ASSERT_EQ(by_dir.reload().decoded, 0u);

  write("..2024_02/foo.yaml", service_yaml("foo", 81));
  fs::create_directory_symlink("..2024_02", path("..data_tmp"));
  fs::rename(path("..data_tmp"), path("..data"));
  fs::remove_all(path("..2024_01"));

  Reloaded dir_result = by_dir.reload();
  EXPECT_EQ(dir_result.decoded, 1u);
  EXPECT_EQ(dir_result.objects->services.at(0).ports.at(0).port, 81);
  EXPECT_EQ(by_file.reload().objects->services.at(0).ports.at(0).port, 81);
}

TEST_F(ManifestCacheTest, UnreadableThenMissingFileIsReportedEachTime) {
  write("a.yaml", service_yaml("a"));
  ManifestCache cache({path("a.yaml"), path("gone.yaml")});
  Reloaded first = cache.reload();
  EXPECT_EQ(summary(first), summary(load_manifests({path("a.yaml"), path("gone.yaml")})));
  ASSERT_EQ(first.diagnostics.size(), 1u);
  Reloaded second = cache.reload();
  ASSERT_EQ(second.diagnostics.size(), 1u);  // not cached away
  EXPECT_EQ(second.diagnostics[0].origin.file, path("gone.yaml"));
}

// What FileWatcher reports after writing `names`.
Changes named(std::initializer_list<std::string> paths) {
  return Changes{false, std::set<std::string>(paths)};
}

// Takes every descriptor the process may open (under a limit lowered for the purpose), so the
// next open() fails with EMFILE, until the guard goes.
class OutOfDescriptors {
 public:
  OutOfDescriptors() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    int highest = 0;
    for (const auto& entry : fs::directory_iterator("/proc/self/fd"))
      highest = std::max(highest, std::stoi(entry.path().filename().string()));
    rlimit tight = saved_;
    tight.rlim_cur = static_cast<rlim_t>(highest + 8);
    ::setrlimit(RLIMIT_NOFILE, &tight);
    for (int fd; (fd = ::open("/dev/null", O_RDONLY)) >= 0;) held_.push_back(fd);
  }
  ~OutOfDescriptors() {
    for (int fd : held_) ::close(fd);
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }

 private:
  rlimit saved_{};
  std::vector<int> held_;
};

// A change that lands while the process cannot open files is an I/O problem, not a malformed file:
// the file is named in `unreadable` and read again on the next reload, even one that names only
// another file (no event will come for it again).
TEST_F(ManifestCacheTest, AFileThatCouldNotBeReadIsReadAgainOnTheNextReload) {
  write("a.yaml", service_yaml("a"));
  write("b.yaml", service_yaml("b"));
  let_clock_tick();
  ManifestCache cache({dir_});
  Reloaded first = cache.reload();
  EXPECT_TRUE(first.unreadable.empty());

  write("a.yaml", service_yaml("a", 9090));
  let_clock_tick();
  Reloaded starved;
  {
    OutOfDescriptors guard;
    starved = cache.reload(named({path("a.yaml")}));
  }
  ASSERT_EQ(starved.unreadable.size(), 1u) << summary(starved);
  EXPECT_EQ(starved.unreadable[0], path("a.yaml"));

  Reloaded retried = cache.reload(named({path("b.yaml")}));
  EXPECT_TRUE(retried.unreadable.empty()) << summary(retried);
  EXPECT_EQ(summary(retried), summary(load_manifests({dir_})));
  EXPECT_NE(summary(retried).find("Service default/a " + path("a.yaml") + "#0 9090"),
            std::string::npos)
      << summary(retried);
}

TEST_F(ManifestCacheTest, NamedChangeStatsOnlyThatFileAndPatchesTheResult) {
  for (int i = 0; i < 20; ++i)
    write(numbered("s", 100 + i) + ".yaml", service_yaml(numbered("s", i)));
  let_clock_tick();
  ManifestCache cache({dir_});
  Reloaded first = cache.reload();
  EXPECT_TRUE(first.merged);

  write("s107.yaml", service_yaml("s7", 8080) + "---\n" + service_yaml("s7b"));  // one added
  let_clock_tick();
  Reloaded changed = cache.reload(named({path("s107.yaml")}));
  EXPECT_EQ(changed.statted, 1u);
  EXPECT_EQ(changed.decoded, 1u);
  EXPECT_FALSE(changed.merged);
  EXPECT_EQ(summary(changed), summary(load_manifests({dir_})));
  // Copy on write: the earlier result is what it was.
  EXPECT_EQ(first.objects->services.size(), 20u);
  EXPECT_EQ(changed.objects->services.size(), 21u);

  write("s107.yaml", service_yaml("s7b"));  // s7 removed
  let_clock_tick();
  Reloaded removed = cache.reload(named({path("s107.yaml")}));
  EXPECT_FALSE(removed.merged);
  EXPECT_EQ(summary(removed), summary(load_manifests({dir_})));
}

TEST_F(ManifestCacheTest, NamedNewOrGoneFileFallsBackToTheSweep) {
  write("a.yaml", service_yaml("a"));
  ManifestCache cache({dir_});
  cache.reload();
  write("b.yaml", service_yaml("b"));
  Reloaded added = cache.reload(named({path("b.yaml")}));
  EXPECT_EQ(added.files, 2u);
  EXPECT_EQ(summary(added), summary(load_manifests({dir_})));
  fs::remove(path("a.yaml"));
  Reloaded gone = cache.reload(named({path("a.yaml")}));
  EXPECT_EQ(gone.files, 1u);
  EXPECT_EQ(summary(gone), summary(load_manifests({dir_})));
}

TEST_F(ManifestCacheTest, ChangesInvolvingADuplicateMergeEverythingAgain) {
  write("1.yaml", service_yaml("web", 80));
  write("2.yaml", service_yaml("web", 81));  // replaces 1.yaml's, with a warning
  write("3.yaml", service_yaml("other"));
  let_clock_tick();
  ManifestCache cache({dir_});
  ASSERT_EQ(cache.reload().diagnostics.size(), 1u);

  write("1.yaml", service_yaml("web", 82));  // the losing copy changes: still a duplicate
  let_clock_tick();
  Reloaded r = cache.reload(named({path("1.yaml")}));
  EXPECT_TRUE(r.merged);
  EXPECT_EQ(summary(r), summary(load_manifests({dir_})));

  write("2.yaml", service_yaml("solo"));  // the duplicate is gone: 1.yaml's web wins again
  let_clock_tick();
  r = cache.reload(named({path("2.yaml")}));
  EXPECT_TRUE(r.merged);
  EXPECT_EQ(summary(r), summary(load_manifests({dir_})));
  EXPECT_EQ(r.objects->services.at(2).ports.at(0).port, 82) << summary(r);

  write("3.yaml", service_yaml("solo"));  // a new duplicate made by the change
  let_clock_tick();
  r = cache.reload(named({path("3.yaml")}));
  EXPECT_TRUE(r.merged);
  EXPECT_EQ(summary(r), summary(load_manifests({dir_})));
  EXPECT_EQ(r.diagnostics.size(), 1u) << summary(r);
}

TEST_F(ManifestCacheTest, ObjectMovedBetweenFilesInOneChange) {
  write("a.yaml", service_yaml("moving") + "---\n" + service_yaml("a"));
  write("b.yaml", service_yaml("b"));
  let_clock_tick();
  ManifestCache cache({dir_});
  cache.reload();
  write("a.yaml", service_yaml("a"));
  write("b.yaml", service_yaml("b") + "---\n" + service_yaml("moving", 90));
  let_clock_tick();
  Reloaded r = cache.reload(named({path("a.yaml"), path("b.yaml")}));
  EXPECT_EQ(summary(r), summary(load_manifests({dir_})));
}

TEST_F(ManifestCacheTest, AFileKnownUnderTwoNamesIsNeverReloadedByName) {
  write("a.yaml", service_yaml("web", 80));
  fs::create_hard_link(path("a.yaml"), path("b.yaml"));  // one file, two manifests
  let_clock_tick();
  ManifestCache cache({dir_});
  cache.reload();
  { std::ofstream(path("a.yaml"), std::ios::binary | std::ios::in) << service_yaml("web", 81); }
  let_clock_tick();
  // The editor wrote a.yaml, so the event names a.yaml only; b.yaml changed with it.
  Reloaded r = cache.reload(named({path("a.yaml")}));
  EXPECT_EQ(summary(r), summary(load_manifests({dir_})));
  EXPECT_EQ(r.objects->services.at(0).ports.at(0).port, 81);
}

TEST_F(ManifestCacheTest, ANamedFileThatBecameADirectoryIsSweptLikeLoadManifests) {
  write("a.yaml", service_yaml("a"));
  write("x.yaml", service_yaml("x"));
  ManifestCache cache({dir_});
  cache.reload();
  fs::remove(path("x.yaml"));
  fs::create_directory(path("x.yaml"));
  Reloaded r = cache.reload(named({path("x.yaml")}));
  EXPECT_EQ(summary(r), summary(load_manifests({dir_})));
  EXPECT_FALSE(model::has_errors(r.diagnostics)) << summary(r);
}

TEST_F(ManifestCacheTest, RandomEditsThroughNamedChangesEqualAFullLoad) {
  // Files of a few Services each, edited at random (names overlap across files now and then,
  // files appear and go), always reloaded with the names of the touched files.
  unsigned seed = 12345;
  auto next = [&seed](unsigned n) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) % n;
  };
  ManifestCache cache({dir_});
  cache.reload();
  int patched = 0;
  // What each Service looks like now, to check that `changes` names every one that differs.
  auto services_of = [](const model::Objects& objects) {
    std::map<std::string, std::string> out;
    for (const auto& x : objects.services)
      out[x.meta.namespace_ + "/" + x.meta.name] =
          x.meta.origin.file + "#" + std::to_string(x.meta.origin.document) + " " +
          std::to_string(x.ports.at(0).port);
    return out;
  };
  std::map<std::string, std::string> before = services_of(*cache.reload().objects);
  for (int round = 0; round < 100; ++round) {
    std::set<std::string> touched;
    for (int edits = 1 + static_cast<int>(next(3)); edits > 0; --edits) {
      const std::string file = numbered("f", next(6)) + ".yaml";
      touched.insert(path(file));
      if (next(5) == 0) {
        fs::remove(path(file));
        continue;
      }
      std::string text;
      for (int k = static_cast<int>(next(3)); k >= 0; --k) {
        if (!text.empty()) text += "---\n";
        text += service_yaml(numbered("s", next(40)), 80 + static_cast<int>(next(5)));
      }
      write(file, text);
    }
    let_clock_tick();  // nothing racy: only the named files are read again
    Reloaded r = cache.reload(Changes{false, touched});
    ASSERT_EQ(summary(r), summary(load_manifests({dir_}))) << "round " << round;
    if (!r.merged) ++patched;
    const std::map<std::string, std::string> after = services_of(*r.objects);
    EXPECT_EQ(r.changes.all, r.merged);
    if (!r.changes.all) {
      std::set<std::string> named;
      for (const auto& key : r.changes.keys) {
        EXPECT_EQ(key.kind, model::Kind::kService);
        named.insert(key.namespace_ + "/" + key.name);
      }
      std::set<std::string> differ;
      for (const auto& [key, text] : before)
        if (!after.count(key) || after.at(key) != text) differ.insert(key);
      for (const auto& [key, text] : after)
        if (!before.count(key)) differ.insert(key);
      for (const auto& key : differ) EXPECT_TRUE(named.count(key)) << key << " round " << round;
    }
    before = after;
  }
  EXPECT_GT(patched, 10);  // the patch path, not only the full merge, was exercised
}

}  // namespace
}  // namespace gatehouse::source
