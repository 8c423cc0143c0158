// HTTPS requests to a Kubernetes API server (Boost.Beast over OpenSSL): one request and its whole
// response, or a watch whose chunked, newline-delimited body is handed over line by line as it
// arrives. The server's certificate is always verified against the configured CA (unless the
// kubeconfig's insecure-skip-tls-verify was explicitly allowed). A token file is read again
// whenever it changes, so a rotated service-account token is picked up. A watch has a connection
// of its own; other requests reuse idle keep-alive connections (a paginated list of 10,000
// objects is 20 requests: one TLS handshake instead of 20).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "source/kube/kube_config.h"

namespace boost::asio::ssl {
class context;
}

namespace gatehouse::source::kube {

struct ApiResponse {
  unsigned status = 0;
  std::string body;
  std::optional<std::chrono::seconds> retry_after;  // from a Retry-After header (seconds form)
};

struct ApiTimeouts {
  std::chrono::milliseconds connect{10'000};  // TCP connect and TLS handshake
  std::chrono::milliseconds request{60'000};  // a whole non-watch request
  std::chrono::milliseconds watch_idle{90'000};  // no byte on a watch for this long: it is dead
};

class ApiClient {
 public:
  // Errors when the CA, client certificate or key cannot be loaded.
  static Result<std::unique_ptr<ApiClient>> create(boost::asio::any_io_executor executor,
                                                   KubeConfig config, ApiTimeouts timeouts = {});
  ~ApiClient();

  const KubeConfig& config() const { return config_; }

  // `target` is the path and query ("/api/v1/services?limit=500"); the server URL's path is
  // prepended. An error only when no HTTP response arrived (connect, TLS, timeout, malformed).
  boost::asio::awaitable<Result<ApiResponse>> request(std::string method, std::string target,
                                                      std::string body = {},
                                                      std::string content_type = {});

  // A watch: `on_line` gets every complete line of a 200 response's body, as it arrives, and
  // returns false to stop. A response other than 200 is returned whole, as from request().
  // Returns status 200 with an empty body when the server ended the stream; an error when the
  // connection broke or stayed silent for timeouts.watch_idle.
  boost::asio::awaitable<Result<ApiResponse>> watch(
      std::string target, std::function<bool(std::string_view line)> on_line);

  // Forget the token read from the token file, so the next request reads it again (after a 401).
  void reload_token() { token_stale_ = true; }

 private:
  ApiClient(boost::asio::any_io_executor executor, KubeConfig config, ApiTimeouts timeouts,
            std::unique_ptr<boost::asio::ssl::context> tls);
  std::string authorization();
  std::string host_header() const;

  struct Connection;
  boost::asio::awaitable<Result<std::unique_ptr<Connection>>> connect();
  // One exchange on `c`; `sent` tells whether any byte of a response arrived.
  boost::asio::awaitable<Result<ApiResponse>> exchange(Connection& c, const std::string& method,
                                                       const std::string& target,
                                                       const std::string& body,
                                                       const std::string& content_type,
                                                       bool& answered, bool& keep_alive);

  boost::asio::any_io_executor executor_;
  KubeConfig config_;
  ApiTimeouts timeouts_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::vector<std::unique_ptr<Connection>> idle_;  // keep-alive connections, newest last
  std::string file_token_;
  bool token_stale_ = true;
  std::int64_t token_mtime_ns_ = -1;
};

}  // namespace gatehouse::source::kube
