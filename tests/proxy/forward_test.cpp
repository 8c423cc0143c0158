// forward()'s logic in-process, between a fake client (FakeDownstream) and fake pods
// (FakeUpstream): which endpoint is tried, when a request is sent again, which status the client
// gets for which failure, what reaches the pod and what reaches the client. No sockets: each test
// runs the worker's event loop in the test thread until the exchange ends.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <string>
#include <vector>

#include "proxy/exchange/adapters.h"
#include "proxy/exchange/forward.h"
#include "proxy/forward_headers.h"
#include "proxy/worker.h"

// Answers are written with designated initializers, naming only what a test is about.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace gatehouse::proxy {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string flatten(const Pieces& pieces) {
  std::string out;
  for (const auto& p : pieces) out.append(static_cast<const char*>(p.data()), p.size());
  return out;
}

// The client: a request with a scripted body; records what forward() answers.
class FakeDownstream final : public Downstream {
 public:
  explicit FakeDownstream(Worker& worker)
      : worker_(worker), event_(worker.io(), Clock::time_point::max()) {
    request_.method = "GET";
    request_.method_id = http1::Method::kGet;
    request_.authority = "foo.org";
    request_.routing_host = "foo.org";
    request_.raw_path = request_.path = "/a";
  }

  // Makes the request a POST with a body: of `length` bytes, or a stream when it is -1.
  void post(long length = -1) {
    request_.method = "POST";
    request_.method_id = http1::Method::kPost;
    request_.framing = length < 0 ? Framing::kStream : Framing::kLength;
    request_.content_length = length < 0 ? 0 : static_cast<std::uint64_t>(length);
  }

  // ---- the script
  std::deque<std::string> body;  // request body pieces, in order; the last ends the body
  bool body_malformed = false;   // read_body says kError once the pieces ran out
  bool body_stalls = false;      // read_body waits once the pieces ran out, until stop_body()
  std::string buffered;          // body bytes that came with the head: all of the body
  bool duplex = false;

  // ---- what the client saw
  int replied = 0;
  std::string reply_detail;
  bool reply_closes = false;
  int status = 0;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string response_body;
  bool response_ended = false;
  std::vector<std::pair<std::string, std::string>> trailers;
  bool aborted = false;
  std::uint32_t abort_code = 0;
  int continues = 0;
  std::vector<Stage> stages;

  Worker& worker() override { return worker_; }
  RequestHead& request() override { return request_; }
  std::string& path_storage() override { return path_; }
  std::string& scratch() override { return scratch_; }
  Forwarding forwarding() const override {
    Forwarding f;
    f.client_ip = "192.0.2.7";
    f.host = request_.authority;
    f.port = 80;
    return f;
  }
  void set_deadline(Stage stage, std::chrono::milliseconds) override { stages.push_back(stage); }
  bool timed_out() const override { return timed_out_; }
  void clear_timeout() override { timed_out_ = false; }
  bool gone() const override { return gone_; }
  void watch(Upstream* upstream) override { watched = upstream; }
  asio::steady_timer& event() override { return event_; }
  std::shared_ptr<void> event_owner() override { return nullptr; }
  bool full_duplex() const override { return duplex; }
  Pieces& response_pieces() override { return response_pieces_; }
  void buffered_body(Pieces& out, bool& last) override {
    out.clear();
    last = request_.framing == Framing::kNone || !buffered.empty();
    if (!buffered.empty()) out.emplace_back(buffered.data(), buffered.size());
  }
  asio::awaitable<BodyStatus> read_body(Pieces& out) override {
    out.clear();
    while (body.empty() && body_stalls && !stopped_) {
      auto [ec] = co_await event_.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)ec;
    }
    if (stopped_) co_return BodyStatus::kGone;
    if (body.empty()) co_return body_malformed ? BodyStatus::kError : BodyStatus::kEnd;
    current_ = body.front();
    body.pop_front();
    out.emplace_back(current_.data(), current_.size());
    co_return body.empty() && !body_malformed && !body_stalls ? BodyStatus::kEnd : BodyStatus::kMore;
  }
  void stop_body() override {
    stopped_ = true;
    event_.cancel();
  }
  bool stopped_ = false;
  asio::awaitable<bool> send_continue() override {
    ++continues;
    co_return true;
  }
  asio::awaitable<bool> send_head(const ResponseHead& head, const Pieces& first, bool last,
                                  std::span<const Field> t) override {
    status = head.status;
    for (const Field& f : head.fields) fields.emplace_back(f.name, f.value);
    response_body += flatten(first);
    if (last) end(t);
    co_return true;
  }
  asio::awaitable<bool> send_body(const Pieces& pieces, bool last,
                                  std::span<const Field> t) override {
    response_body += flatten(pieces);
    if (last) end(t);
    co_return true;
  }
  void abort_response(std::uint32_t code) override {
    aborted = true;
    abort_code = code;
  }
  asio::awaitable<void> reply(int s, std::string_view detail, std::string_view,
                              bool close) override {
    replied = s;
    reply_detail = detail;
    reply_closes = close;
    co_return;
  }
  asio::awaitable<void> tunnel(UpstreamConnection&, std::size_t, std::size_t) override {
    co_return;
  }

  Upstream* watched = nullptr;
  bool timed_out_ = false;
  bool gone_ = false;

 private:
  void end(std::span<const Field> t) {
    response_ended = true;
    for (const Field& f : t) trailers.emplace_back(f.name, f.value);
  }
  Worker& worker_;
  asio::steady_timer event_;
  RequestHead request_;
  std::string path_, scratch_, current_;
  Pieces response_pieces_;
};

// A pod per endpoint address, scripted: whether it accepts, what it answers.
class FakeUpstream final : public Upstream {
 public:
  struct Answer {
    ForwardError send_error;  // send_head's result
    ForwardError head_error;  // read_head's result
    int status = 200;
    std::vector<std::string> body;  // pieces; the response has Content-Length when `length`
    bool length = true;
    bool breaks = false;  // the body ends in an error after the pieces
    std::vector<std::pair<std::string, std::string>> trailers;
  };
  std::vector<ForwardError> opens;  // open()'s results, in order (then: success)
  bool pooled = false;              // reuse() finds an idle connection
  std::deque<Answer> answers;       // one per request sent (then: 200, empty body)
  bool duplex = false;

  // ---- what the pods saw
  std::vector<tcp::endpoint> opened;
  int heads_sent = 0;
  std::string last_head_path;
  std::string prior_forwarded_for;
  std::string received_body;
  bool body_ended = false;
  int finished = 0;
  bool finished_clean = false;
  int cuts = 0;

  bool reuse(const tcp::endpoint& pod) override {
    if (!pooled) return false;
    pooled = false;
    reused_ = true;
    opened.push_back(pod);
    return true;
  }
  asio::awaitable<ForwardError> open(const tcp::endpoint& pod) override {
    opened.push_back(pod);
    reused_ = false;
    if (opens.empty()) co_return ForwardError{};
    const ForwardError e = opens.front();
    opens.erase(opens.begin());
    co_return e;
  }
  bool reused() const override { return reused_; }
  asio::awaitable<ForwardError> send_head(const RequestHead& head, const Forwarding& forwarding,
                                          const Pieces& first, bool last) override {
    ++heads_sent;
    last_head_path = head.path;
    prior_forwarded_for = forwarding.prior_forwarded_for;
    received_body += flatten(first);
    body_ended = last;
    current_ = answers.empty() ? Answer{} : answers.front();
    if (!answers.empty()) answers.pop_front();
    co_return current_.send_error;
  }
  asio::awaitable<bool> send_body(const Pieces& pieces, bool last) override {
    received_body += flatten(pieces);
    body_ended = last;
    co_return true;
  }
  asio::awaitable<ForwardError> read_head(ResponseHead& out) override {
    if (current_.head_error) co_return current_.head_error;
    fields_.clear();
    out = ResponseHead{};
    out.status = current_.status;
    out.fields = fields_;
    std::uint64_t total = 0;
    for (const auto& b : current_.body) total += b.size();
    out.framing = current_.length ? Framing::kLength : Framing::kStream;
    out.content_length = total;
    next_ = 0;
    co_return ForwardError{};
  }
  BodyStatus buffered_body(Pieces& out) override {
    out.clear();
    return current_.body.empty() && !current_.breaks ? end_body() : BodyStatus::kMore;
  }
  asio::awaitable<BodyStatus> read_body(Pieces& out) override {
    out.clear();
    if (next_ < current_.body.size()) {
      const std::string& b = current_.body[next_++];
      out.emplace_back(b.data(), b.size());
      if (next_ < current_.body.size() || current_.breaks) co_return BodyStatus::kMore;
      co_return end_body();
    }
    co_return current_.breaks ? BodyStatus::kError : end_body();
  }
  std::uint32_t reset_code() const override { return current_.breaks ? 2 : 0; }
  std::span<const Field> trailers() const override { return trailer_fields_; }
  bool full_duplex() const override { return duplex; }
  void cut() override { ++cuts; }
  void finish(bool clean) override {
    ++finished;
    finished_clean = clean;
  }
  UpstreamConnection* tunnel_connection(std::size_t&, std::size_t&) override { return nullptr; }

 private:
  BodyStatus end_body() {
    trailer_fields_.clear();
    for (const auto& [n, v] : current_.trailers)
      trailer_fields_.push_back(Field{n, v, http1::HeaderToken::kUnknown});
    return BodyStatus::kEnd;
  }
  bool reused_ = false;
  Answer current_;
  std::size_t next_ = 0;
  std::vector<Field> fields_;
  std::vector<Field> trailer_fields_;
};

// One cluster of `n` endpoints 10.0.0.1..n:8080, as a worker's generation lists it.
struct Cluster {
  explicit Cluster(int n) : states(static_cast<std::size_t>(n)) {
    for (int i = 0; i < n; ++i) {
      generation.endpoints.emplace_back(
          asio::ip::make_address_v4("10.0.0." + std::to_string(i + 1)), 8080);
      generation.states.push_back(&states[static_cast<std::size_t>(i)]);
    }
    generation.first = {0, static_cast<std::uint32_t>(n)};
    generation.cursors = {0};
  }
  std::vector<EndpointState> states;
  Generation generation;
};

ProxyOptions options() {
  ProxyOptions o;
  o.connect_attempts = 2;  // three endpoints at most
  o.failures_to_bench = 100;
  return o;
}

void run(Worker& worker, asio::awaitable<void> exchange) {
  bool done = false;
  asio::co_spawn(worker.io(), std::move(exchange), [&](std::exception_ptr) { done = true; });
  worker.io().run_for(std::chrono::seconds(5));
  worker.io().restart();
  ASSERT_TRUE(done) << "the exchange did not end";
}

TEST(Forward, ARefusedEndpointIsMarkedAndTheNextOneServes) {
  Worker worker(0, options());
  Cluster cluster(3);
  FakeDownstream down(worker);
  FakeUpstream up;
  up.opens = {ForwardError::pod(ForwardError::What::kConnect, "refused")};
  up.answers.push_back({.body = {"hello"}});
  ExchangeRecord record;
  run(worker, relay(down, up, cluster.generation, 0, record));
  ASSERT_EQ(up.opened.size(), 2u);
  EXPECT_NE(up.opened[0], up.opened[1]);
  EXPECT_EQ(down.status, 200);
  EXPECT_EQ(down.response_body, "hello");
  EXPECT_TRUE(down.response_ended);
  EXPECT_EQ(record.status, 200);
  std::uint32_t failures = 0;
  for (const auto& s : cluster.states) failures += s.consecutive_failures;
  EXPECT_EQ(failures, 1u) << "the refused endpoint is marked, the one that answered is not";
  EXPECT_EQ(up.finished, 1);
  EXPECT_TRUE(up.finished_clean);
  for (const auto& s : cluster.states) EXPECT_EQ(s.active, 0u);
}

TEST(Forward, NoEndpointReachableIs502AndEveryOneIsMarked) {
  Worker worker(0, options());
  Cluster cluster(3);
  FakeDownstream down(worker);
  FakeUpstream up;
  up.opens.assign(3, ForwardError::pod(ForwardError::What::kConnect,
                                       "could not connect to any endpoint"));
  ExchangeRecord record;
  run(worker, relay(down, up, cluster.generation, 0, record));
  EXPECT_EQ(up.opened.size(), 3u);
  EXPECT_EQ(down.replied, 502);
  EXPECT_TRUE(down.reply_closes);
  EXPECT_EQ(up.heads_sent, 0);
  for (const auto& s : cluster.states) EXPECT_EQ(s.consecutive_failures, 1u);
  EXPECT_EQ(record.error.what, ForwardError::What::kConnect);
}

TEST(Forward, AConnectThatRanOutOfTimeIs504) {
  Worker worker(0, options());
  Cluster cluster(1);
  FakeDownstream down(worker);
  FakeUpstream up;
  up.opens = {ForwardError::pod(ForwardError::What::kConnect, "cut")};
  down.timed_out_ = true;  // the deadline cut the connect
  ExchangeRecord record;
  run(worker, relay(down, up, cluster.generation, 0, record));
  EXPECT_EQ(down.replied, 504);
  EXPECT_EQ(down.reply_detail, "connecting to the pod timed out");
  EXPECT_FALSE(down.timed_out_) << "the timeout was taken";
}

TEST(Forward, AStalePooledConnectionIsRetriedOnceOnANewOneForAGet) {
  Worker worker(0, options());
  Cluster cluster(1);
  FakeDownstream down(worker);
  FakeUpstream up;
  up.pooled = true;
  up.answers.push_back({.head_error = ForwardError::pod(ForwardError::What::kReset, "closed",
                                                        ForwardError::Retry::kIfReused)});
  up.answers.push_back({.body = {"ok"}});
  ExchangeRecord record;
  run(worker, relay(down, up, cluster.generation, 0, record));
  EXPECT_EQ(up.heads_sent, 2);
  EXPECT_EQ(up.opened.size(), 2u);
  EXPECT_EQ(down.status, 200);
  EXPECT_EQ(down.response_body, "ok");
  EXPECT_EQ(down.replied, 0);
}

TEST(Forward, APostIsNeverSentTwice) {
  Worker worker(0, options());
  Cluster cluster(1);
  FakeDownstream down(worker);
  down.post(4);
  down.body = {"data"};
  FakeUpstream up;
  up.pooled = true;
  up.answers.push_back({.head_error = ForwardError::pod(ForwardError::What::kReset, "closed",
                                                        ForwardError::Retry::kIfReused)});
  ExchangeRecord record;
  run(worker, relay(down, up, cluster.generation, 0, record));
  EXPECT_EQ(up.heads_sent, 1);
  EXPECT_EQ(down.replied, 502);
  EXPECT_EQ(up.received_body, "data");
  EXPECT_EQ(cluster.states[0].consecutive_failures, 1u);
}

TEST(Forward, ThePodNotAnsweringInTimeIs504AndNotCountedAgainstIt) {
  Worker worker(0, options());
  Cluster cluster(1);
  FakeDownstream down(worker);
  FakeUpstream up;
  up.answers.push_back({.head_error = ForwardError::pod(ForwardError::What::kReset, "cut")});
  down.timed_out_ = true;
  ExchangeRecord record;
  run(worker, relay(down, up, cluster.generation, 0, record));
  EXPECT_EQ(down.replied, 504);
  EXPECT_EQ(cluster.states[0].consecutive_failures, 0u);
  EXPECT_EQ(up.finished, 1);
  EXPECT_FALSE(up.finished_clean);
}

TEST(Forward, AMalformedRequestBodyIs400AndTheConnectionIsNotKept) {
  Worker worker(0, options());
  Cluster cluster(1);
  FakeDownstream down(worker);
  down.post();
  down.body = {"part"};
  down.body_malformed = true;
  FakeUpstream up;
  ExchangeRecord record;
  run(worker, relay(down, up, cluster.generation, 0, record));
  EXPECT_EQ(down.replied, 400);
  EXPECT_EQ(up.received_body, "part");
  EXPECT_FALSE(up.body_ended);
  EXPECT_FALSE(up.finished_clean);
  EXPECT_EQ(cluster.states[0].consecutive_failures, 0u) << "the client's fault, not the pod's";
}

TEST(Forward, TheBodyStreamsAndTheTrailersFollowIt) {
  Worker worker(0, options());
  Cluster cluster(1);
  FakeDownstream down(worker);
  down.post();
  down.body = {"one ", "two ", "three"};
  FakeUpstream up;
  up.answers.push_back({.body = {"a", "b", "c"}, .length = false, .trailers = {{"grpc-status", "0"}}});
  ExchangeRecord record;
  run(worker, relay(down, up, cluster.generation, 0, record));
  EXPECT_EQ(up.received_body, "one two three");
  EXPECT_TRUE(up.body_ended);
  EXPECT_EQ(down.response_body, "abc");
  ASSERT_EQ(down.trailers.size(), 1u);
  EXPECT_EQ(down.trailers[0].first, "grpc-status");
  EXPECT_TRUE(up.finished_clean);
}

TEST(Forward, AFullDuplexBodyIsPumpedBesideTheResponse) {
  Worker worker(0, options());
  Cluster cluster(1);
  FakeDownstream down(worker);
  down.duplex = true;
  down.post();
  down.body = {"x", "y"};
  FakeUpstream up;
  up.duplex = true;
  up.answers.push_back({.body = {"z"}});
  ExchangeRecord record;
  run(worker, relay(down, up, cluster.generation, 0, record));
  EXPECT_EQ(up.received_body, "xy");
  EXPECT_TRUE(up.body_ended);
  EXPECT_EQ(down.response_body, "z");
  EXPECT_TRUE(up.finished_clean);
}

TEST(Forward, AFullDuplexBodyThatCameWithTheHeadNeedsNoPump) {
  Worker worker(0, options());
  Cluster cluster(1);
  FakeDownstream down(worker);
  down.duplex = true;
  down.post(5);
  down.buffered = "whole";
  FakeUpstream up;
  up.duplex = true;
  up.answers.push_back({.body = {"ok"}});
  ExchangeRecord record;
  run(worker, relay(down, up, cluster.generation, 0, record));  // ends: nothing to join
  EXPECT_EQ(up.received_body, "whole");
  EXPECT_TRUE(up.body_ended);
  EXPECT_EQ(down.response_body, "ok");
  EXPECT_TRUE(up.finished_clean);
}

TEST(Forward, APumpStillWaitingForTheClientIsStoppedWhenThePodHasAnswered) {
  Worker worker(0, options());
  Cluster cluster(1);
  FakeDownstream down(worker);
  down.duplex = true;
  down.post();
  down.body = {"first"};
  down.body_stalls = true;  // the client never ends its body
  FakeUpstream up;
  up.duplex = true;
  up.answers.push_back({.status = 413});
  ExchangeRecord record;
  run(worker, relay(down, up, cluster.generation, 0, record));
  EXPECT_EQ(down.status, 413);
  EXPECT_TRUE(down.response_ended);
  EXPECT_TRUE(down.stopped_);
  EXPECT_GE(up.cuts, 1);
  EXPECT_FALSE(up.body_ended);
  EXPECT_FALSE(up.finished_clean) << "a request cut short leaves nothing to reuse";
}

TEST(Forward, ABodyThatBreaksOffIsAbortedWithThePodsCodeAndNotPooled) {
  Worker worker(0, options());
  Cluster cluster(1);
  FakeDownstream down(worker);
  FakeUpstream up;
  up.answers.push_back({.body = {"partial"}, .breaks = true});
  ExchangeRecord record;
  run(worker, relay(down, up, cluster.generation, 0, record));
  EXPECT_EQ(down.status, 200);
  EXPECT_EQ(down.response_body, "partial");
  EXPECT_FALSE(down.response_ended);
  EXPECT_TRUE(down.aborted);
  EXPECT_EQ(down.abort_code, 2u);
  EXPECT_FALSE(up.finished_clean);
  EXPECT_EQ(record.error.what, ForwardError::What::kReset);
}

TEST(Forward, ASwitchToAnotherProtocolNobodyAskedForIs502) {
  Worker worker(0, options());
  Cluster cluster(1);
  FakeDownstream down(worker);
  FakeUpstream up;
  up.answers.push_back({.status = 101});
  ExchangeRecord record;
  run(worker, relay(down, up, cluster.generation, 0, record));
  EXPECT_EQ(down.replied, 502);
  EXPECT_EQ(down.status, 0);
}

TEST(Forward, AClientWaitingFor100ContinueGetsItOnceThePodIsReached) {
  Worker worker(0, options());
  Cluster cluster(2);
  FakeDownstream down(worker);
  down.request().method = "PUT";
  down.request().method_id = http1::Method::kPut;
  down.request().framing = Framing::kLength;
  down.request().content_length = 1;
  down.request().expect_continue = true;
  down.body = {"!"};
  FakeUpstream up;
  up.opens.assign(2, ForwardError::pod(ForwardError::What::kConnect, "refused"));
  ExchangeRecord record;
  run(worker, relay(down, up, cluster.generation, 0, record));
  EXPECT_EQ(down.continues, 0) << "no pod reached: no 100 Continue, a 502";
  EXPECT_EQ(down.replied, 502);
}

TEST(Forward, TheClientsXForwardedForIsAnInputNeverForwardedAsIs) {
  Worker worker(0, options());
  Cluster cluster(1);
  FakeDownstream down(worker);
  const std::vector<Field> fields{{"X-Forwarded-For", "203.0.113.9", http1::HeaderToken::kXForwardedFor},
                                  {"Accept", "*/*", http1::HeaderToken::kUnknown}};
  down.request().fields = fields;
  FakeUpstream up;
  ExchangeRecord record;
  run(worker, relay(down, up, cluster.generation, 0, record));
  EXPECT_EQ(up.prior_forwarded_for, "203.0.113.9");
  EXPECT_TRUE(replaced_by_proxy(http1::HeaderToken::kXForwardedFor));
  EXPECT_FALSE(replaced_by_proxy(http1::HeaderToken::kForwarded));
}

TEST(Forward, APathThatCannotBeNormalizedIs400BeforeAnyLookup) {
  Worker worker(0, options());
  FakeDownstream down(worker);
  down.request().raw_path = "/pub/..%2finternal";  // a dot-segment beside an encoded slash
  ExchangeRecord record;
  run(worker, forward(down, record));
  EXPECT_EQ(down.replied, 400);
  EXPECT_EQ(record.status, 400);
}

TEST(Forward, NoConfigurationYetIs503) {
  Worker worker(0, options());
  FakeDownstream down(worker);
  ExchangeRecord record;
  run(worker, forward(down, record));
  EXPECT_EQ(down.replied, 503);
  EXPECT_EQ(down.reply_detail, "no configuration loaded yet");
}

TEST(ForwardError, StatusesAreMappedInOnePlace) {
  using W = ForwardError::What;
  EXPECT_EQ(status_of(ForwardError::pod(W::kTimeout, "")), 504);
  EXPECT_EQ(status_of(ForwardError::pod(W::kNoEndpoint, "")), 503);
  EXPECT_EQ(status_of(ForwardError::pod(W::kConnect, "")), 502);
  EXPECT_EQ(status_of(ForwardError::pod(W::kTlsHandshake, "")), 502);
  EXPECT_EQ(status_of(ForwardError::pod(W::kProtocol, "")), 502);
  EXPECT_EQ(status_of(ForwardError::client(W::kClientBody)), 400);
  EXPECT_EQ(status_of(ForwardError::client(W::kClientGone)), 0);
  EXPECT_FALSE(counts_against_pod(ForwardError::pod(W::kTimeout, "")));
  EXPECT_TRUE(counts_against_pod(ForwardError::pod(W::kReset, "")));
  EXPECT_FALSE(counts_against_pod(ForwardError::client(W::kClientGone)));
}

}  // namespace
}  // namespace gatehouse::proxy
