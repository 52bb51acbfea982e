// Serving and pushing metrics: the /metrics endpoint behind --metrics-addr and the final push
// behind --pushgateway.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <prometheus/collectable.h>

namespace prometheus {
class Exposer;
}

namespace emosweep::metrics {

class SweepMetrics;

// --metrics-addr when not given (DESIGN.md §4): loopback only.
inline constexpr std::string_view default_metrics_address = "127.0.0.1:9464";

struct MetricsAddress {
  std::string host;  // an IPv4 literal, or an IPv6 literal in brackets
  std::uint16_t port = 0;
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

// Parses --metrics-addr: "HOST:PORT" (port 0 picks a free one) or "off" (nullopt). HOST is
// an IPv4 address, "[IPv6]" or "localhost" (127.0.0.1). Throws InputError naming `text`.
std::optional<MetricsAddress> parse_metrics_address(std::string_view text);

// Serves everything `collectable` returns at http://HOST:PORT/metrics (text format 0.0.4) on
// prometheus-cpp's own HTTP threads (civetweb; two of them), which call Collect() during
// scrapes. Owns a reference to the collectable, so it may outlive the SweepMetrics that made it.
// Thread-safety: const members may be called from any thread. Not copyable or movable.
class MetricsServer {
 public:
  // `address` as for parse_metrics_address(); "off" makes a disabled server. Throws
  // InputError naming the address when it is malformed or cannot be bound (in use, not local).
  MetricsServer(std::string_view address, std::shared_ptr<prometheus::Collectable> collectable);
  MetricsServer(std::string_view address, const SweepMetrics& metrics);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  bool enabled() const { return exposer_ != nullptr; }
  // The bound port (the real one when 0 was asked for); 0 when disabled.
  std::uint16_t port() const { return port_; }
  // "http://HOST:PORT/metrics"; empty when disabled.
  std::string url() const;

 private:
  std::shared_ptr<prometheus::Collectable> collectable_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string host_;
  std::uint16_t port_ = 0;
};

// Where --pushgateway points: "http[s]://HOST[:PORT][/]". No path, query or credentials.
struct PushgatewayUrl {
  std::string scheme_and_host;  // "http://127.0.0.1", "https://[::1]": the URL without its port
  std::string port;             // "9091"; the scheme's default when absent
};
// Throws InputError naming the problem (never echoing credentials).
PushgatewayUrl parse_pushgateway_url(std::string_view url);

struct PushResult {
  // The gateway's HTTP status; 0 when no HTTP answer arrived (see `error`).
  int status = 0;
  // Why there was no answer: "timed out", or the failed step and its system or TLS message
  // ("connect: Connection refused"). For a non-2xx status, the start of the gateway's reply.
  std::string error;
  bool ok() const { return status >= 200 && status < 300; }
  // "HTTP 200", "HTTP 400: <reply>", "timed out", "connect: Connection refused".
  std::string describe() const;
};

// Pushes the current state of `collectable` (text format 0.0.4) to the gateway at `url` under
// /metrics/job/<job>/<key>/<value>... (POST: replaces the families pushed before for that
// grouping key), over HTTP/1.1, or HTTPS verifying the gateway's certificate against the system
// CA store. Resolving, connecting, the TLS handshake, sending and reading the reply together
// take at most `timeout`; the result is then "timed out", and nothing is left running but a
// name lookup glibc cannot cancel. `job` and grouping values must match [A-Za-z0-9._-]+ and
// grouping keys be label names other than "job"; otherwise InputError. Never throws for
// network failures: they are in the result.
PushResult push_to_gateway(std::shared_ptr<prometheus::Collectable> collectable,
                           std::string_view url, std::string_view job,
                           const std::map<std::string, std::string>& grouping = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));
PushResult push_to_gateway(const SweepMetrics& metrics, std::string_view url, std::string_view job,
                           const std::map<std::string, std::string>& grouping = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace emosweep::metrics
