// Closed-loop HTTP throughput of providers::HttpClient: `--connections` coroutines each send
// one request after another over a keep-alive pool of that size, for `--duration` seconds
// after a warm-up, on one thread. Prints one JSON object (requests/s and counts) on stdout.
// bench/http_throughput.sh runs it next to wrk against the same nginx. Also reports the CPU
// time (user and system) per request over the whole run, a figure less sensitive to a busy
// machine than requests/s.
#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/json.hpp"
#include "providers/http_client.hpp"

namespace {

namespace asio = boost::asio;
using emosweep::providers::HttpClient;
using emosweep::providers::HttpRequest;
using emosweep::providers::HttpResult;
using emosweep::providers::TransportError;
using Clock = std::chrono::steady_clock;

struct Counts {
  std::uint64_t all = 0;      // every completed send(), warm-up included (CPU per request)
  std::uint64_t ok = 0;       // 2xx responses inside the measured window
  std::uint64_t non_2xx = 0;  // other statuses inside the window
  std::uint64_t errors = 0;   // transport errors inside the window
  std::string first_error;
};

asio::awaitable<void> worker(HttpClient& client, const HttpRequest& request,
                             Clock::time_point measure_from, Clock::time_point until,
                             Counts& counts) {
  while (Clock::now() < until) {
    HttpResult r = co_await client.send(request);
    ++counts.all;
    const auto now = Clock::now();
    if (now < measure_from || now > until) continue;
    if (r.error != TransportError::none) {
      ++counts.errors;
      if (counts.first_error.empty()) counts.first_error = r.detail;
    } else if (r.response.status / 100 == 2) {
      ++counts.ok;
    } else {
      ++counts.non_2xx;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"HttpClient closed-loop throughput against one URL"};
  std::string url;
  std::size_t connections = 64;
  double duration = 10, warmup = 1;
  std::string method = "POST";
  std::string body = R"({"model":"bench","messages":[{"role":"user","content":"hi"}]})";
  std::vector<std::string> headers;
  app.add_option("--url", url, "absolute http(s) URL")->required();
  app.add_option("--connections", connections, "concurrent requests = pool size")
      ->check(CLI::Range(1, 100000));
  app.add_option("--duration", duration, "measured seconds")->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "seconds before measuring")->check(CLI::NonNegativeNumber);
  app.add_option("--method", method, "HTTP method");
  app.add_option("--body", body, "request body (sent with content-type application/json)");
  app.add_option("--header", headers, "extra header 'name: value' (repeatable)");
  CLI11_PARSE(app, argc, argv);

  emosweep::providers::raise_open_file_limit();
  HttpRequest request;
  request.method = method;
  request.url = url;
  if (!body.empty()) request.headers.emplace_back("content-type", "application/json");
  for (const auto& h : headers) {
    const auto colon = h.find(':');
    if (colon == std::string::npos) {
      std::fprintf(stderr, "http_client_bench: --header '%s' has no ':'\n", h.c_str());
      return 2;
    }
    auto value = h.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.erase(0, 1);
    request.headers.emplace_back(h.substr(0, colon), value);
  }
  request.body = body;

  asio::io_context io(1);
  emosweep::providers::HttpClientConfig config;
  config.max_connections = connections;
  config.proxy = emosweep::providers::ProxySettings{};  // measure the client, not a proxy
  HttpClient client(io.get_executor(), config);

  const auto start = Clock::now();
  const auto measure_from =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup));
  const auto until = measure_from + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(duration));
  Counts counts;
  for (std::size_t i = 0; i < connections; ++i)
    asio::co_spawn(io, worker(client, request, measure_from, until, counts), asio::detached);
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  io.run();
  getrusage(RUSAGE_SELF, &after);
  const auto cpu_us = [](const timeval& a, const timeval& b) {
    return static_cast<double>(b.tv_sec - a.tv_sec) * 1e6 +
           static_cast<double>(b.tv_usec - a.tv_usec);
  };
  const double per_request = counts.all ? 1.0 / static_cast<double>(counts.all) : 0.0;

  const auto stats = client.stats();
  const std::uint64_t completed = counts.ok + counts.non_2xx;
  emosweep::json::Writer out;
  out.begin_object()
      .field("connections", static_cast<std::uint64_t>(connections))
      .field("seconds", duration)
      .field("requests", completed)
      .field("rps", static_cast<double>(completed) / duration)
      .field("non_2xx", counts.non_2xx)
      .field("errors", counts.errors)
      .field("connections_opened", stats.connections_opened)
      .field("stale_retries", stats.stale_retries)
      .field("user_us_per_request", cpu_us(before.ru_utime, after.ru_utime) * per_request)
      .field("sys_us_per_request", cpu_us(before.ru_stime, after.ru_stime) * per_request);
  if (!counts.first_error.empty()) out.field("first_error", counts.first_error);
  out.end_object();
  std::printf("%s\n", out.str().c_str());
  return counts.errors == 0 ? 0 : 1;
}
