// Objects from a Kubernetes API server: one Informer per watched resource (and per namespace with
// --watch-namespace), all feeding one ObjectCache. Nothing is handed on before every informer has
// finished its first list (a half-synced store would serve a partial table); after that, bursts of
// events are coalesced for `settle` and handed on with the keys they changed.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/diagnostic.h"
#include "model/object_changes.h"
#include "model/objects.h"
#include "source/kube/api_client.h"
#include "source/kube/informer.h"
#include "source/kube/object_cache.h"

namespace gatehouse::source::kube {

struct KubeUpdate {
  std::shared_ptr<const model::Objects> objects;
  model::ObjectChanges changes;     // `all` for the first update after the first sync
  model::Diagnostics diagnostics;   // objects refused since the last update
  std::map<std::string, ObjectCache::Refused> refused;  // every Ingress refused now
};

class KubeSource {
 public:
  using Log = std::function<void(const std::string&)>;
  // `namespaces` empty: every namespace. `on_update` runs on `executor`.
  KubeSource(boost::asio::any_io_executor executor, ApiClient& client,
             std::vector<std::string> namespaces, std::chrono::milliseconds settle,
             std::function<void(KubeUpdate)> on_update, Log log, InformerOptions options = {});
  ~KubeSource();

  void start();  // spawns the informers on the executor
  bool synced() const;  // every informer has listed once

 private:
  void changed();
  void flush();

  boost::asio::any_io_executor executor_;
  ApiClient& client_;
  std::chrono::milliseconds settle_;
  std::function<void(KubeUpdate)> on_update_;
  Log log_;
  ObjectCache cache_;
  std::vector<std::unique_ptr<Informer>> informers_;
  boost::asio::steady_timer timer_;
  bool flush_pending_ = false;
  bool published_ = false;
};

}  // namespace gatehouse::source::kube
