// `gatehouse echo`: one io_context per thread, each with its own listener (SO_REUSEPORT when there
// are several), and one coroutine per connection. A connection owns one buffer (16 KiB, grown
// once to 64 KiB for large heads) and two reusable strings for the response; request heads are
// parsed in place by the http1 codec, bodies are counted and dropped, so memory does not grow
// with the body.
#include "app/echo_server.h"

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "app/io_backend.h"
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "proxy/http1/chunked.h"
#include "proxy/http1/parser.h"

namespace gatehouse::app {
namespace {

namespace asio = boost::asio;
namespace http1 = gatehouse::proxy::http1;
using asio::ip::tcp;
using boost::system::error_code;

constexpr std::size_t kInitialBuffer = 16 * 1024;
constexpr std::size_t kMaxBuffer = 64 * 1024;  // > Limits::max_head + kMinBodyRoom + trailers
constexpr std::size_t kMinBodyRoom = 8 * 1024;
constexpr std::size_t kPiece = 64 * 1024;  // the largest write of a /bytes body
constexpr std::uint64_t kMaxBytes = 1ull << 40;
constexpr std::uint64_t kMaxDelayMs = 3600 * 1000;
constexpr std::uint64_t kAbortPromised = 1000000;
constexpr std::size_t kAbortSent = 1000;
constexpr std::size_t kMaxLingerBytes = 256 * 1024;
constexpr auto kLinger = std::chrono::seconds(1);
constexpr auto kDrainDeadline = std::chrono::seconds(5);

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// 64 KiB of 'x', shared by every /bytes response.
const char* fill_bytes() {
  static const std::array<char, kPiece> fill = [] {
    std::array<char, kPiece> a;
    a.fill('x');
    return a;
  }();
  return fill.data();
}

struct Reason {
  int status;
  std::string_view phrase;
};

constexpr Reason kReasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {417, "Expectation Failed"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
};

std::string_view reason_phrase(int status) {
  for (const auto& r : kReasons) {
    if (r.status == status) return r.phrase;
  }
  return "Status";
}

void append_number(std::string& out, std::uint64_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

// Digits only, at most 15 of them (enough for 2^40); nullopt otherwise.
std::optional<std::uint64_t> parse_decimal(std::string_view s) {
  if (s.empty() || s.size() > 15) return std::nullopt;
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

enum class Special : std::uint8_t { kNone, kBytes, kStatus, kDelay, kAbort, kHello };

struct Route {
  Special kind = Special::kNone;
  std::uint64_t number = 0;
};

// Looks at the path's last elements only: ".../bytes/N", ".../status/N", ".../delay/N",
// ".../abort", ".../hello"; anything else is an ordinary echo.
Route classify(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return {};
  const std::string_view last = path.substr(slash + 1);
  if (last == "abort") return {Special::kAbort, 0};
  if (last == "hello") return {Special::kHello, 0};
  const auto number = parse_decimal(last);
  if (!number) return {};
  const std::string_view rest = path.substr(0, slash);
  const std::string_view element = rest.substr(rest.rfind('/') + 1);  // npos + 1 == 0
  if (rest.size() == element.size()) return {};                       // no '/' before it
  if (element == "bytes") return {Special::kBytes, *number};
  if (element == "status") return {Special::kStatus, *number};
  if (element == "delay") return {Special::kDelay, *number};
  return {};
}

// True when the query has the parameter "chunked=1".
bool wants_chunked(std::string_view query) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    if (query.substr(0, amp) == "chunked=1") return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

class CountingSink final : public http1::ChunkedSink {
 public:
  void on_data(std::string_view data) override { bytes += data.size(); }
  void on_trailer(const http1::Header&) override {}
  std::uint64_t bytes = 0;
};

class Connection;

// One event loop, its listener and the connections it serves. Touched only from its own thread.
struct Worker {
  explicit Worker(std::string_view echo_name) : name(echo_name) {}
  // Connections still open after a drain deadline are destroyed with ctx, after `deadline`.
  ~Worker() { destroying = true; }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Stops accepting, closes idle connections, and gives the others kDrainDeadline to finish.
  void begin_stop();
  void link(Connection* c);
  void unlink(Connection* c);

  std::string_view name;
  bool stopping = false;
  bool destroying = false;
  Connection* connections = nullptr;  // an intrusive list, so shutdown can find the idle ones
  std::size_t connection_count = 0;
  // Declared after the members above: destroyed first, while the connections still unlink.
  asio::io_context ctx{1};
  std::optional<tcp::acceptor> acceptor;
  asio::steady_timer deadline{ctx};
};

class Connection {
 public:
  Connection(Worker& worker, tcp::socket socket)
      : worker_(worker), socket_(std::move(socket)), linger_(worker.ctx) {
    worker_.link(this);
  }
  ~Connection() { worker_.unlink(this); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Serves requests until the peer closes, an error, a non-keep-alive response or shutdown.
  asio::awaitable<void> serve();

  // Called at shutdown: a connection waiting for a request head is closed now.
  void close_if_idle() {
    error_code ignored;
    if (idle_) socket_.close(ignored);
  }

  Connection* prev = nullptr;
  Connection* next = nullptr;

 private:
  enum class Framing : std::uint8_t { kLength, kChunked, kNone };

  std::string_view bytes(std::size_t from, std::size_t to) const {
    return {buffer_.get() + from, to - from};
  }
  void grow();
  bool make_room_for_head();
  bool make_room_for_body();
  asio::awaitable<bool> read_body(std::uint64_t& counted);
  asio::awaitable<bool> respond(std::uint64_t body_bytes);
  void build_head(int status, Framing framing, std::uint64_t length, bool keep_alive);
  void build_echo_body(std::uint64_t body_bytes);
  void prepare_response(const Route& route, std::uint64_t body_bytes, bool keep_alive);
  asio::awaitable<bool> write_head_and_body(std::string_view body);
  asio::awaitable<bool> send_bytes(std::uint64_t n, bool chunked, bool keep_alive);
  asio::awaitable<void> send_abort();
  asio::awaitable<void> send_error(int status, std::string_view reason);
  asio::awaitable<void> tunnel();
  asio::awaitable<void> close_lingering();

  Worker& worker_;
  tcp::socket socket_;
  asio::steady_timer linger_;  // also the /delay timer
  bool idle_ = false;

  // The receive buffer: [begin_, end_) not yet consumed; a parsed head is [begin_, head_end_).
  std::unique_ptr<char[]> buffer_ = std::make_unique<char[]>(kInitialBuffer);
  std::size_t capacity_ = kInitialBuffer;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t head_end_ = 0;
  std::size_t next_request_ = 0;  // after the body: where the following request starts

  http1::Request request_;
  http1::ChunkedDecoder decoder_{http1::ChunkedLimits{.max_trailer_section = 8 * 1024}};
  std::string head_;  // the response head, reused
  std::string body_;  // the echo body, reused
};

void Worker::link(Connection* c) {
  c->next = connections;
  if (connections) connections->prev = c;
  connections = c;
  ++connection_count;
}

void Worker::unlink(Connection* c) {
  if (c->prev) c->prev->next = c->next;
  if (c->next) c->next->prev = c->prev;
  if (connections == c) connections = c->next;
  --connection_count;
  if (stopping && connection_count == 0 && !destroying) deadline.cancel();
}

void Worker::begin_stop() {
  stopping = true;
  error_code ignored;
  if (acceptor) acceptor->close(ignored);
  for (Connection* c = connections; c; c = c->next) c->close_if_idle();
  if (connection_count == 0) return;  // nothing left: run() returns once the accept loop ends
  deadline.expires_after(kDrainDeadline);
  deadline.async_wait([this](error_code ec) {
    if (!ec) ctx.stop();
  });
}

void Connection::grow() {
  auto bigger = std::make_unique<char[]>(kMaxBuffer);
  std::memcpy(bigger.get(), buffer_.get(), end_);
  buffer_ = std::move(bigger);
  capacity_ = kMaxBuffer;
}

// Before reading more of a head: makes free space at the end, moving the partial head to the
// front or growing the buffer once. False only when the buffer is full of one head (which the
// parser refuses before that happens).
bool Connection::make_room_for_head() {
  if (capacity_ - end_ < 4096 && begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == capacity_ && capacity_ < kMaxBuffer) grow();
  return end_ < capacity_;
}

// While reading a body: the head must stay where the request's views point, so when the room
// after end_ is short, the head (and what follows it) moves to the front or into a bigger buffer
// and is parsed again to repoint the views.
bool Connection::make_room_for_body() {
  if (capacity_ - end_ >= kMinBodyRoom) return true;
  if (begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    head_end_ -= begin_;
    begin_ = 0;
  }
  if (capacity_ - end_ < kMinBodyRoom && capacity_ < kMaxBuffer) grow();
  http1::parse_request(bytes(0, head_end_), request_);  // same bytes, same result
  return end_ < capacity_;
}

// Reads the request body and counts it. Returns false when the connection must end (an I/O
// error, or a malformed chunked body, already answered with 400). On true, next_request_ is set.
asio::awaitable<bool> Connection::read_body(std::uint64_t& counted) {
  counted = 0;
  if (request_.body_kind == http1::BodyKind::kContentLength) {
    std::uint64_t remaining = request_.content_length;
    std::uint64_t take = std::min<std::uint64_t>(end_ - head_end_, remaining);
    remaining -= take;
    next_request_ = head_end_ + take;
    while (remaining > 0) {
      end_ = head_end_;  // everything buffered after the head was body: overwrite it
      if (!make_room_for_body()) co_return false;
      auto [ec, n] = co_await socket_.async_read_some(
          asio::buffer(buffer_.get() + end_, capacity_ - end_), kNoThrow);
      if (ec) co_return false;
      end_ += n;
      take = std::min<std::uint64_t>(n, remaining);
      remaining -= take;
      next_request_ = head_end_ + take;
    }
    counted = request_.content_length;
    co_return true;
  }
  if (request_.body_kind == http1::BodyKind::kChunked) {
    decoder_.reset();
    CountingSink sink;
    std::size_t pos = head_end_;
    for (;;) {
      const auto fed = decoder_.feed(bytes(pos, end_), sink);
      if (fed.status == http1::ChunkedStatus::kDone) {
        next_request_ = pos + fed.consumed;
        break;
      }
      if (fed.status == http1::ChunkedStatus::kError) {
        co_await send_error(400, fed.reason);
        co_return false;
      }
      // A partial trailer line is fed again: keep it at the start of the body region.
      const std::size_t kept = end_ - pos - fed.consumed;
      std::memmove(buffer_.get() + head_end_, buffer_.get() + pos + fed.consumed, kept);
      end_ = head_end_ + kept;
      if (!make_room_for_body()) {
        co_await send_error(400, "chunked body line too long");
        co_return false;
      }
      pos = head_end_;
      auto [ec, n] = co_await socket_.async_read_some(
          asio::buffer(buffer_.get() + end_, capacity_ - end_), kNoThrow);
      if (ec) co_return false;
      end_ += n;
    }
    counted = sink.bytes;
    co_return true;
  }
  next_request_ = head_end_;
  co_return true;
}

asio::awaitable<void> Connection::serve() {
  for (;;) {
    // The head: parse what is buffered, read more while the parser needs it.
    http1::ParseResult parsed;
    for (;;) {
      if (end_ > begin_) {
        parsed = http1::parse_request(bytes(begin_, end_), request_);
        if (parsed.status != http1::ParseStatus::kNeedMore) break;
      }
      if (worker_.stopping || !make_room_for_head()) co_return;
      idle_ = true;
      auto [ec, n] = co_await socket_.async_read_some(
          asio::buffer(buffer_.get() + end_, capacity_ - end_), kNoThrow);
      idle_ = false;
      if (ec) co_return;  // closed by the peer (a partial head is dropped) or by shutdown
      end_ += n;
    }
    if (parsed.status == http1::ParseStatus::kError) {
      co_await send_error(parsed.http_status, parsed.reason);
      co_return;
    }
    head_end_ = begin_ + parsed.consumed;

    const bool has_body =
        request_.body_kind == http1::BodyKind::kChunked ||
        (request_.body_kind == http1::BodyKind::kContentLength && request_.content_length > 0);
    if (request_.expect_continue && has_body) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(kContinue), kNoThrow);
      if (ec) co_return;
    }
    std::uint64_t body_bytes = 0;
    // (GCC 12 miscompiles co_await inside an if condition: await into a local first.)
    const bool body_read = co_await read_body(body_bytes);
    if (!body_read) co_return;
    const bool keep_going = co_await respond(body_bytes);
    if (!keep_going) co_return;

    begin_ = next_request_;
    if (begin_ == end_) begin_ = end_ = 0;
  }
}

void Connection::build_head(int status, Framing framing, std::uint64_t length, bool keep_alive) {
  head_.clear();
  head_ += "HTTP/1.1 ";
  append_number(head_, static_cast<std::uint64_t>(status));
  head_ += ' ';
  head_ += reason_phrase(status);
  head_ += "\r\n";
  if (framing != Framing::kNone) head_ += "Content-Type: text/plain\r\n";
  if (framing == Framing::kLength) {
    head_ += "Content-Length: ";
    append_number(head_, length);
    head_ += "\r\n";
  } else if (framing == Framing::kChunked) {
    head_ += "Transfer-Encoding: chunked\r\n";
  }
  head_ += "X-Echo-Name: ";
  head_ += worker_.name;
  head_ += "\r\n";
  if (!keep_alive) {
    head_ += "Connection: close\r\n";
  } else if (request_.version_minor == 0) {
    head_ += "Connection: keep-alive\r\n";
  }
  head_ += "\r\n";
}

void Connection::build_echo_body(std::uint64_t body_bytes) {
  body_.clear();
  body_ += "name=";
  body_ += worker_.name;
  body_ += "\nmethod=";
  body_ += request_.method;
  body_ += "\ntarget=";
  body_ += request_.target;
  body_ += request_.version_minor == 0 ? "\nversion=HTTP/1.0" : "\nversion=HTTP/1.1";
  body_ += "\nbody_bytes=";
  append_number(body_, body_bytes);
  body_ += '\n';
  for (const auto& h : request_.headers) {
    body_ += "header: ";
    body_ += h.name;
    body_ += ": ";
    body_ += h.value;
    body_ += '\n';
  }
}

asio::awaitable<bool> Connection::write_head_and_body(std::string_view body) {
  const std::array<asio::const_buffer, 2> pieces{asio::buffer(head_), asio::buffer(body)};
  auto [ec, n] = co_await asio::async_write(socket_, pieces, kNoThrow);
  co_return !ec;
}

// Fills head_ and body_ for every response but /bytes, /abort and upgrades.
void Connection::prepare_response(const Route& route, std::uint64_t body_bytes, bool keep_alive) {
  static constexpr std::string_view kHello = "hello\n";
  if (route.kind == Special::kHello) {
    body_.assign(kHello);
    build_head(200, Framing::kLength, kHello.size(), keep_alive);
    return;
  }
  int status = 200;
  if (route.kind == Special::kStatus) {
    status = route.number >= 200 && route.number <= 599 ? static_cast<int>(route.number) : 400;
  } else if (route.kind == Special::kBytes) {
    status = 400;  // more than kMaxBytes
  }
  if (status == 204 || status == 304) {
    body_.clear();
    build_head(status, Framing::kNone, 0, keep_alive);
    return;
  }
  build_echo_body(body_bytes);
  build_head(status, Framing::kLength, body_.size(), keep_alive);
}

// Answers the parsed request. Returns true when the connection may carry another request.
// (GCC 12 miscompiles co_await inside an if condition, so results are awaited into locals.)
asio::awaitable<bool> Connection::respond(std::uint64_t body_bytes) {
  if (request_.upgrade) {
    co_await tunnel();
    co_return false;
  }
  const Route route = classify(request_.path);
  if (route.kind == Special::kAbort) {
    co_await send_abort();
    co_return false;
  }
  const bool keep_alive = request_.keep_alive && !worker_.stopping;
  bool written = false;
  if (route.kind == Special::kBytes && route.number <= kMaxBytes) {
    written = co_await send_bytes(route.number, wants_chunked(request_.query), keep_alive);
  } else {
    if (route.kind == Special::kDelay) {
      linger_.expires_after(std::chrono::milliseconds(std::min(route.number, kMaxDelayMs)));
      auto [ec] = co_await linger_.async_wait(kNoThrow);
      if (ec) co_return false;
    }
    prepare_response(route, body_bytes, keep_alive);
    const bool head_only = request_.method_id == http1::Method::kHead;
    written = co_await write_head_and_body(head_only ? std::string_view() : body_);
  }
  if (!written) co_return false;
  if (!keep_alive) co_await close_lingering();
  co_return keep_alive;
}

// /bytes/N: N bytes of 'x' in pieces of at most kPiece, with Content-Length or chunked (the
// chunked coding only for HTTP/1.1 clients). The head goes out with the first piece.
asio::awaitable<bool> Connection::send_bytes(std::uint64_t n, bool chunked, bool keep_alive) {
  chunked = chunked && request_.version_minor == 1;
  build_head(200, chunked ? Framing::kChunked : Framing::kLength, n, keep_alive);
  const bool head_request = request_.method_id == http1::Method::kHead;
  if (head_request) n = 0;
  static constexpr std::string_view kCrlf = "\r\n";
  static constexpr std::string_view kLastChunk = "0\r\n\r\n";
  bool first = true;
  char size_line[24];
  do {
    const std::size_t piece = static_cast<std::size_t>(std::min<std::uint64_t>(n, kPiece));
    n -= piece;
    std::array<asio::const_buffer, 5> pieces;
    std::size_t count = 0;
    if (first) pieces[count++] = asio::buffer(head_);
    if (chunked && piece > 0) {
      auto [end, ec] = std::to_chars(size_line, size_line + sizeof size_line - 2, piece, 16);
      end[0] = '\r';
      end[1] = '\n';
      pieces[count++] = asio::buffer(size_line, static_cast<std::size_t>(end + 2 - size_line));
    }
    if (piece > 0) pieces[count++] = asio::buffer(fill_bytes(), piece);
    if (chunked && piece > 0) pieces[count++] = asio::buffer(kCrlf);
    if (chunked && n == 0 && !head_request) pieces[count++] = asio::buffer(kLastChunk);
    auto [ec, written] =
        co_await asio::async_write(socket_, std::span(pieces.data(), count), kNoThrow);
    if (ec) co_return false;
    first = false;
  } while (n > 0);
  co_return true;
}

// /abort: a pod dying mid-response.
asio::awaitable<void> Connection::send_abort() {
  build_head(200, Framing::kLength, kAbortPromised, false);
  const bool written = co_await write_head_and_body(std::string_view(fill_bytes(), kAbortSent));
  if (written) co_await close_lingering();
}

asio::awaitable<void> Connection::send_error(int status, std::string_view reason) {
  body_.clear();
  body_ += reason;
  body_ += '\n';
  build_head(status, Framing::kLength, body_.size(), false);
  const bool written = co_await write_head_and_body(body_);
  if (written) co_await close_lingering();
}

// Upgrade: 101 with the client's Upgrade value, then every byte received is sent back.
asio::awaitable<void> Connection::tunnel() {
  head_.clear();
  head_ += "HTTP/1.1 101 Switching Protocols\r\nUpgrade: ";
  head_ += request_.upgrade_protocols;
  head_ += "\r\nConnection: Upgrade\r\nX-Echo-Name: ";
  head_ += worker_.name;
  head_ += "\r\n\r\n";
  const bool written = co_await write_head_and_body(bytes(next_request_, end_));
  if (!written) co_return;
  for (;;) {
    auto [rec, n] =
        co_await socket_.async_read_some(asio::buffer(buffer_.get(), capacity_), kNoThrow);
    if (rec) break;
    auto [wec, echoed] =
        co_await asio::async_write(socket_, asio::buffer(buffer_.get(), n), kNoThrow);
    if (wec) co_return;
  }
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
}

// Ends the connection without losing the response: FIN first, then read and drop what the peer
// still sends (at most kMaxLingerBytes, for at most kLinger) so that closing does not reset the
// connection before the peer has read the response.
asio::awaitable<void> Connection::close_lingering() {
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  linger_.expires_after(kLinger);
  linger_.async_wait([this](error_code ec) {
    error_code ignored_too;
    if (!ec) socket_.close(ignored_too);
  });
  std::size_t drained = 0;
  while (drained < kMaxLingerBytes) {
    auto [ec, n] =
        co_await socket_.async_read_some(asio::buffer(buffer_.get(), capacity_), kNoThrow);
    if (ec) break;
    drained += n;
  }
  linger_.cancel();
  socket_.close(ignored);
}

asio::awaitable<void> serve_connection(Worker& worker, tcp::socket socket) {
  Connection connection(worker, std::move(socket));
  co_await connection.serve();
}

asio::awaitable<void> accept_loop(Worker& worker) {
  asio::steady_timer backoff(worker.ctx);
  for (;;) {
    auto [ec, socket] = co_await worker.acceptor->async_accept(kNoThrow);
    if (worker.stopping || !worker.acceptor->is_open()) co_return;
    if (ec) {  // EMFILE and the like: wait a little instead of spinning
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(kNoThrow);
      continue;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(worker.ctx, serve_connection(worker, std::move(socket)), asio::detached);
  }
}

// "ADDR:PORT" or "[V6ADDR]:PORT"; an empty ADDR means 0.0.0.0, "localhost" 127.0.0.1.
std::optional<tcp::endpoint> parse_listen(std::string_view text) {
  std::string_view host, port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // IPv6 needs brackets
  }
  const auto port_number = parse_decimal(port);
  if (!port_number || *port_number > 65535) return std::nullopt;
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  error_code ec;
  const auto address = asio::ip::make_address(std::string(host), ec);
  if (ec) return std::nullopt;
  return tcp::endpoint(address, static_cast<unsigned short>(*port_number));
}

// Opens a listener. With several workers each has its own, bound with SO_REUSEPORT so the kernel
// spreads connections across them. A single worker does without it: otherwise a second server
// started on the same port by the same user (two tests picking the same free port) would bind
// too and silently take half the connections.
error_code open_listener(tcp::acceptor& acceptor, const tcp::endpoint& endpoint, bool reuse) {
  using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && reuse) acceptor.set_option(reuse_port(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  return ec;
}

}  // namespace

int run_echo(const EchoOptions& options) {
  if (const std::string problem = io_backend_problem(); !problem.empty()) {
    std::cerr << "gatehouse echo: " << problem << '\n';
    return 2;
  }
  auto endpoint = parse_listen(options.listen);
  if (!endpoint) {
    std::cerr << "gatehouse echo: cannot parse listen address '" << options.listen
              << "' (want ADDR:PORT or [V6ADDR]:PORT)\n";
    return 2;
  }
  const int threads = std::clamp(options.threads, 1, 256);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < threads; ++i) {
    auto& worker = *workers.emplace_back(std::make_unique<Worker>(options.name));
    worker.acceptor.emplace(worker.ctx);
    if (const auto ec = open_listener(*worker.acceptor, *endpoint, threads > 1)) {
      std::cerr << "gatehouse echo: cannot listen on " << options.listen << ": " << ec.message()
                << '\n';
      return 1;
    }
    if (i == 0) *endpoint = worker.acceptor->local_endpoint();  // the real port when 0 was given
  }

  asio::signal_set signals(workers.front()->ctx, SIGINT, SIGTERM);
  signals.async_wait([&](error_code ec, int) {
    if (ec) return;
    error_code ignored;
    signals.clear(ignored);  // a second signal gets the default action: exit at once
    for (auto& w : workers) asio::post(w->ctx, [worker = w.get()] { worker->begin_stop(); });
  });
  for (auto& w : workers) asio::co_spawn(w->ctx, accept_loop(*w), asio::detached);

  std::cerr << "gatehouse echo " << options.name << " listening on " << *endpoint << " (" << threads
            << (threads == 1 ? " thread)\n" : " threads)\n") << std::flush;
  std::vector<std::thread> others;
  for (std::size_t i = 1; i < workers.size(); ++i) {
    others.emplace_back([worker = workers[i].get()] { worker->ctx.run(); });
  }
  workers.front()->ctx.run();
  for (auto& t : others) t.join();
  return 0;
}

}  // namespace gatehouse::app
