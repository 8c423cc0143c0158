#include "proxy/connect_pod.h"

#include "proxy/worker.h"

namespace gatehouse::proxy {

namespace asio = boost::asio;

asio::awaitable<ConnectResult> connect_pod(Worker& worker, UpstreamConnection& connection,
                                           const asio::ip::tcp::endpoint& pod, bool tls) {
  ++worker.stats().upstream_connects;
  auto [ec] = co_await connection.socket().async_connect(pod, UpstreamConnection::kTuple);
  if (ec) co_return ConnectResult::kConnectFailed;
  boost::system::error_code ignored;
  connection.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  if (!tls) co_return ConnectResult::kConnected;
  worker.pod_tls().start(connection, pod);
  auto [hec] = co_await connection.handshake(asio::ssl::stream_base::client);
  co_return hec ? ConnectResult::kHandshakeFailed : ConnectResult::kConnected;
}

}  // namespace gatehouse::proxy
