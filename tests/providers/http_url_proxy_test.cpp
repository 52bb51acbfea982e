// URL parsing, NO_PROXY matching, proxy routing and the transport-error classifier: pure
// functions, no sockets.
#include <gtest/gtest.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <cstdlib>

#include "core/error.hpp"
#include "providers/http/connection.hpp"
#include "providers/http/proxy.hpp"
#include "providers/http/url.hpp"
#include "tests/providers/test_servers.hpp"

namespace emosweep::providers::http_detail {
namespace {

TEST(HttpUrl, SplitsOriginAndTarget) {
  const auto u = parse_url("https://API.OpenAI.com/v1/chat/completions?x=1&y=%20");
  EXPECT_TRUE(u.origin.tls);
  EXPECT_EQ(u.origin.host, "api.openai.com");
  EXPECT_EQ(u.origin.port, 443);
  EXPECT_EQ(u.target, "/v1/chat/completions?x=1&y=%20");
  EXPECT_EQ(origin_key(u.origin), "https://api.openai.com:443");
  EXPECT_EQ(host_header(u.origin), "api.openai.com");
}

TEST(HttpUrl, ExplicitPortsIpv4AndIpv6) {
  const auto a = parse_url("http://127.0.0.1:8080");
  EXPECT_FALSE(a.origin.tls);
  EXPECT_EQ(a.origin.host, "127.0.0.1");
  EXPECT_EQ(a.origin.port, 8080);
  EXPECT_EQ(a.target, "/");
  EXPECT_EQ(host_header(a.origin), "127.0.0.1:8080");

  const auto b = parse_url("http://[::1]:9000/v1/models/gemini:generateContent");
  EXPECT_EQ(b.origin.host, "::1");
  EXPECT_EQ(b.origin.port, 9000);
  EXPECT_EQ(b.target, "/v1/models/gemini:generateContent");
  EXPECT_EQ(host_header(b.origin), "[::1]:9000");
  EXPECT_EQ(authority(b.origin), "[::1]:9000");
  EXPECT_EQ(parse_url("http://example.com:80/").origin.port, 80);
  EXPECT_EQ(host_header(parse_url("http://example.com:80/").origin), "example.com");
}

TEST(HttpUrl, RejectsWhatIsNotAbsoluteHttp) {
  EXPECT_THROW(parse_url("ftp://example.com/"), InputError);
  EXPECT_THROW(parse_url("/v1/chat"), InputError);
  EXPECT_THROW(parse_url("http:///nohost"), InputError);
  EXPECT_THROW(parse_url("http://example.com:0/"), InputError);
  EXPECT_THROW(parse_url("not a url"), InputError);
  try {
    parse_url("gopher://user:secret@example.com/?key=hidden", "base_url");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("base_url"), std::string::npos) << message;
    EXPECT_EQ(message.find("secret"), std::string::npos) << message;
    EXPECT_EQ(message.find("hidden"), std::string::npos) << message;
  }
}

TEST(HttpUrl, IpLiterals) {
  EXPECT_TRUE(is_ip_literal("127.0.0.1"));
  EXPECT_TRUE(is_ip_literal("::1"));
  EXPECT_FALSE(is_ip_literal("localhost"));
  EXPECT_FALSE(is_ip_literal("1.2.3.example"));
}

TEST(NoProxy, HostSuffixesStarPortsAndAddresses) {
  const NoProxyList list(
      " example.com, .corp.internal ,*.lab, 10.1.2.3, 192.168.0.0/16, "
      "api.local:8443, [::1]:9000, 127.0.0.1:7000 ,");
  EXPECT_TRUE(list.matches("example.com", 443));
  EXPECT_TRUE(list.matches("API.Example.com.", 443));
  EXPECT_FALSE(list.matches("notexample.com", 443));
  EXPECT_TRUE(list.matches("corp.internal", 80));
  EXPECT_TRUE(list.matches("git.corp.internal", 80));
  EXPECT_TRUE(list.matches("gpu1.lab", 80));
  EXPECT_FALSE(list.matches("lab.example.org", 80));
  EXPECT_TRUE(list.matches("10.1.2.3", 80));
  EXPECT_FALSE(list.matches("10.1.2.4", 80));
  EXPECT_TRUE(list.matches("192.168.44.5", 8000));
  EXPECT_FALSE(list.matches("192.169.0.1", 8000));
  EXPECT_TRUE(list.matches("api.local", 8443));
  EXPECT_FALSE(list.matches("api.local", 443));
  EXPECT_TRUE(list.matches("::1", 9000));
  EXPECT_FALSE(list.matches("::1", 9001));
  EXPECT_TRUE(list.matches("127.0.0.1", 7000));
  EXPECT_FALSE(list.matches("127.0.0.1", 7001));
  EXPECT_FALSE(NoProxyList("").matches("example.com", 80));
  EXPECT_TRUE(NoProxyList("localhost, *").matches("anything.example", 1));
  EXPECT_TRUE(NoProxyList("10.0.0.0/8").matches("10.200.3.4", 80));
  EXPECT_FALSE(NoProxyList("10.0.0.0/8").matches("example.com", 80));
  EXPECT_TRUE(NoProxyList("fd00::/8").matches("fd12::5", 80));
}

TEST(ProxyPolicy, RoutesBySchemeAndBypassesNoProxy) {
  ProxySettings settings;
  settings.http_proxy = "http://127.0.0.1:3128";
  settings.https_proxy = "proxy.corp:8080";  // no scheme: http assumed
  settings.no_proxy = "localhost,.internal";
  const ProxyPolicy policy(settings);

  const auto* https = policy.route(parse_url("https://api.openai.com/v1").origin);
  ASSERT_NE(https, nullptr);
  EXPECT_EQ(https->proxy.host, "proxy.corp");
  EXPECT_EQ(https->proxy.port, 8080);
  EXPECT_TRUE(https->authorization.empty());
  const auto* http = policy.route(parse_url("http://vllm.example:8000/v1").origin);
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(http->proxy.port, 3128);
  EXPECT_EQ(policy.route(parse_url("http://localhost:8000/v1").origin), nullptr);
  EXPECT_EQ(policy.route(parse_url("https://gpu.internal/v1").origin), nullptr);
  EXPECT_EQ(ProxyPolicy(ProxySettings{}).route(parse_url("https://a.example/").origin), nullptr);
}

TEST(ProxyPolicy, CredentialsBecomeBasicAuthorization) {
  ProxySettings settings;
  settings.https_proxy = "http://alice:s%40cret@127.0.0.1:3128";
  const ProxyPolicy policy(settings);
  const auto* route = policy.route(parse_url("https://example.com/").origin);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->authorization, "Basic YWxpY2U6c0BjcmV0");  // base64("alice:s@cret")
}

TEST(ProxyPolicy, RejectsUnusableProxies) {
  ProxySettings tls_proxy;
  tls_proxy.https_proxy = "https://proxy.corp:443";
  EXPECT_THROW(ProxyPolicy{tls_proxy}, InputError);
  ProxySettings socks;
  socks.http_proxy = "socks5://127.0.0.1:1080";
  EXPECT_THROW(ProxyPolicy{socks}, InputError);
}

TEST(ProxySettings, ReadsTheEnvironmentLowerCaseFirst) {
  emosweep::testing::ScopedProxyEnv env{{"HTTPS_PROXY", "http://upper:1"},
                                        {"https_proxy", "http://lower:2"},
                                        {"HTTP_PROXY", "http://plain:3"},
                                        {"NO_PROXY", "localhost"}};
  const auto s = ProxySettings::from_environment();
  EXPECT_EQ(s.https_proxy, "http://lower:2");
  EXPECT_EQ(s.http_proxy, "http://plain:3");
  EXPECT_EQ(s.no_proxy, "localhost");
}

TEST(ProxySettings, EmptyEnvironmentMeansDirect) {
  emosweep::testing::ScopedProxyEnv env{};
  const auto s = ProxySettings::from_environment();
  EXPECT_TRUE(s.https_proxy.empty());
  EXPECT_TRUE(s.http_proxy.empty());
  EXPECT_TRUE(s.no_proxy.empty());
}

TEST(Classify, EachFailureMapsToOneTransportError) {
  namespace asio = boost::asio;
  namespace http = boost::beast::http;
  using boost::beast::error::timeout;
  EXPECT_EQ(classify(Phase::read, asio::error::connection_reset, true, false),
            TransportError::cancelled);
  EXPECT_EQ(classify(Phase::read, asio::error::operation_aborted, false, false),
            TransportError::cancelled);
  EXPECT_EQ(classify(Phase::connect, timeout, false, false), TransportError::timeout);
  EXPECT_EQ(classify(Phase::read, timeout, false, false), TransportError::timeout);
  EXPECT_EQ(classify(Phase::resolve, asio::error::host_not_found, false, false),
            TransportError::resolve);
  EXPECT_EQ(classify(Phase::resolve, asio::error::host_not_found, false, true),
            TransportError::proxy);
  EXPECT_EQ(classify(Phase::connect, asio::error::connection_refused, false, false),
            TransportError::connect);
  EXPECT_EQ(classify(Phase::connect, asio::error::connection_refused, false, true),
            TransportError::proxy);
  EXPECT_EQ(classify(Phase::tunnel, asio::error::eof, false, true), TransportError::proxy);
  EXPECT_EQ(classify(Phase::handshake, asio::error::eof, false, false), TransportError::tls);
  EXPECT_EQ(classify(Phase::read, http::error::body_limit, false, false),
            TransportError::too_large);
  EXPECT_EQ(classify(Phase::read, http::error::bad_version, false, false),
            TransportError::protocol);
  EXPECT_EQ(classify(Phase::read, http::error::end_of_stream, false, false), TransportError::reset);
  EXPECT_EQ(classify(Phase::read, http::error::partial_message, false, false),
            TransportError::reset);
  EXPECT_EQ(classify(Phase::write, asio::error::broken_pipe, false, false), TransportError::reset);
  EXPECT_EQ(classify(Phase::read, asio::ssl::error::stream_truncated, false, false),
            TransportError::reset);
}

TEST(Classify, OnlyClosedConnectionsAreRetryableOnReuse) {
  namespace asio = boost::asio;
  namespace http = boost::beast::http;
  EXPECT_TRUE(is_closed_connection(http::error::end_of_stream));
  EXPECT_TRUE(is_closed_connection(asio::error::connection_reset));
  EXPECT_TRUE(is_closed_connection(asio::error::broken_pipe));
  EXPECT_FALSE(is_closed_connection(boost::beast::error::timeout));
  EXPECT_FALSE(is_closed_connection(asio::error::operation_aborted));
  EXPECT_FALSE(is_closed_connection(http::error::body_limit));
  EXPECT_FALSE(is_closed_connection(http::error::bad_version));
}

TEST(Classify, DescribeNamesTheStepAndPeerOnly) {
  const Failure f{Phase::connect, boost::asio::error::connection_refused, {}};
  const std::string text = describe(f, "127.0.0.1:9");
  EXPECT_NE(text.find("connecting to 127.0.0.1:9"), std::string::npos) << text;
  EXPECT_EQ(to_string(TransportError::too_large), "too_large");
  EXPECT_EQ(to_string(TransportError::none), "none");
}

}  // namespace
}  // namespace emosweep::providers::http_detail
