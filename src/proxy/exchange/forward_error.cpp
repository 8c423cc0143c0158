#include "proxy/exchange/forward_error.h"

namespace gatehouse::proxy {

int status_of(const ForwardError& error) {
  using W = ForwardError::What;
  switch (error.what) {
    case W::kNone:
    case W::kClientGone:
      return 0;
    case W::kClientBody:
      return 400;
    case W::kNoEndpoint:
      return 503;
    case W::kTimeout:
      return 504;
    case W::kConnect:
    case W::kTlsHandshake:
    case W::kReset:
    case W::kProtocol:
    case W::kRefused:
      return 502;
  }
  return 502;
}

bool counts_against_pod(const ForwardError& error) {
  using W = ForwardError::What;
  return error.side == ForwardError::Side::kPod && error.what != W::kTimeout &&
         error.what != W::kNoEndpoint && error.what != W::kProtocol;
}

const char* to_string(ForwardError::What what) {
  using W = ForwardError::What;
  switch (what) {
    case W::kNone: return "none";
    case W::kNoEndpoint: return "no_endpoint";
    case W::kConnect: return "connect";
    case W::kTlsHandshake: return "tls_handshake";
    case W::kTimeout: return "timeout";
    case W::kReset: return "reset";
    case W::kProtocol: return "protocol";
    case W::kRefused: return "refused";
    case W::kClientGone: return "client_gone";
    case W::kClientBody: return "client_body";
  }
  return "unknown";
}

}  // namespace gatehouse::proxy
