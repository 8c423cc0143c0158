// `gatehouse echo`: a small HTTP/1.1 server that answers with what it received. It stands in for
// the demo's pods and is the backend of the end-to-end tests and the benchmarks, so it is a real
// server (keep-alive, pipelining, chunked and Content-Length bodies, 100-continue, Upgrade) that
// does little work per response and keeps constant memory per connection, whatever the body size.
//
// Responses: 200, text/plain, lines "name=", "method=", "target=", "version=", "body_bytes=", then
// "header: Name: value" per request header in received order; header X-Echo-Name. Paths whose
// last elements are special (so routed paths such as /a/bytes/100 work too):
//   /bytes/N       N bytes of 'x' (N <= 2^40), ?chunked=1 for the chunked coding
//   /status/NNN    that status (200-599) with the echo body (none for 204 and 304)
//   /delay/MS      the echo response after MS milliseconds (at most one hour)
//   /abort         a head promising 1000000 bytes, 1000 of them, then the connection is closed
//   /hello         "hello\n"
// A request with Connection: upgrade and an Upgrade header gets 101 and a raw byte echo.
#pragma once

#include <string>

namespace gatehouse::app {

struct EchoOptions {
  std::string listen = "127.0.0.1:18080";  // "ADDR:PORT", "[V6ADDR]:PORT"; port 0 picks one
  std::string name = "echo";               // reported in every response
  int threads = 1;  // event loops, each with its own SO_REUSEPORT listener when more than one
};

// Listens on options.listen and serves until SIGINT or SIGTERM; then closes the listeners and the
// idle connections, lets requests in flight finish (5 s at most) and returns 0. Returns 2 when the
// address does not parse, 1 when it cannot be bound (a message on stderr either way). Once
// listening it writes "gatehouse echo NAME listening on ADDR:PORT" to stderr, with the port
// actually bound (the way to learn it when the port given was 0).
int run_echo(const EchoOptions& options);

}  // namespace gatehouse::app
