// Asio's rings at kIoUringEntries instead of its fixed 16,384, and submission entries handed out
// with user_data 0 (io_uring_ring.h says why).
#include "proxy/io_uring_ring.h"

#ifdef GATEHOUSE_IO_URING
#include <liburing.h>

extern "C" {
int __real_io_uring_queue_init(unsigned entries, io_uring* ring, unsigned flags);
io_uring_sqe* __real_io_uring_get_sqe(io_uring* ring);

io_uring_sqe* __wrap_io_uring_get_sqe(io_uring* ring) {
  io_uring_sqe* sqe = __real_io_uring_get_sqe(ring);
  if (sqe) io_uring_sqe_set_data(sqe, nullptr);
  return sqe;
}

// Every call to io_uring_queue_init in a binary linked with --wrap=io_uring_queue_init lands
// here: Asio's io_uring_service and the start-up check in app/io_backend.cpp.
int __wrap_io_uring_queue_init(unsigned entries, io_uring* ring, unsigned flags) {
  return __real_io_uring_queue_init(entries < gatehouse::proxy::kIoUringEntries
                                        ? entries
                                        : gatehouse::proxy::kIoUringEntries,
                                    ring, flags);
}
}
#endif
