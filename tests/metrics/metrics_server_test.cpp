// MetricsServer (/metrics on 127.0.0.1, ephemeral ports, `off`, bind failures) and the
// push-gateway client: validation, the request it sends (HTTP and verified HTTPS, against small
// servers in this file), its deadline and its failure reporting.
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/error.hpp"
#include "metrics/metrics.hpp"
#include "metrics/server.hpp"
#include "orchestrator/push.hpp"
#include "tests/metrics/exposition.hpp"
#include "tests/metrics/prometheus_server.hpp"

namespace emosweep::metrics {
namespace {

using orchestrator::push_to_gateway;
using orchestrator::PushResult;

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

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
  EXPECT_EQ(result.status, 0);
  EXPECT_THAT(result.error, Not(IsEmpty()));
  EXPECT_THAT(result.describe(), StartsWith("connecting to 127.0.0.1:"));
  EXPECT_THAT(result.describe(), HasSubstr("refused"));
}

TEST(Pushgateway, ReportsAnUnknownHost) {
  SweepMetrics m("9.9.9");
  const auto result = push_to_gateway(m, "http://no-such-host.invalid:9091", "emosweep", {},
                                      std::chrono::seconds(3));
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status, 0);
  EXPECT_THAT(result.describe(), AnyOf(StartsWith("resolving no-such-host.invalid:9091: "),
                                       "timed out"));  // a DNS server that does not answer
}

PushResult push_result(int status, std::string error = {}) {
  PushResult r;
  r.status = status;
  r.error = std::move(error);
  return r;
}

TEST(Pushgateway, DescribesResults) {
  EXPECT_TRUE(push_result(200).ok());
  EXPECT_TRUE(push_result(202).ok());
  EXPECT_FALSE(push_result(400).ok());
  EXPECT_FALSE(push_result(0).ok());
  EXPECT_FALSE(push_result(0, "timed out").ok());
  EXPECT_EQ(push_result(200).describe(), "HTTP 200");
  EXPECT_EQ(push_result(400).describe(), "HTTP 400");
  EXPECT_EQ(push_result(400, "pushed metrics are invalid").describe(),
            "HTTP 400: pushed metrics are invalid");
  EXPECT_EQ(push_result(0, "timed out").describe(), "timed out");
  EXPECT_EQ(push_result(0, "connecting to 127.0.0.1:9: Connection refused").describe(),
            "connecting to 127.0.0.1:9: Connection refused");
  EXPECT_EQ(PushResult().describe(), "no answer");
}

// A TCP listener on 127.0.0.1 that accepts connections and never reads or answers.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::listen(fd_, 8) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("SilentServer: cannot listen");
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 20) == 1) {
          const int c = ::accept(fd_, nullptr, nullptr);
          if (c >= 0) accepted_.push_back(c);
        }
      }
    });
  }
  ~SilentServer() {
    stop_ = true;
    thread_.join();
    for (int c : accepted_)
      ::close(c);
    ::close(fd_);
  }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<int> accepted_;  // owned by the thread until it is joined
  std::thread thread_;
};

TEST(Pushgateway, GivesUpAtTheDeadlineWhenTheGatewayNeverAnswers) {
  SweepMetrics m("9.9.9");
  SilentServer silent;
  for (const char* scheme : {"http", "https"}) {  // https: stuck in the TLS handshake
    const auto result = push_to_gateway(m, fmt::format("{}://127.0.0.1:{}", scheme, silent.port()),
                                        "emosweep", {}, std::chrono::milliseconds(300));
    EXPECT_FALSE(result.ok()) << scheme;
    EXPECT_EQ(result.status, 0) << scheme;
    EXPECT_EQ(result.describe(), "timed out") << scheme;
  }
}

// A throwaway PKI made with the `openssl` CLI: a CA and a server certificate for `localhost`
// only (no IP address) signed by it.
class TestPki {
 public:
  TestPki() : dir_("emosweep-push-pki") {
    run("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key "
        "-out ca.pem -days 2 -subj /CN=emosweep-test-ca "
        "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign");
    std::ofstream(dir_.path() + "/server.ext")
        << "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n";
    run("req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key "
        "-out server.csr -subj /CN=localhost");
    run("x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
        "-out server.pem -extfile server.ext");
  }
  std::string ca_file() const { return dir_.path() + "/ca.pem"; }
  std::string certificate() const { return dir_.path() + "/server.pem"; }
  std::string key() const { return dir_.path() + "/server.key"; }

 private:
  void run(const std::string& args) const {
    const std::string command =
        "cd '" + dir_.path() + "' && openssl " + args + " >>openssl.log 2>&1";
    if (std::system(command.c_str()) != 0) {
      throw std::runtime_error("openssl failed: openssl " + args);
    }
  }
  testing::ScratchDir dir_;
};

// Sets SSL_CERT_FILE and SSL_CERT_DIR (the system CA store OpenSSL uses) for a scope.
class ScopedCaStore {
 public:
  explicit ScopedCaStore(const std::string& file) {
    for (const char* name : {"SSL_CERT_FILE", "SSL_CERT_DIR"}) {
      const char* old = std::getenv(name);
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    }
    ::setenv("SSL_CERT_FILE", file.c_str(), 1);
    ::setenv("SSL_CERT_DIR", "/nonexistent", 1);
  }
  ~ScopedCaStore() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  ScopedCaStore(const ScopedCaStore&) = delete;
  ScopedCaStore& operator=(const ScopedCaStore&) = delete;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// Answers one request with `status` and `reply`, over TLS when given a PKI, and records it.
class OneShotServer {
 public:
  OneShotServer(int status, std::string reply, const TestPki* pki = nullptr,
                const tcp::endpoint& at = {asio::ip::address_v4::loopback(), 0})
      : acceptor_(io_, at) {
    if (pki) {
      tls_.emplace(asio::ssl::context::tls_server);
      tls_->use_certificate_chain_file(pki->certificate());
      tls_->use_private_key_file(pki->key(), asio::ssl::context::pem);
    }
    thread_ = std::thread([this, status, reply = std::move(reply)] { serve(status, reply); });
  }
  ~OneShotServer() { finish(); }
  OneShotServer(const OneShotServer&) = delete;
  OneShotServer& operator=(const OneShotServer&) = delete;

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  // "scheme://host:port" of this server, e.g. url("https://localhost").
  std::string url(std::string_view scheme_host) const {
    return fmt::format("{}:{}", scheme_host, port());
  }
  // Waits for the exchange to end. The request is empty when none arrived.
  const http::request<http::string_body>& request() {
    finish();
    return request_;
  }
  // The name the client asked for in its TLS handshake (SNI); empty when none.
  const std::string& server_name() {
    finish();
    return server_name_;
  }

 private:
  void finish() {
    if (!thread_.joinable()) return;
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes a still-blocked accept()
    thread_.join();
  }
  template <typename Stream>
  void exchange(Stream& stream, int status, const std::string& reply) {
    boost::beast::flat_buffer buffer;
    boost::system::error_code ec;
    http::read(stream, buffer, request_, ec);
    if (ec) return;
    http::response<http::string_body> response{static_cast<http::status>(status), 11};
    response.body() = reply;
    response.prepare_payload();
    http::write(stream, response, ec);
  }
  void serve(int status, const std::string& reply) {
    boost::system::error_code ec;
    tcp::socket socket(io_);
    acceptor_.accept(socket, ec);
    if (ec) return;
    if (!tls_) return exchange(socket, status, reply);
    asio::ssl::stream<tcp::socket&> stream(socket, *tls_);
    stream.handshake(asio::ssl::stream_base::server, ec);
    if (const char* name =
            ::SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) {
      server_name_ = name;
    }
    if (!ec) exchange(stream, status, reply);
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::optional<asio::ssl::context> tls_;
  http::request<http::string_body> request_;
  std::string server_name_;
  std::thread thread_;
};

TEST(Pushgateway, PostsTheExpositionUnderTheJobAndGroupingPath) {
  SweepMetrics m("9.9.9");
  m.cache_lookups(CacheResult::hit).Increment(3);
  OneShotServer gateway(200, "");
  const auto result = push_to_gateway(m, gateway.url("http://127.0.0.1") + "/", "emosweep",
                                      {{"sweep", "nightly-1"}, {"instance", "shard_0"}});
  EXPECT_TRUE(result.ok()) << result.describe();
  EXPECT_EQ(result.describe(), "HTTP 200");
  EXPECT_THAT(result.error, IsEmpty());

  const auto& r = gateway.request();
  EXPECT_EQ(r.method(), http::verb::post);
  EXPECT_EQ(r.version(), 11);
  // Grouping pairs in key order, as the map holds them.
  EXPECT_EQ(r.target(), "/metrics/job/emosweep/instance/shard_0/sweep/nightly-1");
  EXPECT_EQ(r[http::field::host], "127.0.0.1:" + std::to_string(gateway.port()));
  EXPECT_EQ(r[http::field::content_type], "text/plain; version=0.0.4");
  EXPECT_EQ(r[http::field::content_length], std::to_string(r.body().size()));
  EXPECT_THAT(r.body(), HasSubstr("emosweep_build_info{version=\"9.9.9\"} 1\n"));
  EXPECT_EQ(testing::parse_exposition(r.body()).value("emosweep_cache_lookups_total",
                                                      {{"result", "hit"}}),
            3);
}

TEST(Pushgateway, ReportsTheGatewaysRefusal) {
  SweepMetrics m("9.9.9");
  OneShotServer gateway(400, "pushed metrics are invalid or inconsistent\nsecond line");
  const auto result = push_to_gateway(m, gateway.url("http://127.0.0.1"), "emosweep");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status, 400);
  EXPECT_EQ(result.describe(), "HTTP 400: pushed metrics are invalid or inconsistent");
}

// A TLS gateway whose certificate (for localhost) comes from a throwaway CA; each test says
// which CA store the client trusts.
class PushgatewayTls : public ::testing::Test {
 protected:
  PushResult push(std::string_view scheme_host) {
    return push_to_gateway(metrics_, gateway_.url(scheme_host), "emosweep");
  }
  SweepMetrics metrics_{"9.9.9"};
  TestPki pki_;
  OneShotServer gateway_{200, "", &pki_};
};

TEST_F(PushgatewayTls, PushesToAVerifiedGateway) {
  ScopedCaStore store(pki_.ca_file());
  const auto result = push("https://localhost");
  EXPECT_TRUE(result.ok()) << result.describe();
  EXPECT_EQ(gateway_.server_name(), "localhost");
  EXPECT_EQ(gateway_.request()[http::field::host], "localhost:" + std::to_string(gateway_.port()));
  EXPECT_EQ(gateway_.request().target(), "/metrics/job/emosweep");
}

TEST_F(PushgatewayTls, RefusesAGatewayWhoseCertificateDoesNotMatch) {
  ScopedCaStore store(pki_.ca_file());
  const auto result = push("https://127.0.0.1");  // the certificate names localhost
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.describe(), StartsWith("TLS handshake with "));
  EXPECT_THAT(result.describe(), HasSubstr("IP address mismatch"));
  EXPECT_EQ(gateway_.request().target(), "");  // nothing was sent
}

TEST_F(PushgatewayTls, RefusesAGatewayNoTrustedCaVouchesFor) {
  ScopedCaStore store("/nonexistent/ca.pem");  // an empty system store
  const auto result = push("https://localhost");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.describe(), StartsWith("TLS handshake with "));
  EXPECT_THAT(result.describe(), HasSubstr("certificate"));
  EXPECT_EQ(gateway_.request().target(), "");
}

}  // namespace
}  // namespace emosweep::metrics
