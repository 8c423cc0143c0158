#include "source/kube/api_client.h"

#include <sys/stat.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fstream>
#include <sstream>

namespace gatehouse::source::kube {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxResponseBody = 512u << 20;  // a page of a list; pages keep it far lower
constexpr std::size_t kMaxWatchLine = 64u << 20;      // one watch event (one object)
constexpr std::size_t kMaxIdle = 4;  // idle keep-alive connections kept for the next requests

std::string describe(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  return ec.message();
}

bool is_ip_address(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::optional<std::chrono::seconds> retry_after_of(const http::fields& fields) {
  auto it = fields.find(http::field::retry_after);
  if (it == fields.end()) return std::nullopt;
  const std::string value(it->value());
  if (value.empty() || value.size() > 6 || value.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;  // the HTTP-date form is not used by the API server
  return std::chrono::seconds(std::stoi(value));
}

}  // namespace

struct ApiClient::Connection {
  Connection(asio::any_io_executor executor, ssl::context& tls) : stream(executor, tls) {}
  beast::ssl_stream<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

Result<std::unique_ptr<ApiClient>> ApiClient::create(asio::any_io_executor executor,
                                                     KubeConfig config, ApiTimeouts timeouts) {
  auto tls = std::make_unique<ssl::context>(ssl::context::tls_client);
  tls->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                   ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (config.insecure_skip_tls_verify) {
    tls->set_verify_mode(ssl::verify_none);
  } else {
    tls->add_certificate_authority(asio::buffer(config.ca_pem), ec);
    if (ec)
      return Error::invalid(config.origin + ": the certificate authority cannot be loaded (" +
                            ec.message() + ")");
    tls->set_verify_mode(ssl::verify_peer);
  }
  if (!config.client_cert_pem.empty()) {
    tls->use_certificate_chain(asio::buffer(config.client_cert_pem), ec);
    if (!ec) tls->use_private_key(asio::buffer(config.client_key_pem), ssl::context::pem, ec);
    if (ec)
      return Error::invalid(config.origin + ": the client certificate or key cannot be loaded (" +
                            ec.message() + ")");
  }
  std::unique_ptr<ApiClient> client(
      new ApiClient(std::move(executor), std::move(config), timeouts, std::move(tls)));
  return client;
}

ApiClient::ApiClient(asio::any_io_executor executor, KubeConfig config, ApiTimeouts timeouts,
                     std::unique_ptr<ssl::context> tls)
    : executor_(std::move(executor)),
      config_(std::move(config)),
      timeouts_(timeouts),
      tls_(std::move(tls)) {}

ApiClient::~ApiClient() = default;

std::string ApiClient::host_header() const {
  const bool v6 = config_.host.find(':') != std::string::npos;  // an IPv6 literal: bracketed
  return (v6 ? "[" + config_.host + "]" : config_.host) + ":" + config_.port;
}

std::string ApiClient::authorization() {
  if (config_.token_file.empty())
    return config_.token.empty() ? std::string() : "Bearer " + config_.token;
  // A projected service-account token is replaced (an atomic symlink swap) before it expires:
  // read it again whenever its modification time changes, or after a 401.
  struct stat st {};
  std::int64_t mtime_ns = -1;
  if (::stat(config_.token_file.c_str(), &st) == 0)
    mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  if (token_stale_ || mtime_ns != token_mtime_ns_) {
    std::ifstream in(config_.token_file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::string token = text.str();
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    if (in || !token.empty()) {  // an unreadable file keeps the last good token
      file_token_ = std::move(token);
      token_mtime_ns_ = mtime_ns;
      token_stale_ = false;
    }
  }
  if (!file_token_.empty()) return "Bearer " + file_token_;
  return config_.token.empty() ? std::string() : "Bearer " + config_.token;
}

asio::awaitable<Result<std::unique_ptr<ApiClient::Connection>>> ApiClient::connect() {
  const std::string where = config_.host + ":" + config_.port;
  tcp::resolver resolver(executor_);
  auto [resolve_ec, endpoints] =
      co_await resolver.async_resolve(config_.host, config_.port, kTuple);
  if (resolve_ec) co_return Error::io("API server " + where + ": " + resolve_ec.message());
  auto connection = std::make_unique<Connection>(executor_, *tls_);
  auto& tcp_stream = beast::get_lowest_layer(connection->stream);
  tcp_stream.expires_after(timeouts_.connect);
  auto [connect_ec, endpoint] = co_await tcp_stream.async_connect(endpoints, kTuple);
  if (connect_ec)
    co_return Error::io("API server " + where + ": connect: " + describe(connect_ec));
  (void)endpoint;
  SSL* native = connection->stream.native_handle();
  // SNI carries names only (RFC 6066); the certificate is checked against names and IPs alike.
  if (!is_ip_address(config_.server_name))
    SSL_set_tlsext_host_name(native, config_.server_name.c_str());
  if (!config_.insecure_skip_tls_verify)
    connection->stream.set_verify_callback(ssl::host_name_verification(config_.server_name));
  auto [handshake_ec] = co_await connection->stream.async_handshake(ssl::stream_base::client, kTuple);
  if (handshake_ec)
    co_return Error::io("API server " + where + ": TLS handshake: " + describe(handshake_ec));
  co_return std::move(connection);
}

asio::awaitable<Result<ApiResponse>> ApiClient::request(std::string method, std::string target,
                                                        std::string body,
                                                        std::string content_type) {
  // An idle connection may have been closed by the server meanwhile: if it fails before any
  // byte of a response, the request goes again on a new connection. Only for requests that are
  // safe to repeat (POST is not: it could create twice).
  const bool repeatable = method == "GET" || method == "PUT" || method == "DELETE";
  while (!idle_.empty()) {
    std::unique_ptr<Connection> c = std::move(idle_.back());
    idle_.pop_back();
    bool answered = false, keep_alive = false;
    auto r = co_await exchange(*c, method, target, body, content_type, answered, keep_alive);
    if (r || answered || !repeatable) {
      if (r && keep_alive && idle_.size() < kMaxIdle) idle_.push_back(std::move(c));
      co_return r;
    }
  }
  auto connected = co_await connect();
  if (!connected) co_return connected.error();
  bool answered = false, keep_alive = false;
  auto r = co_await exchange(**connected, method, target, body, content_type, answered, keep_alive);
  if (r && keep_alive && idle_.size() < kMaxIdle) idle_.push_back(std::move(*connected));
  co_return r;
}

asio::awaitable<Result<ApiResponse>> ApiClient::exchange(Connection& c, const std::string& method,
                                                         const std::string& target,
                                                         const std::string& body,
                                                         const std::string& content_type,
                                                         bool& answered, bool& keep_alive) {
  http::request<http::string_body> req{http::string_to_verb(method), config_.base_path + target, 11};
  req.set(http::field::host, host_header());
  req.set(http::field::accept, "application/json");
  req.set(http::field::user_agent, "gatehouse");
  if (std::string auth = authorization(); !auth.empty()) req.set(http::field::authorization, auth);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.set(http::field::content_type, content_type.empty() ? "application/json" : content_type);
    req.body() = body;
  }
  req.prepare_payload();
  beast::get_lowest_layer(c.stream).expires_after(timeouts_.request);
  auto [write_ec, written] = co_await http::async_write(c.stream, req, kTuple);
  if (write_ec) co_return Error::io(method + " " + target + ": " + describe(write_ec));
  (void)written;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBody);
  c.buffer.clear();
  auto [read_ec, read] = co_await http::async_read(c.stream, c.buffer, parser, kTuple);
  answered = parser.got_some();
  if (read_ec) co_return Error::io(method + " " + target + ": " + describe(read_ec));
  (void)read;
  auto& response = parser.get();
  keep_alive = response.keep_alive();
  ApiResponse out;
  out.status = response.result_int();
  out.retry_after = retry_after_of(response.base());
  out.body = std::move(response.body());
  co_return out;
}

asio::awaitable<Result<ApiResponse>> ApiClient::watch(
    std::string target, std::function<bool(std::string_view line)> on_line) {
  auto connected = co_await connect();
  if (!connected) co_return connected.error();
  Connection& c = **connected;
  http::request<http::empty_body> req{http::verb::get, config_.base_path + target, 11};
  req.set(http::field::host, host_header());
  req.set(http::field::accept, "application/json");
  req.set(http::field::user_agent, "gatehouse");
  if (std::string auth = authorization(); !auth.empty()) req.set(http::field::authorization, auth);
  auto& tcp_stream = beast::get_lowest_layer(c.stream);
  tcp_stream.expires_after(timeouts_.request);
  auto [write_ec, written] = co_await http::async_write(c.stream, req, kTuple);
  if (write_ec) co_return Error::io("watch " + target + ": " + describe(write_ec));
  (void)written;

  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // a watch is endless; each line is bounded below
  auto [header_ec, header_bytes] = co_await http::async_read_header(c.stream, c.buffer, parser, kTuple);
  if (header_ec) co_return Error::io("watch " + target + ": " + describe(header_ec));
  (void)header_bytes;
  ApiResponse out;
  out.status = parser.get().result_int();
  out.retry_after = retry_after_of(parser.get().base());
  const bool streaming = out.status == 200;

  std::string pending;  // bytes of a line not yet complete (or the whole body of an error)
  std::array<char, 64 * 1024> chunk;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    tcp_stream.expires_after(streaming ? timeouts_.watch_idle : timeouts_.request);
    // read_some: an event must be handed on when it arrives, not once the chunk buffer is full.
    auto [ec, n] = co_await http::async_read_some(c.stream, c.buffer, parser, kTuple);
    (void)n;
    if (ec && ec != http::error::need_buffer)
      co_return Error::io("watch " + target + ": " + describe(ec));
    const std::size_t got = chunk.size() - parser.get().body().size;
    pending.append(chunk.data(), got);
    if (!streaming) {
      if (pending.size() > kMaxResponseBody) co_return Error::io("watch " + target + ": response too large");
      continue;
    }
    std::size_t start = 0;
    for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(pending.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      if (!on_line(line)) co_return out;
    }
    pending.erase(0, start);
    if (pending.size() > kMaxWatchLine)
      co_return Error::io("watch " + target + ": an event longer than " +
                          std::to_string(kMaxWatchLine >> 20) + " MiB");
  }
  if (streaming) {
    if (!pending.empty() && !on_line(pending)) co_return out;
    co_return out;  // the server ended the watch (its timeout): resume from the last version
  }
  out.body = std::move(pending);
  co_return out;
}

}  // namespace gatehouse::source::kube
