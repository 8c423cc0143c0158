#include "status/lease_elector.h"

#include "source/kube/json_fields.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>

namespace gatehouse::status {

namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

// A Kubernetes MicroTime: RFC 3339 in UTC with microseconds.
std::string micro_time_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1'000'000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<long long>(micros));
  return text;
}


}  // namespace

LeaseElector::LeaseElector(source::kube::ApiClient& client, ElectionOptions options,
                           std::function<void(bool)> on_change, Log log)
    : client_(client),
      options_(std::move(options)),
      on_change_(std::move(on_change)),
      log_(std::move(log)) {}

std::string LeaseElector::lease_path() const {
  return "/apis/coordination.k8s.io/v1/namespaces/" + options_.namespace_ + "/leases";
}

void LeaseElector::set_leading(bool leading) {
  if (leading == leading_) return;
  leading_ = leading;
  log_(leading ? "leader election: " + options_.identity + " now holds Lease " +
                     options_.namespace_ + "/" + options_.name
               : "leader election: " + options_.identity + " no longer leads");
  on_change_(leading);
}

asio::awaitable<void> LeaseElector::watchdog() {
  // A renewal can hang (a dead connection, a slow API server) far longer than the lease lasts:
  // step down on time, whatever is in flight, so two replicas never both believe they lead.
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stopping_) {
    if (leading_ && Clock::now() - last_renewed_ > options_.renew_deadline) {
      log_("leader election: no renewal for " +
           std::to_string(options_.renew_deadline.count()) + " s");
      set_leading(false);
    }
    timer.expires_after(std::chrono::milliseconds(250));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> LeaseElector::run() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  asio::co_spawn(timer.get_executor(), watchdog(), asio::detached);
  std::minstd_rand random(std::random_device{}());
  while (!stopping_) {
    co_await try_acquire_or_renew();
    if (stopping_) co_return;
    // Candidates spread their tries (client-go's jitter); the leader renews on the period.
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(options_.retry_period);
    if (!leading_) wait += std::chrono::milliseconds(std::uniform_int_distribution<int>(
                         0, static_cast<int>(wait.count() * 12 / 10))(random));
    timer.expires_after(wait);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> LeaseElector::try_acquire_or_renew() {
  const std::string now = micro_time_now();
  auto got = co_await client_.request("GET", lease_path() + "/" + options_.name);
  if (!got) {
    log_("leader election: reading the Lease failed: " + got.error().message);
    co_return;
  }
  json::object spec{{"holderIdentity", options_.identity},
                    {"leaseDurationSeconds", options_.lease_duration.count()},
                    {"acquireTime", now},
                    {"renewTime", now},
                    {"leaseTransitions", 0}};
  if (stopping_) co_return;
  if (got->status == 404) {
    json::object lease{{"apiVersion", "coordination.k8s.io/v1"},
                       {"kind", "Lease"},
                       {"metadata", {{"name", options_.name}, {"namespace", options_.namespace_}}},
                       {"spec", spec}};
    auto created = co_await client_.request("POST", lease_path(), json::serialize(lease));
    if (stopping_) co_return;  // released meanwhile: never take it back
    if (created && created->status == 201) {
      last_renewed_ = Clock::now();
      set_leading(true);
    } else if (created && created->status != 409) {
      log_("leader election: creating the Lease answered " + std::to_string(created->status));
    }
    co_return;
  }
  if (got->status != 200) {
    log_("leader election: reading the Lease answered " + std::to_string(got->status) +
         (got->status == 403 ? " (RBAC: get, create and update on leases are needed)" : ""));
    co_return;
  }
  boost::system::error_code ec;
  json::value lease = json::parse(got->body, ec);
  if (ec || !lease.is_object()) {
    log_("leader election: the Lease is not a JSON object");
    co_return;
  }
  json::object& root = lease.get_object();
  json::value* old_spec_value = root.if_contains("spec");
  json::object old_spec = old_spec_value && old_spec_value->is_object() ? old_spec_value->get_object()
                                                                        : json::object();
  const std::string holder = source::kube::string_at(&old_spec, "holderIdentity");
  const std::string record = json::serialize(old_spec);
  if (record != observed_record_) {
    observed_record_ = record;
    observed_at_ = Clock::now();
  }
  std::chrono::seconds duration = options_.lease_duration;
  if (const json::value* d = old_spec.if_contains("leaseDurationSeconds"); d && d->is_int64())
    duration = std::chrono::seconds(std::clamp<std::int64_t>(d->as_int64(), 1, 3600));
  if (!holder.empty() && holder != options_.identity && Clock::now() < observed_at_ + duration) {
    set_leading(false);
    co_return;  // someone else holds a lease that is still alive
  }
  std::int64_t transitions = 0;
  if (const json::value* t = old_spec.if_contains("leaseTransitions"); t && t->is_int64())
    transitions = t->as_int64();
  if (holder == options_.identity) {
    spec["acquireTime"] = old_spec.contains("acquireTime") ? old_spec["acquireTime"] : json::value(now);
    spec["leaseTransitions"] = transitions;
  } else {
    spec["leaseTransitions"] = transitions + 1;
  }
  root["spec"] = spec;  // metadata (with its resourceVersion) stays: the write is conditional
  if (stopping_) co_return;  // released meanwhile: never take it back
  auto put = co_await client_.request("PUT", lease_path() + "/" + options_.name, json::serialize(root));
  if (stopping_) co_return;
  if (put && put->status == 200) {
    last_renewed_ = Clock::now();
    if (holder != options_.identity)
      log_("leader election: took Lease " + options_.namespace_ + "/" + options_.name +
           (holder.empty() ? std::string(" (released)") : " over from " + holder));
    set_leading(true);
  } else if (put && put->status == 409) {
    // Another replica wrote it first; the next round reads who.
  } else {
    log_("leader election: writing the Lease failed: " +
         (put ? "HTTP " + std::to_string(put->status) : put.error().message));
  }
}

asio::awaitable<void> LeaseElector::release() {
  stopping_ = true;  // run() renews no more: its write could race ours (409)
  struct Done {
    bool& released;
    ~Done() { released = true; }
  } done{released_};
  if (!leading_) co_return;
  // A renewal already in flight may still change the Lease's resourceVersion: on 409, read again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto got = co_await client_.request("GET", lease_path() + "/" + options_.name);
    if (!got || got->status != 200) break;
    boost::system::error_code ec;
    json::value lease = json::parse(got->body, ec);
    if (ec || !lease.is_object()) break;
    json::object& root = lease.get_object();
    json::value* spec = root.if_contains("spec");
    if (!spec || !spec->is_object() ||
        source::kube::string_at(spec->if_object(), "holderIdentity") != options_.identity)
      break;
    // As client-go's ReleaseOnCancel: an empty holder and a 1 s lease, so a candidate takes
    // over on its next try instead of waiting out the lease.
    spec->get_object()["holderIdentity"] = "";
    spec->get_object()["leaseDurationSeconds"] = 1;
    auto put =
        co_await client_.request("PUT", lease_path() + "/" + options_.name, json::serialize(root));
    if (put && put->status == 200) {
      log_("leader election: released the Lease");
      break;
    }
    if (!put || put->status != 409) {
      log_("leader election: releasing the Lease failed");
      break;
    }
  }
  set_leading(false);
}

}  // namespace gatehouse::status
