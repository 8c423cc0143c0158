#include "status/status_writer.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace gatehouse::status {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string rfc3339_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

bool is_ip(const std::string& address) {
  boost::system::error_code ec;
  asio::ip::make_address(address, ec);
  return !ec;
}

}  // namespace

StatusWriter::StatusWriter(asio::any_io_executor executor, source::kube::ApiClient& client,
                           PublishOptions options, Log log)
    : client_(client), options_(std::move(options)), log_(std::move(log)), wake_(executor) {
  addresses_ = options_.addresses;
}

void StatusWriter::update(const model::Objects& objects, const Owns& owns,
                          const model::Diagnostics& rejections) {
  if (!options_.service_name.empty()) {
    addresses_.clear();
    for (const auto& s : objects.services)
      if (s.meta.namespace_ == options_.service_namespace && s.meta.name == options_.service_name)
        addresses_ = s.status_addresses;
  }
  ingresses_.clear();
  ingresses_.reserve(objects.ingresses.size());
  for (const auto& i : objects.ingresses)
    ingresses_.push_back({i.meta.namespace_, i.meta.name, owns(i.meta.namespace_, i.meta.name),
                          i.status_addresses});
  rejected_.clear();
  for (const auto& d : rejections) rejected_.emplace(d.namespace_ + "/" + d.name + ": " + d.message, d);
  dirty_ = true;
  wake_.cancel();
}

void StatusWriter::set_leading(bool leading) {
  leading_ = leading;
  if (leading) written_.clear();  // a new term checks every Ingress again
  dirty_ = true;
  wake_.cancel();
}

asio::awaitable<void> StatusWriter::run() {
  for (;;) {
    if (std::chrono::steady_clock::now() < retry_at_) {
      // A write failed (RBAC, a deleted Ingress, the API server away): not again before
      // retry_at_, however often update() wakes us meanwhile.
      wake_.expires_at(retry_at_);
      co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (!dirty_ || !leading_) {
      wake_.expires_after(std::chrono::seconds(30));  // cancelled by update / set_leading
      co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    dirty_ = false;
    const bool failed = !(co_await write_all());
    retry_ = failed ? std::min<std::chrono::milliseconds>(
                          retry_.count() ? retry_ * 2 : std::chrono::milliseconds(500),
                          std::chrono::seconds(60))
                    : std::chrono::milliseconds(0);
    retry_at_ = std::chrono::steady_clock::now() + retry_;
    if (failed) dirty_ = true;
  }
}

asio::awaitable<bool> StatusWriter::write_all() {
  const std::vector<IngressView> ingresses = ingresses_;  // update() may run while we write
  const std::vector<std::string> ours = addresses_;
  bool all_written = true;
  for (const IngressView& i : ingresses) {
    if (!leading_) co_return all_written;
    const std::string key = i.namespace_ + "/" + i.name;
    // Ours: our addresses. Not ours but showing exactly our addresses: it left our class.
    std::vector<std::string> want = i.current;
    if (i.ours) want = ours;
    else if (!ours.empty() && i.current == ours) want.clear();
    if (want == i.current) {
      written_.erase(key);
      continue;
    }
    auto w = written_.find(key);
    if (w != written_.end() && w->second == want) continue;  // written; the watch will show it
    json::array entries;
    for (const auto& a : want) entries.push_back(json::object{{is_ip(a) ? "ip" : "hostname", a}});
    // A merge patch of the status alone: a PUT of the status subresource would also replace
    // the Ingress's labels, annotations and finalizers with the body's.
    json::object patch{{"status", {{"loadBalancer", {{"ingress", entries}}}}}};
    auto r = co_await client_.request(
        "PATCH", "/apis/networking.k8s.io/v1/namespaces/" + i.namespace_ + "/ingresses/" + i.name +
                     "/status",
        json::serialize(patch), "application/merge-patch+json");
    if (r && r->status == 200) {
      written_[key] = want;
      log_("status: Ingress " + key + " " +
           (want.empty() ? std::string("cleared") : "published at " + want.front()));
    } else if (r && r->status == 404) {
      // Deleted meanwhile: its watch event will drop it from the next view.
    } else {
      log_("status: writing Ingress " + key + " failed: " +
           (r ? "HTTP " + std::to_string(r->status) +
                    (r->status == 403 ? " (RBAC: patch on ingresses/status is needed)" : "")
              : r.error().message));
      all_written = false;
    }
  }
  std::vector<model::Diagnostic> rejected;
  for (const auto& [key, d] : rejected_)
    if (!reported_.count(key)) rejected.push_back(d);
  for (const auto& d : rejected) {
    if (!leading_) break;
    if (!co_await post_event(d)) all_written = false;
  }
  co_return all_written;
}

asio::awaitable<bool> StatusWriter::post_event(const model::Diagnostic& d) {
  const std::string now = rfc3339_now();
  json::object event{
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"generateName", d.name + "."}, {"namespace", d.namespace_}}},
      {"involvedObject",
       {{"apiVersion", "networking.k8s.io/v1"}, {"kind", "Ingress"}, {"name", d.name},
        {"namespace", d.namespace_}}},
      {"reason", "Rejected"},
      {"message", d.field.empty() ? d.message : d.field + ": " + d.message},
      {"type", "Warning"},
      {"source", {{"component", "gatehouse"}}},
      {"reportingComponent", "gatehouse.dev/ingress-controller"},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"count", 1}};
  auto r = co_await client_.request("POST", "/api/v1/namespaces/" + d.namespace_ + "/events",
                                    json::serialize(event));
  const std::string key = d.namespace_ + "/" + d.name + ": " + d.message;
  if (r && r->status == 201) {
    reported_.insert(key);
    co_return true;
  }
  log_("status: recording an Event for Ingress " + d.namespace_ + "/" + d.name + " failed" +
       (r ? ": HTTP " + std::to_string(r->status) : ": " + r.error().message));
  co_return false;
}

}  // namespace gatehouse::status
