// Stopping a connection whose coroutine may be waiting on it: cancel its pending operations and
// shut the TCP connection down both ways, but leave the descriptor open; its owner closes it
// once nothing waits on it. Closing instead is what Asio 1.81's io_uring backend gets wrong: it
// keeps the cancelled operation queued on a per-descriptor record it then recycles, and the next
// socket that gets the record inherits it (its read never completes; the old handler gets its
// bytes). Seen as hangs and heap corruption under the HTTP/2 fuzz test; epoll is unaffected.
#pragma once

#include <boost/asio/ip/tcp.hpp>

namespace gatehouse::proxy {

inline void interrupt(boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.cancel(ignored);
  socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
}

}  // namespace gatehouse::proxy
