#include "source/kube/informer.h"

#include "source/kube/json_fields.h"
#include "source/kube/watch_protocol.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <algorithm>
#include <cctype>
#include <cstdio>

namespace gatehouse::source::kube {

namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string percent_encode(std::string_view value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string seconds_text(std::chrono::milliseconds d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(d.count()) / 1000.0);
  return text;
}

}  // namespace

const std::vector<Resource>& watched_resources() {
  static const std::vector<Resource> resources = {
      {model::Kind::kIngressClass, "/apis/networking.k8s.io/v1", "ingressclasses", false, ""},
      {model::Kind::kIngress, "/apis/networking.k8s.io/v1", "ingresses", true, ""},
      {model::Kind::kService, "/api/v1", "services", true, ""},
      {model::Kind::kEndpointSlice, "/apis/discovery.k8s.io/v1", "endpointslices", true,
       "labelSelector=" + percent_encode("kubernetes.io/service-name")},
      {model::Kind::kSecret, "/api/v1", "secrets", true,
       "fieldSelector=" + percent_encode("type=kubernetes.io/tls")},
  };
  return resources;
}

Informer::Informer(ApiClient& client, Resource resource, std::string scope,
                   ObjectCache& cache, std::function<void()> on_change, Log log,
                   InformerOptions options)
    : client_(client),
      resource_(std::move(resource)),
      namespace_(std::move(scope)),
      cache_(cache),
      on_change_(std::move(on_change)),
      log_(std::move(log)),
      options_(options),
      random_(std::random_device{}()) {}

std::string Informer::describe() const {
  return resource_.plural + (namespace_.empty() ? (resource_.namespaced ? " in all namespaces" : "")
                                                : " in namespace " + namespace_);
}

std::string Informer::collection_path() const {
  std::string path = resource_.api_prefix;
  if (resource_.namespaced && !namespace_.empty()) path += "/namespaces/" + namespace_;
  return path + "/" + resource_.plural;
}

std::chrono::milliseconds Informer::next_backoff() {
  auto base = options_.backoff_initial;
  for (int i = 0; i < failures_ && base < options_.backoff_max; ++i) base *= 2;
  base = std::min(base, options_.backoff_max);
  ++failures_;
  std::uniform_int_distribution<std::int64_t> jitter(0, base.count());
  return base + std::chrono::milliseconds(jitter(random_));
}

Informer::Outcome Informer::failed(const std::string& what, const std::string& error) {
  wait_ = next_backoff();
  log_(what + " " + describe() + ": " + error + "; retrying in " + seconds_text(wait_));
  return Outcome::kRetry;
}

Informer::Outcome Informer::failed(const std::string& what, const ApiResponse& response) {
  const unsigned s = response.status;
  if (s == 401) client_.reload_token();  // a rotated token file is read again
  if ((s == 429 || s >= 500) && response.retry_after) {
    // Retry-After: 0 (some proxies send it) must not mean a busy loop.
    wait_ = std::clamp<std::chrono::milliseconds>(*response.retry_after, options_.backoff_initial,
                                                  options_.retry_after_max);
    ++failures_;
  } else {
    wait_ = next_backoff();
  }
  std::string hint;
  if (s == 401) hint = " (the token is not accepted; it is read again before the next try)";
  if (s == 403) hint = " (RBAC: the service account needs list and watch on " + resource_.plural + ")";
  log_(what + " " + describe() + ": HTTP " + std::to_string(s) + ": " + status_message(response.body) +
       hint + "; retrying in " + seconds_text(wait_));
  return Outcome::kRetry;
}

asio::awaitable<void> Informer::run() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  bool relist = true;
  for (;;) {
    if (wait_.count() > 0) {
      timer.expires_after(wait_);
      co_await timer.async_wait(kTuple);
      wait_ = {};
    }
    Outcome outcome = Outcome::kOk;
    try {
      if (relist) {
        outcome = co_await list();
        if (outcome == Outcome::kOk) relist = false;
      } else {
        outcome = co_await watch();
      }
    } catch (const std::exception& e) {
      // Only allocation failures and the like get here: a detached coroutine would end
      // silently, and this resource would never be followed again.
      outcome = failed(relist ? "list" : "watch", std::string("unexpected failure: ") + e.what());
    }
    if (outcome == Outcome::kRelist) relist = true;
  }
}

asio::awaitable<Informer::Outcome> Informer::list() {
  std::string next;  // the continue token of the next page
  std::string version;
  std::vector<std::string> listed;
  const auto started = Clock::now();
  int pages = 0;
  for (;;) {
    ++pages;
    std::string target = collection_path() + "?limit=" + std::to_string(options_.page_limit);
    if (!next.empty()) target += "&continue=" + percent_encode(next);
    if (!resource_.selector.empty()) target += "&" + resource_.selector;
    auto response = co_await client_.request("GET", target);
    if (!response) co_return failed("list", response.error().message);
    if (response->status == 410 && !next.empty()) {
      // The snapshot behind the continue token is gone: start the list again.
      log_("list " + describe() + ": the list expired between two pages; listing again");
      wait_ = next_backoff();
      co_return Outcome::kRelist;
    }
    if (response->status != 200) co_return failed("list", *response);
    ListPage page = apply_list_page(response->body, resource_.kind, cache_, listed);
    if (!page.problem.empty()) co_return failed("list", page.problem);
    version = std::move(page.version);
    next = std::move(page.next);
    if (next.empty()) break;
  }
  cache_.keep_only(resource_.kind, resource_.namespaced ? namespace_ : "", listed);
  log_("listed " + std::to_string(listed.size()) + " " + describe() + " (" +
       std::to_string(pages) + (pages == 1 ? " page" : " pages") + ") in " +
       std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started)
                          .count()) +
       " ms at resourceVersion " + version);
  version_ = version;
  synced_ = true;  // failures_ is reset by a watch that works, not by a list
  on_change_();
  co_return Outcome::kOk;
}

asio::awaitable<Informer::Outcome> Informer::watch() {
  const auto timeout =
      options_.watch_timeout_min.count() +
      std::uniform_int_distribution<std::int64_t>(0, options_.watch_timeout_min.count())(random_);
  std::string target = collection_path() + "?watch=1&allowWatchBookmarks=true&resourceVersion=" +
                       percent_encode(version_) + "&timeoutSeconds=" + std::to_string(timeout);
  if (!resource_.selector.empty()) target += "&" + resource_.selector;
  const auto started = Clock::now();
  std::size_t events = 0;
  Outcome outcome = Outcome::kOk;
  std::string problem;
  auto on_line = [&](std::string_view line) {
    WatchEvent event = apply_watch_event(line, resource_.kind, resource_.namespaced, cache_);
    switch (event.type) {
      case WatchEvent::Type::kApplied:
      case WatchEvent::Type::kBookmark:
        ++events;
        if (!event.version.empty()) version_ = std::move(event.version);
        if (cache_.has_changes()) on_change_();
        return true;
      case WatchEvent::Type::kExpired:
        outcome = Outcome::kRelist;
        return false;
      case WatchEvent::Type::kFailed:
        problem = std::move(event.problem);
        return false;
    }
    return false;
  };
  auto response = co_await client_.watch(target, on_line);
  // A watch that worked (delivered an event or a bookmark, or lasted) before it broke (an API
  // server restart, a load balancer's idle timeout) is resumed almost at once: backoff is for
  // failures that repeat.
  const bool healthy = events > 0 || Clock::now() - started >= std::chrono::seconds(10);
  if (healthy) failures_ = expirations_ = 0;
  if (!response) {
    if (failures_ > 0) co_return failed("watch", response.error().message);
    ++failures_;  // if the resumed watch breaks too before any event, back off
    wait_ = quick_retry();
    log_("watch " + describe() + ": " + response.error().message + "; resuming from " +
         "resourceVersion " + version_);
    co_return Outcome::kRetry;
  }
  if (response->status == 410) outcome = Outcome::kRelist;
  else if (response->status != 200) co_return failed("watch", *response);
  if (!problem.empty()) co_return failed("watch", problem);
  if (outcome == Outcome::kRelist) {
    log_("watch " + describe() + ": resourceVersion " + version_ + " is too old; listing again");
    // Relisting at once is what the server asks for (after a restart that compacted, every
    // resumed watch hears it); if it asks again before a new watch worked, back off.
    wait_ = expirations_++ == 0 ? quick_retry() : next_backoff();
    co_return outcome;
  }
  // A watch the server ends at once and again (a proxy in between, say) must not spin.
  if (!healthy) wait_ = next_backoff();
  co_return Outcome::kOk;
}

std::chrono::milliseconds Informer::quick_retry() {
  return std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 100)(random_));
}

}  // namespace gatehouse::source::kube
