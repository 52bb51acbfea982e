// Test support: a real Prometheus server (Debian's `prometheus`) on 127.0.0.1, started and
// stopped by the test, plus the small pieces it needs (a child process, an HTTP GET, a free
// port). Reusable by any suite that wants to scrape emosweep for real.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

namespace emosweep::metrics::testing {

struct HttpResponse {
  int status = 0;
  std::string body;
};

// GET http://127.0.0.1:PORT/PATH (HTTP/1.0, read to EOF). Throws std::runtime_error when the
// connection fails or the whole exchange takes longer than `timeout`.
HttpResponse http_get(std::uint16_t port, std::string_view path,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Percent-encodes everything but unreserved characters (RFC 3986).
std::string url_encode(std::string_view s);

// A loopback port that was free a moment ago (the caller retries if it is taken meanwhile).
std::uint16_t free_loopback_port();

// A scratch directory removed with its contents on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(std::string_view prefix = "emosweep-metrics-test");
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A child process with stdout and stderr in a log file. It gets SIGTERM if the test process
// dies; the destructor stops it (SIGTERM, then SIGKILL after a grace period) and reaps it.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::string log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // True while the process has not exited (reaps it when it has).
  bool running();
  // SIGTERM, wait up to `grace`, then SIGKILL. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // The last `max_bytes` of the log, for failure messages.
  std::string log_tail(std::size_t max_bytes = 4000) const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string log_path_;
};

// Polls GET PORT/PATH until it answers 200 or `timeout` passes; false if `child` exits first.
bool wait_until_ready(ChildProcess& child, std::uint16_t port, std::string_view path,
                      std::chrono::milliseconds timeout);

// One sample of an instant-vector result.
struct Sample {
  std::map<std::string, std::string> labels;  // including __name__ when present
  double value = 0;
};

// A parsed answer of the Prometheus HTTP API. Move-only (owns the parser).
class ApiResponse {
 public:
  ApiResponse(int http_status, std::string body);
  int http_status() const { return http_status_; }
  const std::string& body() const { return body_; }
  // "success" or "error" (empty when the body is not JSON).
  const std::string& status() const { return status_; }
  const std::string& error() const { return error_; }
  // The "data" member of the answer (valid while this object lives).
  simdjson::dom::element data() const { return data_; }
  // For /api/v1/query answers of type "vector" (scalars become one sample without labels).
  std::vector<Sample> samples() const;

 private:
  int http_status_;
  std::string body_;
  std::unique_ptr<simdjson::dom::parser> parser_;
  simdjson::dom::element data_;
  std::string status_;
  std::string error_;
};

// A real Prometheus on 127.0.0.1 with an ephemeral port and a temporary storage directory,
// scraping `targets` (job `job`) every `scrape_interval` and evaluating `rule_files`.
// The constructor returns once /-/ready answers; the destructor stops the server and removes
// its files. Not thread-safe.
class PrometheusServer {
 public:
  struct Options {
    std::vector<std::string> targets;  // "127.0.0.1:PORT"
    std::string job = "emosweep";
    std::chrono::seconds scrape_interval{1};
    std::vector<std::string> rule_files;  // absolute paths
    std::chrono::seconds start_timeout{60};
    std::string binary = "prometheus";
  };
  explicit PrometheusServer(Options options);
  ~PrometheusServer();

  std::uint16_t port() const { return port_; }
  // GET /api/v1/query?query=PROMQL (evaluated now).
  ApiResponse query(std::string_view promql) const;
  // GET of any API path, e.g. "/api/v1/rules".
  ApiResponse get(std::string_view path) const;
  // Polls query(promql) until it returns at least one sample; returns the last answer.
  ApiResponse wait_for_samples(std::string_view promql, std::chrono::milliseconds timeout) const;
  std::string log_tail() const { return process_ ? process_->log_tail() : std::string(); }

 private:
  Options options_;
  std::unique_ptr<ScratchDir> dir_;
  std::unique_ptr<ChildProcess> process_;
  std::uint16_t port_ = 0;
};

}  // namespace emosweep::metrics::testing
