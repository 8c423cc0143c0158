// Leader election on a coordination.k8s.io/v1 Lease, with client-go's timing: every replica
// tries every retry period; the holder renews its lease, and another replica takes it over only
// when it has seen the same record unchanged for a whole lease duration (measured on its own
// clock, so clock skew between nodes does not matter). Every write carries the resourceVersion
// it read, so two replicas racing for the lease cannot both win (409 Conflict for one).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "source/kube/api_client.h"

namespace gatehouse::status {

struct ElectionOptions {
  std::string namespace_;
  std::string name = "gatehouse-leader";
  std::string identity;  // unique per replica: the Pod name
  std::chrono::seconds lease_duration{15};
  std::chrono::seconds renew_deadline{10};  // a leader that cannot renew for this long steps down
  std::chrono::seconds retry_period{2};
};

class LeaseElector {
 public:
  using Log = std::function<void(const std::string&)>;
  LeaseElector(source::kube::ApiClient& client, ElectionOptions options,
               std::function<void(bool leading)> on_change, Log log);

  boost::asio::awaitable<void> run();  // until the executor stops
  // Gives the lease up (when leading), so that another replica takes over at once. Stops
  // trying to lead either way; released() is true once done.
  boost::asio::awaitable<void> release();
  bool released() const { return released_; }

 private:
  boost::asio::awaitable<void> try_acquire_or_renew();
  boost::asio::awaitable<void> watchdog();
  void set_leading(bool leading);
  std::string lease_path() const;

  source::kube::ApiClient& client_;
  ElectionOptions options_;
  std::function<void(bool)> on_change_;
  Log log_;
  bool leading_ = false;
  bool stopping_ = false;  // release() was called
  bool released_ = false;  // and is done
  std::chrono::steady_clock::time_point last_renewed_{};
  // The last lease record seen, and when (on our clock) it was first seen that way.
  std::string observed_record_;
  std::chrono::steady_clock::time_point observed_at_{};
};

}  // namespace gatehouse::status
