// The final push of a run's metrics to a Prometheus Pushgateway (--pushgateway), sent with
// the providers' HTTP client: the same TLS verification (system CA store, SNI), proxies from
// the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) and deadlines as provider requests.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace emosweep::metrics {
class SweepMetrics;
}

namespace emosweep::orchestrator {

struct PushResult {
  // The gateway's HTTP status; 0 when no HTTP answer arrived (see `error`).
  int status = 0;
  // Why there was no answer: "timed out", or the HTTP client's one-line reason ("connecting
  // to 127.0.0.1:9091: Connection refused"). For a non-2xx status, the start of the reply.
  std::string error;
  bool ok() const { return status >= 200 && status < 300; }
  // "HTTP 200", "HTTP 400: <reply>", "timed out", "connecting to ...".
  std::string describe() const;
};

// Pushes the current state of `metrics` (metrics::push_request says where and what).
// Everything — resolving, connecting, TLS, sending, the reply — takes at most `timeout`.
// Bad arguments are an InputError; network failures are in the result, never thrown.
PushResult push_to_gateway(const metrics::SweepMetrics& metrics, std::string_view url,
                           std::string_view job,
                           const std::map<std::string, std::string>& grouping = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace emosweep::orchestrator
