// A test fixture owning a fresh directory under /tmp (removed afterwards), with helpers to write
// manifests into it. Shared by the file source's tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace gatehouse::source::testing {

inline std::string service_yaml(const std::string& name, int port = 80) {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name +
         "}\nspec: {ports: [{port: " + std::to_string(port) + "}]}\n";
}

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/gatehouse-source-test-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string path(const std::string& name) const {
    return (std::filesystem::path(dir_) / name).string();
  }

  void write(const std::string& name, const std::string& text) const {
    std::filesystem::create_directories(std::filesystem::path(path(name)).parent_path());
    std::ofstream(path(name), std::ios::binary) << text;
  }

  std::string dir_;
};

}  // namespace gatehouse::source::testing
