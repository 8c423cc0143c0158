// Where the API server is and how to prove who we are: from a kubeconfig file (kubectl's rules:
// current context unless one is named, paths relative to the file that names them, KUBECONFIG
// may list several files and the first to set a value wins) or from inside a Pod (the service
// account's token, CA and namespace files, KUBERNETES_SERVICE_HOST / _PORT).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/result.h"

namespace gatehouse::source::kube {

struct KubeConfig {
  std::string host;  // DNS name or IP (without brackets)
  std::string port;  // "443" when the server URL names none
  std::string base_path;  // a server URL's path ("" or "/prefix"), prepended to every request
  std::string server_name;  // the name the server's certificate must carry (tls-server-name)

  std::string ca_pem;  // "" only with insecure_skip_tls_verify
  bool insecure_skip_tls_verify = false;

  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;       // a bearer token given inline
  std::string token_file;  // or read from this file, again whenever it changes (rotation)

  std::string namespace_;  // the context's namespace (in-cluster: the Pod's)
  std::string origin;      // where this came from, for messages: "kubeconfig FILE context X"
};

struct KubeConfigOptions {
  std::vector<std::string> files;  // --kubeconfig, or KUBECONFIG split on ':'
  std::string context;             // --kube-context; "" for current-context
  // kubeconfig's insecure-skip-tls-verify is refused unless this is set.
  bool allow_insecure = false;
};

Result<KubeConfig> load_kubeconfig(const KubeConfigOptions& options);

// `root` is normally /var/run/secrets/kubernetes.io/serviceaccount; `env` holds
// KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT.
Result<KubeConfig> load_in_cluster(const std::string& root,
                                   const std::map<std::string, std::string>& env);

// Splits an https URL into host, port and path; an error for anything else (http is refused:
// the token would travel in clear).
Result<KubeConfig> parse_server_url(const std::string& url, KubeConfig config);

}  // namespace gatehouse::source::kube
