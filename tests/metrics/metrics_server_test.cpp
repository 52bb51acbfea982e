// MetricsServer (/metrics on 127.0.0.1, ephemeral ports, `off`, bind failures) and the
// push-gateway client's validation and failure reporting.
#include <chrono>
#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "metrics/metrics.hpp"
#include "metrics/server.hpp"
#include "tests/metrics/exposition.hpp"
#include "tests/metrics/prometheus_server.hpp"

namespace emosweep::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Runs `f` and returns the InputError message it throws ("" when it does not throw).
template <typename F>
std::string input_error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return {};
}

TEST(MetricsServer, ServesMetricsOnAnEphemeralPort) {
  SweepMetrics m("9.9.9");
  auto& requests = m.model("openai", "gpt-4o").requests(RequestCode::http(200));
  requests.Increment(41);
  MetricsServer server("127.0.0.1:0", m);
  ASSERT_TRUE(server.enabled());
  ASSERT_NE(server.port(), 0);
  EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(server.port()) + "/metrics");

  auto r = testing::http_get(server.port(), "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("emosweep_build_info{version=\"9.9.9\"} 1\n"));
  EXPECT_THAT(r.body, HasSubstr("# TYPE process_open_fds gauge"));
  const std::map<std::string, std::string> labels{
      {"endpoint", "openai"}, {"model", "gpt-4o"}, {"code", "200"}};
  EXPECT_EQ(testing::parse_exposition(r.body).value("emosweep_requests_total", labels), 41);

  // Live: a later scrape sees later updates.
  requests.Increment();
  r = testing::http_get(server.port(), "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(testing::parse_exposition(r.body).value("emosweep_requests_total", labels), 42);

  EXPECT_EQ(testing::http_get(server.port(), "/nothing-here").status, 404);
}

TEST(MetricsServer, OffServesNothing) {
  SweepMetrics m("9.9.9");
  MetricsServer server("off", m);
  EXPECT_FALSE(server.enabled());
  EXPECT_EQ(server.port(), 0);
  EXPECT_EQ(server.url(), "");
}

TEST(MetricsServer, BindFailureIsAnInputErrorNamingTheAddress) {
  SweepMetrics m("9.9.9");
  MetricsServer first("127.0.0.1:0", m);
  const std::string taken = "127.0.0.1:" + std::to_string(first.port());
  const std::string message = input_error_of([&] { MetricsServer second(taken, m); });
  EXPECT_THAT(message, HasSubstr(taken));
  EXPECT_EQ(message.find('\n'), std::string::npos);
  // The first server is unaffected.
  EXPECT_EQ(testing::http_get(first.port(), "/metrics").status, 200);
}

TEST(MetricsServer, KeepsServingAfterTheMetricsObjectIsGone) {
  auto m = std::make_unique<SweepMetrics>("9.9.9");
  m->cache_lookups(CacheResult::hit).Increment(3);
  MetricsServer server("127.0.0.1:0", *m);
  m.reset();
  const auto r = testing::http_get(server.port(), "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("emosweep_cache_lookups_total{result=\"hit\"} 3"));
}

TEST(MetricsAddress, Parses) {
  EXPECT_EQ(parse_metrics_address("off"), std::nullopt);
  auto a = parse_metrics_address(default_metrics_address);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->to_string(), "127.0.0.1:9464");
  a = parse_metrics_address("127.0.0.1:9464");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9464);
  EXPECT_EQ(a->to_string(), "127.0.0.1:9464");
  a = parse_metrics_address("0.0.0.0:0");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "0.0.0.0");
  EXPECT_EQ(a->port, 0);
  a = parse_metrics_address("localhost:65535");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 65535);
  a = parse_metrics_address("[::1]:9464");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "[::1]");
}

TEST(MetricsAddress, RejectsMalformedAddressesNamingThem) {
  for (const char* bad :
       {"", "9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:94x",
        "example.com:9464", "999.1.1.1:80", ":9464", "[::1:9464", "OFF"}) {
    const std::string message = input_error_of([&] { parse_metrics_address(bad); });
    EXPECT_THAT(message, HasSubstr("'" + std::string(bad) + "'")) << bad;
  }
  SweepMetrics m("9.9.9");
  EXPECT_THAT(input_error_of([&] { MetricsServer s("nonsense", m); }), HasSubstr("nonsense"));
}

TEST(Pushgateway, ParsesUrls) {
  auto u = parse_pushgateway_url("http://127.0.0.1:9091");
  EXPECT_EQ(u.scheme_and_host, "http://127.0.0.1");
  EXPECT_EQ(u.port, "9091");
  u = parse_pushgateway_url("https://push.example.com/");
  EXPECT_EQ(u.scheme_and_host, "https://push.example.com");
  EXPECT_EQ(u.port, "443");
  u = parse_pushgateway_url("http://pushgateway");
  EXPECT_EQ(u.port, "80");
  u = parse_pushgateway_url("http://[::1]:9091");
  EXPECT_EQ(u.scheme_and_host, "http://[::1]");
}

TEST(Pushgateway, RejectsBadUrlsWithoutEchoingCredentials) {
  for (const char* bad : {"127.0.0.1:9091", "ftp://host:21", "http://host:9091/metrics/job/x",
                          "http://host:9091?x=1", "not a url", "http://:9091"}) {
    EXPECT_THAT(input_error_of([&] { parse_pushgateway_url(bad); }), StartsWith("--pushgateway"))
        << bad;
  }
  const std::string message =
      input_error_of([] { parse_pushgateway_url("http://user:hunter2-secret@host:9091"); });
  EXPECT_THAT(message, StartsWith("--pushgateway"));
  EXPECT_THAT(message, Not(HasSubstr("hunter2")));
}

TEST(Pushgateway, ValidatesJobAndGroupingBeforeSending) {
  SweepMetrics m("9.9.9");
  const std::string url = "http://127.0.0.1:9";
  EXPECT_THAT(input_error_of([&] { push_to_gateway(m, url, "a/b"); }), HasSubstr("job"));
  EXPECT_THAT(input_error_of([&] { push_to_gateway(m, url, ""); }), HasSubstr("job"));
  EXPECT_THAT(input_error_of([&] {
                push_to_gateway(m, url, "emosweep", {{"job", "x"}});
              }),
              HasSubstr("grouping key 'job'"));
  EXPECT_THAT(input_error_of([&] {
                push_to_gateway(m, url, "emosweep", {{"1x", "x"}});
              }),
              HasSubstr("grouping key '1x'"));
  EXPECT_THAT(input_error_of([&] {
                push_to_gateway(m, url, "emosweep", {{"shard", "a b"}});
              }),
              HasSubstr("grouping value for 'shard'"));
}

TEST(Pushgateway, ReportsAnUnreachableGateway) {
  SweepMetrics m("9.9.9");
  // A port that was just free on loopback: nothing listens, so the connection is refused.
  const auto port = testing::free_loopback_port();
  const auto result = push_to_gateway(m, "http://127.0.0.1:" + std::to_string(port), "emosweep", {},
                                      std::chrono::seconds(30));
  EXPECT_FALSE(result.ok());
  EXPECT_LT(result.status, 0);
  EXPECT_THAT(result.describe(), StartsWith("curl error"));
}

TEST(Pushgateway, DescribesResults) {
  EXPECT_TRUE(PushResult{200}.ok());
  EXPECT_TRUE(PushResult{202}.ok());
  EXPECT_FALSE(PushResult{400}.ok());
  EXPECT_FALSE(PushResult{0}.ok());
  EXPECT_EQ(PushResult{400}.describe(), "HTTP 400");
  EXPECT_EQ(PushResult{-7}.describe(), "curl error 7");
  EXPECT_EQ(PushResult{0}.describe(), "timed out");
}

}  // namespace
}  // namespace emosweep::metrics
