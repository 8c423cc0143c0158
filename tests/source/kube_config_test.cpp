#include "source/kube/kube_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace gatehouse::source::kube {
namespace {

namespace fs = std::filesystem;

class KubeConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gatehouse-kubeconfig-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "certs");
    write("certs/ca.crt", "CA PEM\n");
    write("certs/client.crt", "CLIENT CERT\n");
    write("certs/client.key", "CLIENT KEY\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  fs::path dir_;
};

const char* kTwoContexts = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority: certs/ca.crt
- name: prod-cluster
  cluster:
    server: https://api.example.com/prefix/
    certificate-authority-data: UFJPRCBDQQo=
users:
- name: dev-user
  user:
    client-certificate: certs/client.crt
    client-key: certs/client.key
- name: prod-user
  user:
    token: s3cret
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user, namespace: team-a}
- name: prod
  context: {cluster: prod-cluster, user: prod-user}
)";

TEST_F(KubeConfigTest, CurrentContextWithRelativeFilesReadRelativeToTheKubeconfig) {
  auto config = load_kubeconfig({{write("config", kTwoContexts)}, "", false});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->host, "127.0.0.1");
  EXPECT_EQ(config->port, "6443");
  EXPECT_EQ(config->base_path, "");
  EXPECT_EQ(config->server_name, "127.0.0.1");
  EXPECT_EQ(config->ca_pem, "CA PEM\n");
  EXPECT_EQ(config->client_cert_pem, "CLIENT CERT\n");
  EXPECT_EQ(config->client_key_pem, "CLIENT KEY\n");
  EXPECT_EQ(config->namespace_, "team-a");
  EXPECT_NE(config->origin.find("context dev"), std::string::npos);
}

TEST_F(KubeConfigTest, NamedContextWithInlineDataAndToken) {
  auto config = load_kubeconfig({{write("config", kTwoContexts)}, "prod", false});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->host, "api.example.com");
  EXPECT_EQ(config->port, "443");
  EXPECT_EQ(config->base_path, "/prefix");
  EXPECT_EQ(config->ca_pem, "PROD CA\n");
  EXPECT_EQ(config->token, "s3cret");
  EXPECT_TRUE(config->client_cert_pem.empty());
}

TEST_F(KubeConfigTest, FirstFileToDefineANameWins) {
  const std::string first = write("first", R"(current-context: prod
users:
- name: prod-user
  user: {token: from-first}
)");
  auto config = load_kubeconfig({{first, write("config", kTwoContexts)}, "", false});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->host, "api.example.com");  // current-context from the first file
  EXPECT_EQ(config->token, "from-first");
}

TEST_F(KubeConfigTest, InsecureSkipVerifyIsRefusedUnlessAllowed) {
  const std::string file = write("config", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true}}]
contexts: [{name: c, context: {cluster: k}}]
)");
  auto refused = load_kubeconfig({{file}, "", false});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("insecure-skip-tls-verify"), std::string::npos);
  auto allowed = load_kubeconfig({{file}, "", true});
  ASSERT_TRUE(allowed) << allowed.error().message;
  EXPECT_TRUE(allowed->insecure_skip_tls_verify);
}

TEST_F(KubeConfigTest, ClearErrorsForWhatCannotWork) {
  auto error_of = [&](const std::string& text, const std::string& context = "") {
    auto r = load_kubeconfig({{write("bad", text)}, context, false});
    return r ? std::string("(loaded)") : r.error().message;
  };
  EXPECT_NE(error_of(kTwoContexts, "staging").find("context staging is not defined"),
            std::string::npos);
  EXPECT_NE(error_of(R"(current-context: c
clusters: [{name: k, cluster: {server: "http://10.0.0.1:8080", certificate-authority-data: Q0EK}}]
contexts: [{name: c, context: {cluster: k}}]
)").find("only https://"),
            std::string::npos);
  EXPECT_NE(error_of(R"(current-context: c
clusters: [{name: k, cluster: {server: "https://10.0.0.1"}}]
contexts: [{name: c, context: {cluster: k}}]
)").find("no certificate-authority"),
            std::string::npos);
  EXPECT_NE(error_of(R"(current-context: c
clusters: [{name: k, cluster: {server: "https://h", certificate-authority-data: Q0EK}}]
users: [{name: u, user: {exec: {command: aws}}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
)").find("exec"),
            std::string::npos);
  EXPECT_NE(error_of("clusters: [").find("not YAML"), std::string::npos);
  EXPECT_NE(error_of("current-context: c\n").find("context c is not defined"), std::string::npos);
  auto missing = load_kubeconfig({{(dir_ / "nope").string()}, "", false});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("cannot be read"), std::string::npos);
}

TEST_F(KubeConfigTest, InClusterReadsTheServiceAccountFiles) {
  write("certs/token", "tok\n");
  write("certs/namespace", "gatehouse\n");
  auto config = load_in_cluster((dir_ / "certs").string(),
                                {{"KUBERNETES_SERVICE_HOST", "fd00::1"},
                                 {"KUBERNETES_SERVICE_PORT", "443"}});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->host, "fd00::1");
  EXPECT_EQ(config->port, "443");
  EXPECT_EQ(config->ca_pem, "CA PEM\n");
  EXPECT_EQ(config->token_file, (dir_ / "certs/token").string());
  EXPECT_EQ(config->namespace_, "gatehouse");
  EXPECT_FALSE(load_in_cluster((dir_ / "certs").string(), {}));
}

TEST(ServerUrl, HostsPortsAndPaths) {
  auto url = [](const std::string& text) {
    auto r = parse_server_url(text, {});
    return r ? r->host + "|" + r->port + "|" + r->base_path : "error";
  };
  EXPECT_EQ(url("https://[::1]:6443"), "::1|6443|");
  EXPECT_EQ(url("https://k8s.local"), "k8s.local|443|");
  EXPECT_EQ(url("https://k8s.local:8443/api-proxy/"), "k8s.local|8443|/api-proxy");
  EXPECT_EQ(url("https://k8s.local:99999"), "error");
  EXPECT_EQ(url("https://k8s.local:"), "error");
  EXPECT_EQ(url("https://"), "error");
  EXPECT_EQ(url("ftp://x"), "error");
}

}  // namespace
}  // namespace gatehouse::source::kube
