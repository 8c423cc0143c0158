// The size of every io_uring that Boost.Asio sets up in this program (io_uring builds only).
//
// Asio asks for 16,384 entries per ring (io_uring_service::ring_size, not configurable), which
// pins about 1.6 MiB of kernel memory per io_context, all of it counted in the process's RSS:
// 4.8 of a 2-worker serve's 12 MiB. A ring only has to hold the submissions of one batch (Asio
// submits every 128) and the completions between two reaps; operations in flight are not
// bounded by it, and the kernel keeps completions that overflow the queue (IORING_FEAT_NODROP,
// Linux 5.5) rather than drop them. The link option in src/CMakeLists.txt
// (--wrap=io_uring_queue_init) routes Asio's call through io_uring_ring.cpp, which asks for
// this many instead.
#pragma once

namespace gatehouse::proxy {

inline constexpr unsigned kIoUringEntries = 1024;

}  // namespace gatehouse::proxy
