// What the leader writes back: status.loadBalancer.ingress on every Ingress this controller
// owns — the addresses of --publish-service's load balancer, or --publish-address — cleared
// again on an Ingress that left our class (one still showing exactly our addresses), and a
// Warning Event on each Ingress that was rejected. Only the leader writes; the others only keep
// the latest view, so that a new leader can write at once.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/diagnostic.h"
#include "model/objects.h"
#include "source/kube/api_client.h"

namespace gatehouse::status {

struct PublishOptions {
  std::string service_namespace;  // --publish-service NAMESPACE/NAME: its load balancer's addresses
  std::string service_name;
  std::vector<std::string> addresses;  // or --publish-address (repeatable)
};

class StatusWriter {
 public:
  using Log = std::function<void(const std::string&)>;
  using Owns = std::function<bool(const std::string& namespace_, const std::string& name)>;
  StatusWriter(boost::asio::any_io_executor executor, source::kube::ApiClient& client,
               PublishOptions options, Log log);

  // After each compile: the Ingresses, which of them are ours, and every error about an Ingress
  // of ours as things stand (each becomes one Event).
  void update(const model::Objects& objects, const Owns& owns, const model::Diagnostics& rejections);
  void set_leading(bool leading);

  boost::asio::awaitable<void> run();  // writes while leading, until the executor stops

 private:
  struct IngressView {
    std::string namespace_, name;
    bool ours = false;
    std::vector<std::string> current;  // its status addresses now
  };
  // Both say whether everything was written.
  boost::asio::awaitable<bool> write_all();
  boost::asio::awaitable<bool> post_event(const model::Diagnostic& d);

  source::kube::ApiClient& client_;
  PublishOptions options_;
  Log log_;
  boost::asio::steady_timer wake_;
  bool leading_ = false;
  bool dirty_ = false;
  std::vector<IngressView> ingresses_;
  std::vector<std::string> addresses_;  // what ours should show
  std::map<std::string, std::vector<std::string>> written_;  // "ns/name" -> what we last wrote
  // Errors of our Ingresses by "ns/name: message" (replaced on each update), and those already
  // recorded as Events.
  std::map<std::string, model::Diagnostic> rejected_;
  std::set<std::string> reported_;
  std::chrono::milliseconds retry_{0};  // after a failed write: wait this long (doubling)
  std::chrono::steady_clock::time_point retry_at_{};  // no write before this
};

}  // namespace gatehouse::status
