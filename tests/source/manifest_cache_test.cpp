// ManifestCache: incremental reloads that equal a full load_manifests.
#include "source/manifest_cache.h"

#include <gtest/gtest.h>

#include "source/temp_dir_fixture.h"
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "source/files.h"

namespace gatehouse::source {
namespace {

namespace fs = std::filesystem;

using testing::service_yaml;

// Everything a reload result says, as text: objects with their origins, then diagnostics.
std::string summary(const Loaded& loaded) {
  std::string out;
  const model::Objects& o = loaded.objects;
  for (const auto& x : o.ingresses)
    out += "Ingress " + x.meta.namespace_ + "/" + x.meta.name + " " + x.meta.origin.file + "#" +
           std::to_string(x.meta.origin.document) + " rules=" + std::to_string(x.rules.size()) +
           "\n";
  for (const auto& x : o.ingress_classes)
    out += "IngressClass " + x.meta.name + " " + x.meta.origin.file + "\n";
  for (const auto& x : o.services) {
    out += "Service " + x.meta.namespace_ + "/" + x.meta.name + " " + x.meta.origin.file + "#" +
           std::to_string(x.meta.origin.document);
    for (const auto& p : x.ports) out += " " + std::to_string(p.port);
    out += "\n";
  }
  for (const auto& x : o.endpoint_slices)
    out += "EndpointSlice " + x.meta.namespace_ + "/" + x.meta.name + "\n";
  for (const auto& x : o.secrets) out += "Secret " + x.meta.namespace_ + "/" + x.meta.name + "\n";
  for (const auto& d : loaded.diagnostics) out += "diag " + d.to_string() + "\n";
  return out;
}

class ManifestCacheTest : public testing::TempDirTest {
 protected:

  // File timestamps come from a coarse clock; a file stamped in the current tick is read again
  // on the next reload (ManifestCache's racy rule). Let the tick pass so counts are exact.
  static void let_clock_tick() { std::this_thread::sleep_for(std::chrono::milliseconds(30)); }

};

TEST_F(ManifestCacheTest, OnlyTheChangedFileIsDecodedAgain) {
  for (int i = 0; i < 20; ++i)
    write("s" + std::to_string(100 + i) + ".yaml", service_yaml("s" + std::to_string(i)));
  let_clock_tick();
  ManifestCache cache({dir_});
  Reloaded first = cache.reload();
  EXPECT_EQ(first.files, 20u);
  EXPECT_EQ(first.decoded, 20u);
  EXPECT_EQ(first.loaded.objects.services.size(), 20u);

  Reloaded again = cache.reload();
  EXPECT_EQ(again.decoded, 0u);
  EXPECT_EQ(summary(again.loaded), summary(first.loaded));

  write("s107.yaml", service_yaml("s7", 8080));
  let_clock_tick();
  Reloaded changed = cache.reload();
  EXPECT_EQ(changed.decoded, 1u);
  EXPECT_EQ(summary(changed.loaded), summary(load_manifests({dir_})));
  EXPECT_NE(summary(changed.loaded).find("Service default/s7 " + path("s107.yaml") + "#0 8080"),
            std::string::npos)
      << summary(changed.loaded);

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
  EXPECT_EQ(summary(first.loaded), summary(load_manifests(paths)));
  EXPECT_TRUE(model::has_errors(first.loaded.diagnostics));

  write("conf/3.yaml", service_yaml("fixed"));
  write("missing.yaml", service_yaml("found"));
  let_clock_tick();
  Reloaded second = cache.reload();
  EXPECT_EQ(second.decoded, 2u);
  EXPECT_EQ(summary(second.loaded), summary(load_manifests(paths)));
  EXPECT_FALSE(model::has_errors(second.loaded.diagnostics)) << summary(second.loaded);
}

TEST_F(ManifestCacheTest, DeletedFileObjectsDisappear) {
  write("a.yaml", service_yaml("a"));
  write("b.yaml", service_yaml("b"));
  ManifestCache cache({dir_});
  ASSERT_EQ(cache.reload().loaded.objects.services.size(), 2u);
  fs::remove(path("a.yaml"));
  Reloaded after = cache.reload();
  EXPECT_EQ(after.files, 1u);
  ASSERT_EQ(after.loaded.objects.services.size(), 1u);
  EXPECT_EQ(after.loaded.objects.services[0].meta.name, "b");
  EXPECT_EQ(summary(after.loaded), summary(load_manifests({dir_})));
}

TEST_F(ManifestCacheTest, MalformedFileYieldsItsDiagnosticsAndLosesItsObjects) {
  write("a.yaml", service_yaml("a"));
  write("b.yaml", service_yaml("b"));
  ManifestCache cache({dir_});
  ASSERT_EQ(cache.reload().loaded.objects.services.size(), 2u);

  write("a.yaml", "kind: [oops\n");
  Reloaded bad = cache.reload();
  ASSERT_EQ(bad.loaded.diagnostics.size(), 1u) << summary(bad.loaded);
  EXPECT_EQ(bad.loaded.diagnostics[0].origin.file, path("a.yaml"));
  ASSERT_EQ(bad.loaded.objects.services.size(), 1u);
  EXPECT_EQ(bad.loaded.objects.services[0].meta.name, "b");

  write("a.yaml", service_yaml("a"));
  Reloaded good = cache.reload();
  EXPECT_TRUE(good.loaded.diagnostics.empty()) << summary(good.loaded);
  EXPECT_EQ(good.loaded.objects.services.size(), 2u);
}

TEST_F(ManifestCacheTest, SameSizeRewriteWithinOneClockTickIsSeen) {
  // In place, same inode, same size, probably the same coarse mtime: only the racy rule sees it.
  write("a.yaml", service_yaml("a", 80));
  ManifestCache cache({path("a.yaml")});
  ASSERT_EQ(cache.reload().loaded.objects.services.at(0).ports.at(0).port, 80);
  write("a.yaml", service_yaml("a", 81));
  EXPECT_EQ(cache.reload().loaded.objects.services.at(0).ports.at(0).port, 81);
}

TEST_F(ManifestCacheTest, ConfigMapSwapReturnsTheNewContent) {
  // kubelet's layout; the new content has the same size, and the visible link never changes.
  write("..2024_01/foo.yaml", service_yaml("foo", 80));
  fs::create_directory_symlink("..2024_01", path("..data"));
  fs::create_symlink("..data/foo.yaml", path("foo.yaml"));
  let_clock_tick();
  ManifestCache by_dir({dir_});
  ManifestCache by_file({path("foo.yaml")});
  ASSERT_EQ(by_dir.reload().loaded.objects.services.at(0).ports.at(0).port, 80);
  ASSERT_EQ(by_file.reload().loaded.objects.services.at(0).ports.at(0).port, 80);
  ASSERT_EQ(by_dir.reload().decoded, 0u);

  write("..2024_02/foo.yaml", service_yaml("foo", 81));
  fs::create_directory_symlink("..2024_02", path("..data_tmp"));
  fs::rename(path("..data_tmp"), path("..data"));
  fs::remove_all(path("..2024_01"));

  Reloaded dir_result = by_dir.reload();
  EXPECT_EQ(dir_result.decoded, 1u);
  EXPECT_EQ(dir_result.loaded.objects.services.at(0).ports.at(0).port, 81);
  EXPECT_EQ(by_file.reload().loaded.objects.services.at(0).ports.at(0).port, 81);
}

TEST_F(ManifestCacheTest, UnreadableThenMissingFileIsReportedEachTime) {
  write("a.yaml", service_yaml("a"));
  ManifestCache cache({path("a.yaml"), path("gone.yaml")});
  Reloaded first = cache.reload();
  EXPECT_EQ(summary(first.loaded), summary(load_manifests({path("a.yaml"), path("gone.yaml")})));
  ASSERT_EQ(first.loaded.diagnostics.size(), 1u);
  Reloaded second = cache.reload();
  ASSERT_EQ(second.loaded.diagnostics.size(), 1u);  // not cached away
  EXPECT_EQ(second.loaded.diagnostics[0].origin.file, path("gone.yaml"));
}

}  // namespace
}  // namespace gatehouse::source
