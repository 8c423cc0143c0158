// Why an exchange failed, as one value (issue 14 item 4): what failed, on which side, and whether
// sending the request again is allowed. forward() maps it to the client's status in one place
// (status_of) and keeps it for the exchange's record (the access log reads it).
#pragma once

#include <cstdint>
#include <string_view>

namespace gatehouse::proxy {

struct ForwardError {
  enum class What : std::uint8_t {
    kNone,
    kNoEndpoint,    // the cluster has no endpoint left to try
    kConnect,       // TCP connect refused or unreachable
    kTlsHandshake,  // the pod's TLS handshake failed
    kTimeout,       // a deadline passed (connect, response head, body)
    kReset,         // the pod closed or reset before the exchange ended
    kProtocol,      // the pod's response could not be read (a bad head, bad framing)
    kRefused,       // the pod's HTTP/2 connection refused a new stream
    kClientGone,    // the client went away (or reset its stream)
    kClientBody,    // the client's request body was malformed
  };
  enum class Side : std::uint8_t { kPod, kClient };
  enum class Retry : std::uint8_t {
    kNo,
    kIfReused,  // nothing was received on a pooled connection: a bodyless idempotent request
                // may be sent again on a new one (the pod may have closed it while it sat idle)
  };

  What what = What::kNone;
  Side side = Side::kPod;
  Retry retry = Retry::kNo;
  std::string_view detail;  // a static text for the error page and the log

  explicit operator bool() const { return what != What::kNone; }

  static ForwardError pod(What what, std::string_view detail, Retry retry = Retry::kNo) {
    return {what, Side::kPod, retry, detail};
  }
  static ForwardError client(What what, std::string_view detail = {}) {
    return {what, Side::kClient, Retry::kNo, detail};
  }
};

// The status gatehouse answers for `error` when no response has started: 504 for a pod that ran
// out of time, 503 for no endpoint, 400 for a malformed request body, else 502. 0: answer
// nothing (the client is gone).
int status_of(const ForwardError& error);

// The endpoint's health record counts this failure against it (a timeout or a client's fault
// does not).
bool counts_against_pod(const ForwardError& error);

const char* to_string(ForwardError::What what);

}  // namespace gatehouse::proxy
