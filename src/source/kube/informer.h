// One informer: lists one resource (in one namespace, or all), then watches it from the list's
// resourceVersion, feeding every object into an ObjectCache. It resumes a broken watch from the
// last resourceVersion it saw (events and bookmarks), lists again only when the server says that
// version is too old (410 Gone, or an ERROR event with code 410), and waits between failures with
// exponential backoff and jitter, or for as long as a 429/5xx's Retry-After asks. It never spins:
// every path back to the server after a failure goes through a wait.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "model/object_changes.h"
#include "source/kube/api_client.h"
#include "source/kube/object_cache.h"

namespace gatehouse::source::kube {

struct Resource {
  model::Kind kind;
  std::string api_prefix;  // "/api/v1" or "/apis/GROUP/VERSION"
  std::string plural;      // "services"
  bool namespaced = true;
  std::string selector;    // extra query parameters ("labelSelector=..."), already encoded
};

// What gatehouse watches: Ingresses, IngressClasses, Services, the EndpointSlices that belong to
// a Service (label kubernetes.io/service-name) and TLS Secrets (type kubernetes.io/tls).
const std::vector<Resource>& watched_resources();

struct InformerOptions {
  std::chrono::milliseconds backoff_initial{800};  // client-go's reflector: 800 ms doubling
  std::chrono::milliseconds backoff_max{30'000};   // up to 30 s, each with up to 100% jitter
  std::chrono::seconds retry_after_max{300};
  int page_limit = 500;
  // A watch asks the server to end it after a random 5-10 minutes (as client-go does), so
  // watches of many replicas do not all restart together.
  std::chrono::seconds watch_timeout_min{300};
};

class Informer {
 public:
  using Log = std::function<void(const std::string&)>;
  Informer(ApiClient& client, Resource resource, std::string scope, ObjectCache& cache,
           std::function<void()> on_change, Log log, InformerOptions options = {});

  // Runs until the executor stops.
  boost::asio::awaitable<void> run();

  bool synced() const { return synced_; }
  std::string describe() const;  // "services in all namespaces"

 private:
  enum class Outcome { kOk, kRelist, kRetry };
  boost::asio::awaitable<Outcome> list();
  boost::asio::awaitable<Outcome> watch();
  std::string collection_path() const;
  // Handles a response that is not the expected success: logs it and sets the next wait.
  Outcome failed(const std::string& what, const ApiResponse& response);
  Outcome failed(const std::string& what, const std::string& error);
  std::chrono::milliseconds next_backoff();
  std::chrono::milliseconds quick_retry();  // 0-100 ms: the first retry after a working watch

  ApiClient& client_;
  Resource resource_;
  std::string namespace_;
  ObjectCache& cache_;
  std::function<void()> on_change_;
  Log log_;
  InformerOptions options_;
  std::string version_;  // the last resourceVersion seen; "" before the first list
  bool synced_ = false;
  int failures_ = 0;     // in a row, since a watch last worked
  int expirations_ = 0;  // 410s in a row, since a watch last worked
  std::chrono::milliseconds wait_{0};  // before the next request
  std::minstd_rand random_;
};

}  // namespace gatehouse::source::kube
