// Which I/O backend this build uses, and whether it can run here. An io_uring build
// (GATEHOUSE_IO_URING, docs/decisions/0006) cannot start where seccomp or
// kernel.io_uring_disabled forbids rings: say so plainly instead of failing inside Asio.
#pragma once

#include <string>

namespace gatehouse::app {

const char* io_backend_name();  // "io_uring" or "epoll"

// "" when the backend can be used; otherwise why not, and what to do.
std::string io_backend_problem();

}  // namespace gatehouse::app
