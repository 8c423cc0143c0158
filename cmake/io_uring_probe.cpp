// Configure-time probe (CMakeLists.txt): can this machine's kernel set up an io_uring? Exits 0
// when it can. Seccomp filters and kernel.io_uring_disabled make io_uring_setup fail.
#include <liburing.h>

int main() {
  io_uring ring;
  if (io_uring_queue_init(1024, &ring, 0) < 0) return 1;  // proxy::kIoUringEntries
  io_uring_queue_exit(&ring);
  return 0;
}
