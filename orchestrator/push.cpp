#include "orchestrator/push.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "metrics/metrics.hpp"
#include "metrics/server.hpp"
#include "providers/http_client.hpp"

namespace emosweep::orchestrator {
namespace {
// The part of a gateway's reply kept for a non-2xx status (the Pushgateway explains there).
constexpr std::size_t kReplyExcerpt = 300;
}  // namespace

std::string PushResult::describe() const {
  if (status > 0) {
    return error.empty() ? fmt::format("HTTP {}", status)
                         : fmt::format("HTTP {}: {}", status, error);
  }
  return error.empty() ? "no answer" : error;
}

PushResult push_to_gateway(const metrics::SweepMetrics& metrics, std::string_view url,
                           std::string_view job, const std::map<std::string, std::string>& grouping,
                           std::chrono::milliseconds timeout) {
  const metrics::PushRequest push =
      metrics::push_request(*metrics.collectable(), url, job, grouping);
  providers::HttpRequest request;
  request.method = "POST";
  request.url = push.url;
  request.headers.emplace_back("content-type", std::string(metrics::PushRequest::content_type));
  request.headers.emplace_back("user-agent", "emosweep/" EMOSWEEP_VERSION);
  request.body = push.body;

  providers::HttpClientConfig config;
  config.connect_timeout = timeout;
  config.request_timeout = timeout;
  config.max_connections = 1;
  config.max_response_bytes = 64 * 1024;
  boost::asio::io_context io;
  providers::HttpClient client(io.get_executor(), config);
  auto sent = boost::asio::co_spawn(io, client.send(std::move(request)), boost::asio::use_future);
  io.run();
  const providers::HttpResult r = sent.get();

  PushResult result;
  if (!r.ok()) {
    result.error = r.error == providers::TransportError::timeout ? "timed out" : r.detail;
    return result;
  }
  result.status = static_cast<int>(r.response.status);
  if (!result.ok()) {
    const std::string_view body = r.response.body;
    result.error = std::string(body.substr(0, std::min(body.find_first_of("\r\n"), kReplyExcerpt)));
  }
  return result;
}

}  // namespace emosweep::orchestrator
