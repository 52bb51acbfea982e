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

// A push to a Pushgateway, ready to send (orchestrator/push.hpp sends it with the providers'
// HTTP client): POST `url` = the gateway + /metrics/job/<job>/<key>/<value>... (replacing the
// families pushed before for that grouping key) with the text exposition format 0.0.4.
struct PushRequest {
  std::string url;
  std::string body;
  static constexpr std::string_view content_type = "text/plain; version=0.0.4";
};
// Validates and serializes: `gateway` as parse_pushgateway_url accepts, `job` and grouping
// values matching [A-Za-z0-9._-]+, grouping keys label names other than "job"; otherwise
// InputError.
PushRequest push_request(const prometheus::Collectable& collectable, std::string_view gateway,
                         std::string_view job,
                         const std::map<std::string, std::string>& grouping = {});

}  // namespace emosweep::metrics
