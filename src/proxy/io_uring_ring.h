// Two corrections to Boost.Asio 1.81's io_uring backend, made at link time (io_uring builds only).
//
// 1. Every submission entry starts with user_data 0. Asio prepares its cancel and timeout-remove
//    entries without setting user_data, and liburing's prep functions leave it as the slot's
//    previous user left it: a stale pointer to some socket's operation queue. The cancel's
//    completion (often -ENOENT: nothing left to cancel) then completed that other socket's
//    pending read. Seen as an h2c pod connection failing with "No such file or directory" the
//    moment an unrelated client connection closed, dropping every stream on it. With user_data
//    0, Asio ignores those completions, as it means to. (--wrap=io_uring_get_sqe; liburing.h
//    only declares the function, instead of inlining it, under LIBURING_INTERNAL.)
//
// 2. The size of every ring:
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
