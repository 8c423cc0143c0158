#include "app/io_backend.h"

#include <cstring>

#include "proxy/io_uring_ring.h"

#ifdef GATEHOUSE_IO_URING
#include <liburing.h>
#endif

namespace gatehouse::app {

const char* io_backend_name() {
#ifdef GATEHOUSE_IO_URING
  return "io_uring";
#else
  return "epoll";
#endif
}

std::string io_backend_problem() {
#ifdef GATEHOUSE_IO_URING
  // As large as the workers' rings: before Linux 5.12 ring memory counts against
  // RLIMIT_MEMLOCK, so a smaller probe could pass where theirs fail.
  io_uring ring;
  const int result = io_uring_queue_init(proxy::kIoUringEntries, &ring, 0);
  if (result < 0)
    return std::string("this build does its I/O with io_uring, which this machine refuses (") +
           std::strerror(-result) +
           "): allow io_uring (a seccomp profile that permits io_uring_setup/enter/register, "
           "sysctl kernel.io_uring_disabled=0) or build with -DGATEHOUSE_IO_URING=OFF";
  io_uring_queue_exit(&ring);
#endif
  return "";
}

}  // namespace gatehouse::app
