#include "source/kube/kube_config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/base64.h"

namespace gatehouse::source::kube {

namespace {

namespace fs = std::filesystem;

Result<std::string> read_whole(const std::string& file, const std::string& what) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error::io(what + " " + file + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Error::io(what + " " + file + ": read failed");
  return text.str();
}

// A kubeconfig's relative paths are relative to the file that names them.
std::string resolve(const std::string& path, const std::string& kubeconfig) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(kubeconfig).parent_path() / path).lexically_normal().string();
}

std::string scalar(const YAML::Node& map, const char* key) {
  const YAML::Node v = map[key];
  return v && v.IsScalar() ? v.Scalar() : std::string();
}

// One named entry of a list like `clusters: [{name: x, cluster: {...}}]`, with the file it
// came from (for relative paths).
struct Named {
  YAML::Node body;
  std::string file;
};

struct Merged {
  std::string current_context;
  std::map<std::string, Named> clusters, users, contexts;
};

// kubectl's merge rule: the first file to define a name (or current-context) wins.
Result<bool> merge_file(const std::string& file, Merged& merged) {
  auto text = read_whole(file, "kubeconfig");
  if (!text) return text.error();
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return Error::invalid("kubeconfig " + file + ": not YAML (" + e.msg + ")");
  }
  if (!root || root.IsNull()) return true;  // an empty file contributes nothing
  if (!root.IsMap()) return Error::invalid("kubeconfig " + file + ": not a mapping");
  if (merged.current_context.empty()) merged.current_context = scalar(root, "current-context");
  auto take = [&](const char* list, const char* field,
                  std::map<std::string, Named>& into) -> Result<bool> {
    const YAML::Node items = root[list];
    if (!items || items.IsNull()) return true;
    if (!items.IsSequence())
      return Error::invalid("kubeconfig " + file + ": " + list + " is not a list");
    for (const auto& item : items) {
      if (!item.IsMap()) return Error::invalid("kubeconfig " + file + ": " + list + " entry is not a mapping");
      const std::string name = scalar(item, "name");
      const YAML::Node body = item[field];
      if (name.empty() || !body || !body.IsMap())
        return Error::invalid("kubeconfig " + file + ": a " + list + " entry needs a name and a " +
                              field + " mapping");
      into.try_emplace(name, Named{body, file});
    }
    return true;
  };
  for (auto r : {take("clusters", "cluster", merged.clusters), take("users", "user", merged.users),
                 take("contexts", "context", merged.contexts)})
    if (!r) return r.error();
  return true;
}

// `inline` (base64 PEM in a *-data field) or the file `path` names; "" when neither is set.
Result<std::string> pem_from(const YAML::Node& body, const char* data_key, const char* path_key,
                             const std::string& kubeconfig, const std::string& what) {
  const std::string data = scalar(body, data_key);
  if (!data.empty()) {
    auto decoded = decode_base64(data);
    if (!decoded) return Error::invalid("kubeconfig " + kubeconfig + ": " + data_key + " is not base64");
    return *decoded;
  }
  const std::string path = scalar(body, path_key);
  if (path.empty()) return std::string();
  return read_whole(resolve(path, kubeconfig), what);
}

bool is_true(const std::string& v) { return v == "true" || v == "True" || v == "TRUE"; }

}  // namespace

Result<KubeConfig> parse_server_url(const std::string& url, KubeConfig config) {
  const std::string scheme = "https://";
  if (url.rfind(scheme, 0) != 0)
    return Error::invalid("server " + url + ": only https:// API servers are supported");
  std::string rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  config.base_path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!config.base_path.empty() && config.base_path.back() == '/') config.base_path.pop_back();
  if (authority.empty()) return Error::invalid("server " + url + ": no host");
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return Error::invalid("server " + url + ": unclosed [");
    config.host = authority.substr(1, close - 1);
    authority = authority.substr(close + 1);
    config.port = authority.empty() ? "443" : authority.substr(1);
    if (!authority.empty() && authority.front() != ':')
      return Error::invalid("server " + url + ": malformed port");
  } else {
    const auto colon = authority.rfind(':');
    config.host = authority.substr(0, colon);
    config.port = colon == std::string::npos ? "443" : authority.substr(colon + 1);
  }
  if (config.host.empty() || config.port.empty() || config.port.size() > 5 ||
      config.port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(config.port) > 65535 || std::stoi(config.port) == 0)
    return Error::invalid("server " + url + ": malformed host or port");
  if (config.server_name.empty()) config.server_name = config.host;
  return config;
}

Result<KubeConfig> load_kubeconfig(const KubeConfigOptions& options) {
  if (options.files.empty()) return Error::invalid("no kubeconfig file given");
  Merged merged;
  for (const auto& file : options.files) {
    if (file.empty()) continue;
    auto r = merge_file(file, merged);
    if (!r) return r.error();
  }
  const std::string context_name =
      options.context.empty() ? merged.current_context : options.context;
  if (context_name.empty())
    return Error::invalid("kubeconfig: no current-context; name one with --kube-context");
  const auto context = merged.contexts.find(context_name);
  if (context == merged.contexts.end())
    return Error::not_found("kubeconfig: context " + context_name + " is not defined");
  const std::string cluster_name = scalar(context->second.body, "cluster");
  const std::string user_name = scalar(context->second.body, "user");
  const auto cluster = merged.clusters.find(cluster_name);
  if (cluster == merged.clusters.end())
    return Error::not_found("kubeconfig: context " + context_name + " names cluster '" +
                            cluster_name + "', which is not defined");

  KubeConfig config;
  config.origin = "kubeconfig " + cluster->second.file + " context " + context_name;
  config.namespace_ = scalar(context->second.body, "namespace");
  const YAML::Node& c = cluster->second.body;
  config.server_name = scalar(c, "tls-server-name");
  config.insecure_skip_tls_verify = is_true(scalar(c, "insecure-skip-tls-verify"));
  if (config.insecure_skip_tls_verify && !options.allow_insecure)
    return Error::invalid(config.origin +
                          ": insecure-skip-tls-verify is set; gatehouse verifies the API "
                          "server's certificate unless --allow-insecure-kubeconfig is given");
  auto ca = pem_from(c, "certificate-authority-data", "certificate-authority",
                     cluster->second.file, "certificate-authority");
  if (!ca) return ca.error();
  config.ca_pem = std::move(*ca);
  if (config.ca_pem.empty() && !config.insecure_skip_tls_verify)
    return Error::invalid(config.origin + ": the cluster has no certificate-authority(-data)");
  auto parsed = parse_server_url(scalar(c, "server"), std::move(config));
  if (!parsed) return Error::invalid(parsed.error().message + " (" + cluster->second.file + ")");
  config = std::move(*parsed);

  if (!user_name.empty()) {
    const auto user = merged.users.find(user_name);
    if (user == merged.users.end())
      return Error::not_found("kubeconfig: context " + context_name + " names user '" + user_name +
                              "', which is not defined");
    const YAML::Node& u = user->second.body;
    if (u["exec"] || u["auth-provider"])
      return Error::invalid("kubeconfig: user " + user_name +
                            " authenticates with exec or auth-provider, which gatehouse does "
                            "not run; use a token, a token file or a client certificate");
    config.token = scalar(u, "token");
    config.token_file = resolve(scalar(u, "tokenFile"), user->second.file);
    auto cert = pem_from(u, "client-certificate-data", "client-certificate", user->second.file,
                         "client-certificate");
    if (!cert) return cert.error();
    auto key = pem_from(u, "client-key-data", "client-key", user->second.file, "client-key");
    if (!key) return key.error();
    if (cert->empty() != key->empty())
      return Error::invalid("kubeconfig: user " + user_name +
                            " has a client certificate without its key, or a key without its "
                            "certificate");
    config.client_cert_pem = std::move(*cert);
    config.client_key_pem = std::move(*key);
  }
  return config;
}

Result<KubeConfig> load_in_cluster(const std::string& root,
                                   const std::map<std::string, std::string>& env) {
  auto get = [&](const char* name) {
    auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
  };
  const std::string host = get("KUBERNETES_SERVICE_HOST");
  const std::string port = get("KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty())
    return Error::invalid("not in a cluster: KUBERNETES_SERVICE_HOST/_PORT are not set");
  KubeConfig config;
  config.origin = "in-cluster service account " + root;
  auto ca = read_whole(root + "/ca.crt", "service account CA");
  if (!ca) return ca.error();
  config.ca_pem = std::move(*ca);
  config.token_file = root + "/token";
  auto token = read_whole(config.token_file, "service account token");
  if (!token) return token.error();
  auto ns = read_whole(root + "/namespace", "service account namespace");
  if (ns) {
    config.namespace_ = *ns;
    while (!config.namespace_.empty() && std::isspace(static_cast<unsigned char>(config.namespace_.back())))
      config.namespace_.pop_back();
  }
  const bool v6 = host.find(':') != std::string::npos;
  return parse_server_url("https://" + (v6 ? "[" + host + "]" : host) + ":" + port,
                          std::move(config));
}

}  // namespace gatehouse::source::kube
