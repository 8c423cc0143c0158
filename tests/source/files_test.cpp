// The file source: paths expanded to manifests, read, decoded and de-duplicated.
#include "source/files.h"

#include <gtest/gtest.h>

#include "source/temp_dir_fixture.h"
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace gatehouse::source {
namespace {

namespace fs = std::filesystem;

using testing::service_yaml;

class FilesTest : public testing::TempDirTest {
 protected:

  static std::string dump(const model::Diagnostics& diagnostics) {
    std::string out;
    for (const auto& d : diagnostics) out += d.to_string() + "\n";
    return out;
  }

};

TEST_F(FilesTest, DirectoryExpandsToSortedManifestsOnly) {
  write("b.yaml", service_yaml("b"));
  write("a.yml", service_yaml("a"));
  write("c.json", R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "c"}})");
  write("notes.txt", "not a manifest");
  write(".hidden.yaml", service_yaml("hidden"));
  write("sub/d.yaml", service_yaml("d"));  // not recursive
  fs::create_directory(path("dir.yaml"));  // a directory with a manifest's name is skipped

  model::Diagnostics diagnostics;
  std::vector<std::string> files = expand_manifest_paths({dir_}, diagnostics);
  EXPECT_TRUE(diagnostics.empty()) << dump(diagnostics);
  EXPECT_EQ(files, (std::vector<std::string>{path("a.yml"), path("b.yaml"), path("c.json")}));

  Loaded loaded = load_manifests({dir_});
  EXPECT_TRUE(loaded.diagnostics.empty()) << dump(loaded.diagnostics);
  ASSERT_EQ(loaded.objects.services.size(), 3u);
  EXPECT_EQ(loaded.objects.services[0].meta.origin.file, path("a.yml"));
}

TEST_F(FilesTest, ConfigMapMountLayoutFollowsVisibleLinksOnly) {
  // kubelet's layout: ..2024_01_01/ holds the files, ..data -> it, and each visible name is a
  // link through ..data.
  write("..2024_01_01/web.yaml", service_yaml("web"));
  fs::create_directory_symlink("..2024_01_01", path("..data"));
  fs::create_symlink("..data/web.yaml", path("web.yaml"));

  model::Diagnostics diagnostics;
  std::vector<std::string> files = expand_manifest_paths({dir_}, diagnostics);
  EXPECT_TRUE(diagnostics.empty()) << dump(diagnostics);
  EXPECT_EQ(files, std::vector<std::string>{path("web.yaml")});

  Loaded loaded = load_manifests({dir_});
  ASSERT_EQ(loaded.objects.services.size(), 1u);
  EXPECT_EQ(loaded.objects.services[0].meta.name, "web");
}

TEST_F(FilesTest, DanglingLinkIsAnError) {
  fs::create_symlink("nowhere.yaml", path("gone.yaml"));
  write("ok.yaml", service_yaml("ok"));
  Loaded loaded = load_manifests({dir_});
  ASSERT_EQ(loaded.diagnostics.size(), 1u) << dump(loaded.diagnostics);
  EXPECT_EQ(loaded.diagnostics[0].origin.file, path("gone.yaml"));
  EXPECT_EQ(loaded.objects.services.size(), 1u);
}

TEST_F(FilesTest, PathsKeepTheirOrderAndExplicitFilesAreReadWhateverTheirName) {
  write("z.yaml", service_yaml("z"));
  write("manifest.txt", service_yaml("txt"));
  model::Diagnostics diagnostics;
  std::vector<std::string> files =
      expand_manifest_paths({path("z.yaml"), path("manifest.txt")}, diagnostics);
  EXPECT_EQ(files, (std::vector<std::string>{path("z.yaml"), path("manifest.txt")}));
  Loaded loaded = load_manifests({path("z.yaml"), path("manifest.txt")});
  EXPECT_EQ(loaded.objects.services.size(), 2u);
}

TEST_F(FilesTest, MissingPathIsAnErrorAndTheOthersLoad) {
  write("a.yaml", service_yaml("a"));
  Loaded loaded = load_manifests({path("missing.yaml"), path("a.yaml")});
  ASSERT_EQ(loaded.diagnostics.size(), 1u) << dump(loaded.diagnostics);
  EXPECT_EQ(loaded.diagnostics[0].severity, model::Severity::kError);
  EXPECT_EQ(loaded.diagnostics[0].origin.file, path("missing.yaml"));
  EXPECT_EQ(loaded.objects.services.size(), 1u);
}

TEST_F(FilesTest, LaterFileWinsWithAWarning) {
  write("1.yaml", service_yaml("web", 80));
  write("2.yaml", service_yaml("other") + "---\n" + service_yaml("web", 8080));
  Loaded loaded = load_manifests({dir_});
  ASSERT_EQ(loaded.objects.services.size(), 2u);
  EXPECT_EQ(loaded.objects.services[1].meta.name, "web");
  EXPECT_EQ(loaded.objects.services[1].ports[0].port, 8080);
  ASSERT_EQ(loaded.diagnostics.size(), 1u) << dump(loaded.diagnostics);
  EXPECT_EQ(loaded.diagnostics[0].severity, model::Severity::kWarning);
  EXPECT_EQ(loaded.diagnostics[0].origin.file, path("2.yaml"));
  EXPECT_EQ(loaded.diagnostics[0].origin.document, 1);
  EXPECT_EQ(loaded.diagnostics[0].message, "replaces the object from " + path("1.yaml") + "#0");
}

TEST_F(FilesTest, BadFileDoesNotStopTheOthers) {
  write("a.yaml", "kind: [oops\n");
  write("b.yaml", service_yaml("b"));
  Loaded loaded = load_manifests({dir_});
  ASSERT_EQ(loaded.diagnostics.size(), 1u) << dump(loaded.diagnostics);
  EXPECT_EQ(loaded.diagnostics[0].origin.file, path("a.yaml"));
  EXPECT_EQ(loaded.objects.services.size(), 1u);
}

TEST_F(FilesTest, FileOver64MiBIsSkipped) {
  write("big.yaml", "");
  fs::resize_file(path("big.yaml"), (64u << 20) + 1);  // sparse: cheap to make
  write("small.yaml", service_yaml("small"));
  Loaded loaded = load_manifests({dir_});
  ASSERT_EQ(loaded.diagnostics.size(), 1u) << dump(loaded.diagnostics);
  EXPECT_EQ(loaded.diagnostics[0].origin.file, path("big.yaml"));
  EXPECT_NE(loaded.diagnostics[0].message.find("64 MiB"), std::string::npos);
  EXPECT_EQ(loaded.objects.services.size(), 1u);
}

TEST_F(FilesTest, EmptyDirectoryLoadsNothing) {
  Loaded loaded = load_manifests({dir_});
  EXPECT_TRUE(loaded.diagnostics.empty());
  EXPECT_TRUE(loaded.objects.services.empty());
}

}  // namespace
}  // namespace gatehouse::source
