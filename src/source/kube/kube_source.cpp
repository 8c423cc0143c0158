#include "source/kube/kube_source.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace gatehouse::source::kube {

namespace asio = boost::asio;

KubeSource::KubeSource(asio::any_io_executor executor, ApiClient& client,
                       std::vector<std::string> namespaces, std::chrono::milliseconds settle,
                       std::function<void(KubeUpdate)> on_update, Log log,
                       InformerOptions options)
    : executor_(executor),
      client_(client),
      settle_(settle),
      on_update_(std::move(on_update)),
      log_(std::move(log)),
      timer_(executor) {
  if (namespaces.empty()) namespaces.push_back("");
  for (const Resource& resource : watched_resources()) {
    // Cluster-scoped kinds (IngressClass) are watched once, whatever the namespaces.
    const std::vector<std::string> scopes =
        resource.namespaced ? namespaces : std::vector<std::string>{""};
    for (const auto& ns : scopes)
      informers_.push_back(std::make_unique<Informer>(client_, resource, ns, cache_,
                                                      [this] { changed(); }, log_, options));
  }
}

KubeSource::~KubeSource() = default;

void KubeSource::start() {
  for (auto& informer : informers_) asio::co_spawn(executor_, informer->run(), asio::detached);
}

bool KubeSource::synced() const {
  for (const auto& informer : informers_)
    if (!informer->synced()) return false;
  return true;
}

void KubeSource::changed() {
  if (flush_pending_ || !synced()) return;
  flush_pending_ = true;
  timer_.expires_after(settle_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    flush_pending_ = false;
    if (!ec) flush();
  });
}

void KubeSource::flush() {
  KubeUpdate update;
  update.changes = cache_.take_changes();
  if (!published_) update.changes = model::ObjectChanges::everything();
  if (published_ && update.changes.keys.empty()) return;
  published_ = true;
  update.objects = cache_.objects();
  update.diagnostics = cache_.take_diagnostics();
  update.refused = cache_.refused_ingresses();
  on_update_(std::move(update));
}

}  // namespace gatehouse::source::kube
