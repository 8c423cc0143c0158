#include "proxy/upstream_connection.h"

#include "proxy/interrupt.h"

namespace gatehouse::proxy {

void UpstreamConnection::arm_watch() {
  watch = Watch::kArmed;
  watch_bytes = 0;
  watch_error.clear();
  socket().async_read_some(
      boost::asio::buffer(buffer.get(), capacity),
      [this](const boost::system::error_code& ec, std::size_t n) {
        watch_error = ec;
        watch_bytes = n;
        watch = Watch::kDone;
        if (orphaned) {
          delete this;
          return;
        }
        if (watch_waiter) {
          watch = Watch::kOff;
          watch_waiter(ec, n);  // may delete this connection: nothing follows
        }
      });
}

void UpstreamDeleter::operator()(UpstreamConnection* c) const {
  if (c->watch == UpstreamConnection::Watch::kArmed) {
    c->orphaned = true;
    interrupt(c->socket());
    return;
  }
  delete c;
}

}  // namespace gatehouse::proxy
