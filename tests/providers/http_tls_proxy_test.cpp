// HttpClient over TLS (a CA and certificates made by the test with the openssl CLI, a TLS
// server on 127.0.0.1) and through a real proxy (Debian tinyproxy started by the test).
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "providers/http_client.hpp"
#include "tests/providers/test_servers.hpp"

namespace emosweep::providers {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::get;
using testing::post;
using testing::send_all;
using testing::send_one;
using testing::ServerReply;
using testing::ServerRequest;
using testing::TestHttpServer;
using testing::TestPki;
using testing::Tinyproxy;

class HttpTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki = new TestPki(); }
  static void TearDownTestSuite() {
    delete pki;
    pki = nullptr;
  }
  static HttpClientConfig config(bool with_ca = true) {
    HttpClientConfig c;
    c.proxy = ProxySettings{};
    if (with_ca) c.ca_file = pki->ca_file().string();
    return c;
  }
  static inline TestPki* pki = nullptr;
};

ServerReply echo_target(const ServerRequest& r) {
  ServerReply reply;
  reply.body = r.target;
  return reply;
}

TEST_F(HttpTls, VerifiesAgainstTheCaFileByAddressAndByName) {
  TestHttpServer server(echo_target, pki->server());
  asio::io_context io;
  HttpClient client(io.get_executor(), config());
  for (int i = 0; i < 5; ++i) {
    const auto r = send_one(io, client, post(server.url("/v1/x"), "{}"));
    ASSERT_EQ(r.error, TransportError::none) << r.detail;
    EXPECT_EQ(r.response.body, "/v1/x");
  }
  EXPECT_EQ(client.stats().connections_opened, 1u);  // keep-alive over TLS
  EXPECT_EQ(server.last_sni(), "");                  // no SNI for an IP address

  const auto by_name = send_one(io, client, get(server.url("/named", "localhost")));
  ASSERT_EQ(by_name.error, TransportError::none) << by_name.detail;
  EXPECT_EQ(server.last_sni(), "localhost");
}

TEST_F(HttpTls, FailsWithoutTheCaFile) {
  TestHttpServer server(echo_target, pki->server());
  asio::io_context io;
  HttpClient client(io.get_executor(), config(/*with_ca=*/false));
  const auto r = send_one(io, client, get(server.url()));
  EXPECT_EQ(r.error, TransportError::tls) << r.detail;
  EXPECT_NE(r.detail.find("local issuer"), std::string::npos) << r.detail;
  EXPECT_EQ(server.requests(), 0u);
}

// A client told to expect plain http (the system store is then read only at its first TLS
// connection) still verifies a TLS server like any other client: by the CA file, and refuses
// one it cannot verify.
TEST_F(HttpTls, AClientExpectingPlainHttpStillVerifiesTls) {
  TestHttpServer server(echo_target, pki->server());
  asio::io_context io;
  auto trusting = config();
  trusting.expect_tls = false;
  HttpClient client(io.get_executor(), trusting);
  const auto ok = send_one(io, client, get(server.url("/lazy")));
  ASSERT_EQ(ok.error, TransportError::none) << ok.detail;
  EXPECT_EQ(ok.response.body, "/lazy");

  auto untrusting = config(/*with_ca=*/false);
  untrusting.expect_tls = false;
  HttpClient strict(io.get_executor(), untrusting);
  const auto refused = send_one(io, strict, get(server.url()));
  EXPECT_EQ(refused.error, TransportError::tls) << refused.detail;
}

TEST_F(HttpTls, FailsOnAHostNameMismatch) {
  TestHttpServer server(echo_target, pki->other_name());  // certificate for other.example
  asio::io_context io;
  HttpClient client(io.get_executor(), config());
  const auto by_address = send_one(io, client, get(server.url()));
  EXPECT_EQ(by_address.error, TransportError::tls) << by_address.detail;
  EXPECT_NE(by_address.detail.find("mismatch"), std::string::npos) << by_address.detail;
  const auto by_name = send_one(io, client, get(server.url("/", "localhost")));
  EXPECT_EQ(by_name.error, TransportError::tls) << by_name.detail;
  EXPECT_NE(by_name.detail.find("mismatch"), std::string::npos) << by_name.detail;
  EXPECT_EQ(server.requests(), 0u);
}

TEST_F(HttpTls, InsecureSkipVerifyIsExplicit) {
  TestHttpServer server(echo_target, pki->other_name());
  asio::io_context io;
  auto c = config(/*with_ca=*/false);
  c.insecure_skip_verify = true;
  HttpClient client(io.get_executor(), c);
  const auto r = send_one(io, client, get(server.url("/insecure")));
  ASSERT_EQ(r.error, TransportError::none) << r.detail;
  EXPECT_EQ(r.response.body, "/insecure");
}

TEST_F(HttpTls, UnreadableCaFileIsAnInputError) {
  asio::io_context io;
  auto c = config();
  c.ca_file = (pki->dir() / "missing.pem").string();
  try {
    HttpClient client(io.get_executor(), c);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("ca_file"), std::string::npos) << e.what();
  }
}

TEST_F(HttpTls, ClosedIdleTlsConnectionsAreRecovered) {
  TestHttpServer server(echo_target, pki->server());
  asio::io_context io;
  HttpClient client(io.get_executor(), config());
  ASSERT_EQ(send_one(io, client, get(server.url())).error, TransportError::none);
  EXPECT_EQ(server.close_idle_connections(1), 1u);
  const auto r = send_one(io, client, get(server.url("/again")));
  ASSERT_EQ(r.error, TransportError::none) << r.detail;
  EXPECT_EQ(client.stats().connections_opened, 2u);
}

class HttpProxy : public HttpTls {};

TEST_F(HttpProxy, PlainHttpGoesThroughTheProxyInAbsoluteForm) {
  std::mutex mutex;
  std::string via;
  TestHttpServer server([&](const ServerRequest& r) {
    std::lock_guard lock(mutex);
    via = std::string(find_header(r.headers, "via").value_or(""));
    return echo_target(r);
  });
  Tinyproxy proxy({});
  asio::io_context io;
  auto c = config();
  c.proxy = ProxySettings{.http_proxy = proxy.url(), .https_proxy = "", .no_proxy = ""};
  HttpClient client(io.get_executor(), c);
  for (int i = 0; i < 3; ++i) {
    const auto r = send_one(io, client, post(server.url("/v1/chat?x=1"), "{}"));
    ASSERT_EQ(r.error, TransportError::none) << r.detail;
    EXPECT_EQ(r.response.body, "/v1/chat?x=1");
  }
  std::lock_guard lock(mutex);
  EXPECT_NE(via.find("tinyproxy"), std::string::npos) << via;
  EXPECT_NE(proxy.log().find("POST http://127.0.0.1:" + std::to_string(server.port())),
            std::string::npos)
      << proxy.log();
}

TEST_F(HttpProxy, HttpsGoesThroughAConnectTunnel) {
  TestHttpServer server(echo_target, pki->server());
  Tinyproxy proxy({server.port()});
  asio::io_context io;
  auto c = config();
  c.proxy = ProxySettings{.http_proxy = "", .https_proxy = proxy.url(), .no_proxy = ""};
  HttpClient client(io.get_executor(), c);
  for (int i = 0; i < 3; ++i) {
    const auto r = send_one(io, client, get(server.url("/tunnelled")));
    ASSERT_EQ(r.error, TransportError::none) << r.detail;
    EXPECT_EQ(r.response.body, "/tunnelled");
  }
  EXPECT_EQ(client.stats().connections_opened, 1u);  // one tunnel, kept alive
  EXPECT_NE(proxy.log().find("CONNECT 127.0.0.1:" + std::to_string(server.port())),
            std::string::npos)
      << proxy.log();
}

TEST_F(HttpProxy, TheEnvironmentIsReadWhenNoSettingsAreGiven) {
  TestHttpServer server(echo_target, pki->server());
  Tinyproxy proxy({server.port()});
  const std::string proxy_url = proxy.url();
  testing::ScopedProxyEnv env{{"HTTPS_PROXY", proxy_url.c_str()}};
  asio::io_context io;
  auto c = config();
  c.proxy.reset();
  HttpClient client(io.get_executor(), c);
  const auto r = send_one(io, client, get(server.url("/env")));
  ASSERT_EQ(r.error, TransportError::none) << r.detail;
  EXPECT_NE(proxy.log().find("CONNECT 127.0.0.1:" + std::to_string(server.port())),
            std::string::npos)
      << proxy.log();
}

TEST_F(HttpProxy, NoProxyBypassesTheProxy) {
  std::mutex mutex;
  bool saw_via = false;
  TestHttpServer server([&](const ServerRequest& r) {
    std::lock_guard lock(mutex);
    saw_via = saw_via || find_header(r.headers, "via").has_value();
    return echo_target(r);
  });
  TestHttpServer tls_server(echo_target, pki->server());
  Tinyproxy proxy({tls_server.port()});
  asio::io_context io;
  auto c = config();
  c.proxy = ProxySettings{.http_proxy = proxy.url(),
                          .https_proxy = proxy.url(),
                          .no_proxy = "localhost,127.0.0.1:" + std::to_string(server.port()) +
                                      ",127.0.0.1:" + std::to_string(tls_server.port())};
  HttpClient client(io.get_executor(), c);
  const auto plain = send_one(io, client, get(server.url("/direct")));
  ASSERT_EQ(plain.error, TransportError::none) << plain.detail;
  const auto secure = send_one(io, client, get(tls_server.url("/direct")));
  ASSERT_EQ(secure.error, TransportError::none) << secure.detail;
  std::lock_guard lock(mutex);
  EXPECT_FALSE(saw_via);
  const auto log = proxy.log();
  // Only the readiness probe connected; no request line ("Request (fd): ...") was logged.
  EXPECT_EQ(log.find("/direct"), std::string::npos) << log;
  EXPECT_EQ(log.find("Request ("), std::string::npos) << log;
}

TEST_F(HttpProxy, ARefusedTunnelIsAProxyError) {
  TestHttpServer server(echo_target, pki->server());
  Tinyproxy proxy({1});  // CONNECT allowed to port 1 only
  asio::io_context io;
  auto c = config();
  c.proxy = ProxySettings{.http_proxy = "", .https_proxy = proxy.url(), .no_proxy = ""};
  HttpClient client(io.get_executor(), c);
  const auto r = send_one(io, client, get(server.url()));
  EXPECT_EQ(r.error, TransportError::proxy) << r.detail;
  EXPECT_NE(r.detail.find("the proxy answered 403"), std::string::npos) << r.detail;
  EXPECT_EQ(server.requests(), 0u);
}

TEST_F(HttpProxy, AnUnreachableProxyIsAProxyError) {
  TestHttpServer server(echo_target);
  asio::io_context io;
  auto c = config();
  c.proxy =
      ProxySettings{.http_proxy = "http://127.0.0.1:" + std::to_string(testing::pick_free_port()),
                    .https_proxy = "",
                    .no_proxy = ""};
  HttpClient client(io.get_executor(), c);
  const auto r = send_one(io, client, get(server.url()));
  EXPECT_EQ(r.error, TransportError::proxy) << r.detail;
  EXPECT_EQ(server.requests(), 0u);
}

}  // namespace
}  // namespace emosweep::providers
