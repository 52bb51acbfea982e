#include "metrics/server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <exception>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include "core/error.hpp"
#include "metrics/metrics.hpp"

namespace emosweep::metrics {
namespace {

bool is_ipv4(const std::string& host) {
  in_addr a{};
  return ::inet_pton(AF_INET, host.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& host) {
  in6_addr a{};
  return ::inet_pton(AF_INET6, host.c_str(), &a) == 1;
}

bool is_path_safe(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

bool is_label_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Request = http::request<http::string_body>;

// The part of a gateway's reply kept for a non-2xx status (the Pushgateway explains there).
constexpr std::size_t kReplyExcerpt = 300;
// A longer reply is cut off (the status has arrived by then).
constexpr std::uint64_t kReplyLimit = 64 * 1024;

// Where a push goes, from a URL parse_pushgateway_url() accepts.
struct Gateway {
  bool tls = false;
  std::string host;  // to resolve or verify: a name, or an IP literal without brackets
  std::uint16_t port = 0;
  std::string host_header;  // "HOST" as in the URL, ":PORT" added when not the scheme's default
};

Gateway gateway_of(std::string_view url) {
  parse_pushgateway_url(url);  // validates, throwing InputError
  const auto u = *boost::urls::parse_absolute_uri(url);
  Gateway g;
  g.tls = u.scheme() == "https";
  const std::uint16_t default_port = g.tls ? 443 : 80;
  g.port = u.has_port() ? u.port_number() : default_port;
  g.host = u.host_address();
  g.host_header = std::string(u.encoded_host());
  if (g.port != default_port) g.host_header += fmt::format(":{}", g.port);
  return g;
}

std::string failure(std::string_view step, const beast::error_code& ec) {
  if (ec == beast::error::timeout || ec == asio::error::timed_out) return "timed out";
  return fmt::format("{}: {}", step, ec.message());
}

// The first line of a reply body, shortened.
std::string excerpt(std::string_view body) {
  body = body.substr(0, std::min(body.find_first_of("\r\n"), kReplyExcerpt));
  return std::string(body);
}

// A name lookup, owned by glibc while it runs (see resolve()).
struct Lookup {
  std::string name;
  std::string service;
  addrinfo hints{};
  gaicb request{};
};

// Resolves `g.host` before `deadline`; empty with `error` set when it cannot. IP literals are
// used as they are. Names go through glibc's getaddrinfo_a rather than Asio's resolver: a
// lookup that has started cannot be cancelled, and Asio's resolver joins its lookup thread
// when destroyed, so a slow DNS server would hold the push past its deadline. A lookup still
// running at the deadline is left to glibc's own thread; its request (a few hundred bytes) is
// then leaked, since glibc writes the answer into it when the lookup ends.
std::vector<tcp::endpoint> resolve(const Gateway& g, Clock::time_point deadline,
                                   std::string& error) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(g.host, ec);
  if (!ec) return {tcp::endpoint(address, g.port)};

  auto lookup = std::make_unique<Lookup>();
  lookup->name = g.host;
  lookup->service = std::to_string(g.port);
  lookup->hints.ai_family = AF_UNSPEC;
  lookup->hints.ai_socktype = SOCK_STREAM;
  lookup->hints.ai_flags = AI_NUMERICSERV;
  lookup->request.ar_name = lookup->name.c_str();
  lookup->request.ar_service = lookup->service.c_str();
  lookup->request.ar_request = &lookup->hints;
  gaicb* list[] = {&lookup->request};
  sigevent no_signal{};
  no_signal.sigev_notify = SIGEV_NONE;
  int rc = ::getaddrinfo_a(GAI_NOWAIT, list, 1, &no_signal);
  if (rc != 0) {
    error = fmt::format("resolve {}: {}", g.host, ::gai_strerror(rc));
    return {};
  }
  while ((rc = ::gai_error(&lookup->request)) == EAI_INPROGRESS) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) {
      error = "timed out";
      switch (::gai_cancel(&lookup->request)) {
        case EAI_CANCELED:
          break;
        case EAI_ALLDONE:
          if (lookup->request.ar_result) ::freeaddrinfo(lookup->request.ar_result);
          break;
        default:  // still running: glibc owns the request now
          (void)lookup.release();
      }
      return {};
    }
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    const timespec wait{static_cast<time_t>(ns / 1'000'000'000),
                        static_cast<long>(ns % 1'000'000'000)};
    const gaicb* const pending[] = {&lookup->request};
    ::gai_suspend(pending, 1, &wait);  // returns at the end, the timeout, or a signal
  }
  if (rc != 0) {
    error = fmt::format("resolve {}: {}", g.host,
                        rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc));
    return {};
  }
  std::vector<tcp::endpoint> endpoints;
  for (const addrinfo* a = lookup->request.ar_result; a; a = a->ai_next) {
    if (a->ai_family != AF_INET && a->ai_family != AF_INET6) continue;
    tcp::endpoint e;
    std::memcpy(e.data(), a->ai_addr, a->ai_addrlen);
    e.resize(a->ai_addrlen);
    endpoints.push_back(e);
  }
  ::freeaddrinfo(lookup->request.ar_result);
  if (endpoints.empty()) error = fmt::format("resolve {}: no address", g.host);
  return endpoints;
}

// Sends `request` on a connected stream and reads the reply into `result`.
template <typename Stream>
asio::awaitable<void> exchange(Stream& stream, const Request& request, PushResult& result) {
  beast::error_code ec;
  co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.error = failure("send", ec);
    co_return;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kReplyLimit);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (!parser.is_header_done()) {
    result.error = failure("read reply", ec);
    co_return;
  }
  result.status = static_cast<int>(parser.get().result_int());
  if (!result.ok()) result.error = excerpt(parser.get().body());
}

asio::awaitable<void> push_http(beast::tcp_stream& stream,
                                const std::vector<tcp::endpoint>& endpoints, const Request& request,
                                PushResult& result) {
  beast::error_code ec;
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.error = failure("connect", ec);
    co_return;
  }
  co_await exchange(stream, request, result);
}

asio::awaitable<void> push_https(beast::ssl_stream<beast::tcp_stream>& stream,
                                 const std::vector<tcp::endpoint>& endpoints,
                                 const Request& request, PushResult& result) {
  beast::error_code ec;
  co_await beast::get_lowest_layer(stream).async_connect(
      endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    result.error = failure("connect", ec);
    co_return;
  }
  co_await stream.async_handshake(ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    const long verified = ::SSL_get_verify_result(stream.native_handle());
    result.error = failure("TLS handshake", ec);
    if (result.error != "timed out" && verified != X509_V_OK) {
      result.error = fmt::format("TLS handshake: certificate verify failed: {}",
                                 ::X509_verify_cert_error_string(verified));
    }
    co_return;
  }
  co_await exchange(stream, request, result);
}

// Verifies the peer against the system CA store (SSL_CERT_FILE / SSL_CERT_DIR when set), for
// `host`: a name (also sent as SNI) or an IP address.
ssl::context tls_context() {
  ssl::context ctx(ssl::context::tls_client);
  ::SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  beast::error_code ec;
  ctx.set_default_verify_paths(ec);  // without a store nothing verifies, which is reported
  ctx.set_verify_mode(ssl::verify_peer);
  return ctx;
}

bool expect_peer(SSL* ssl, const std::string& host) {
  X509_VERIFY_PARAM* param = ::SSL_get0_param(ssl);
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  if (!ec) return ::X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  if (::SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) return false;
  ::X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return ::X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
}

void rethrow(const std::exception_ptr& e) {
  if (e) std::rethrow_exception(e);
}

}  // namespace

std::optional<MetricsAddress> parse_metrics_address(std::string_view text) {
  if (text == "off") return std::nullopt;
  const auto fail = [&](std::string_view why) {
    return InputError(fmt::format("metrics address '{}': {}", text, why));
  };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) throw fail("expected HOST:PORT or off");
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    throw fail("port must be a number from 0 to 65535");
  }
  MetricsAddress address;
  address.port = static_cast<std::uint16_t>(port);
  const std::string host(text.substr(0, colon));
  if (host == "localhost") {
    address.host = "127.0.0.1";
  } else if (is_ipv4(host)) {
    address.host = host;
  } else if (host.size() > 2 && host.front() == '[' && host.back() == ']' &&
             is_ipv6(host.substr(1, host.size() - 2))) {
    address.host = host;
  } else {
    throw fail("host must be an IP address (e.g. 127.0.0.1, 0.0.0.0, [::1]) or localhost");
  }
  return address;
}

MetricsServer::MetricsServer(std::string_view address,
                             std::shared_ptr<prometheus::Collectable> collectable)
    : collectable_(std::move(collectable)) {
  const auto parsed = parse_metrics_address(address);
  if (!parsed) return;
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(parsed->to_string());
  } catch (const std::exception&) {
    // civetweb's message ("null context ...") says nothing useful to a user.
    throw InputError(fmt::format(
        "metrics address '{}': cannot listen there (port in use, or not a local address)",
        address));
  }
  const auto ports = exposer_->GetListeningPorts();
  if (ports.empty()) {
    throw InputError(fmt::format("metrics address '{}': cannot listen there", address));
  }
  exposer_->RegisterCollectable(collectable_);
  host_ = parsed->host;
  port_ = static_cast<std::uint16_t>(ports.front());
}

MetricsServer::MetricsServer(std::string_view address, const SweepMetrics& metrics)
    : MetricsServer(address, metrics.collectable()) {}

MetricsServer::~MetricsServer() = default;

std::string MetricsServer::url() const {
  if (!enabled()) return {};
  // 0.0.0.0 and [::] listen everywhere; loopback reaches them.
  std::string host = host_;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "[::]") host = "[::1]";
  return fmt::format("http://{}:{}/metrics", host, port_);
}

PushgatewayUrl parse_pushgateway_url(std::string_view url) {
  const auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    throw InputError("--pushgateway: not an absolute URL (expected http://HOST:PORT)");
  }
  const auto& u = *parsed;
  if (u.has_userinfo()) {
    throw InputError("--pushgateway: credentials in the URL are not supported");
  }
  const auto fail = [&](std::string_view why) {
    return InputError(fmt::format("--pushgateway '{}': {}", url, why));
  };
  const std::string scheme(u.scheme());
  if (scheme != "http" && scheme != "https") throw fail("the scheme must be http or https");
  if (u.encoded_host().empty()) throw fail("no host");
  if (!(u.encoded_path().empty() || u.encoded_path() == "/") || u.has_query() || u.has_fragment()) {
    throw fail("give only scheme, host and port (the job path is added by emosweep)");
  }
  PushgatewayUrl out;
  out.scheme_and_host = scheme + "://" + std::string(u.encoded_host());
  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0) throw fail("bad port");
    out.port = std::string(u.port());
  } else {
    out.port = scheme == "https" ? "443" : "80";
  }
  return out;
}

std::string PushResult::describe() const {
  if (status > 0) {
    return error.empty() ? fmt::format("HTTP {}", status)
                         : fmt::format("HTTP {}: {}", status, error);
  }
  return error.empty() ? "no answer" : error;
}

PushResult push_to_gateway(std::shared_ptr<prometheus::Collectable> collectable,
                           std::string_view url, std::string_view job,
                           const std::map<std::string, std::string>& grouping,
                           std::chrono::milliseconds timeout) {
  const Gateway gateway = gateway_of(url);
  if (!is_path_safe(job)) {
    throw InputError(fmt::format("pushgateway job '{}': use only [A-Za-z0-9._-]", job));
  }
  std::string target = fmt::format("/metrics/job/{}", job);
  for (const auto& [key, value] : grouping) {
    if (!is_label_name(key) || key == "job") {
      throw InputError(fmt::format("pushgateway grouping key '{}': not a label name", key));
    }
    if (!is_path_safe(value)) {
      throw InputError(
          fmt::format("pushgateway grouping value for '{}': use only [A-Za-z0-9._-]", key));
    }
    target += fmt::format("/{}/{}", key, value);
  }
  const auto deadline = Clock::now() + timeout;

  Request request{http::verb::post, target, 11};
  request.set(http::field::host, gateway.host_header);
  request.set(http::field::user_agent, "emosweep/" EMOSWEEP_VERSION);
  request.set(http::field::content_type, "text/plain; version=0.0.4");
  request.body() = prometheus::TextSerializer().Serialize(collectable->Collect());
  request.prepare_payload();

  PushResult result;
  const auto endpoints = resolve(gateway, deadline, result.error);
  if (endpoints.empty()) return result;
  // One deadline for everything below: the stream closes itself when it passes, failing the
  // pending step with a timeout.
  asio::io_context io;
  if (gateway.tls) {
    ssl::context ctx = tls_context();
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    if (!expect_peer(stream.native_handle(), gateway.host)) {
      result.error = fmt::format("TLS: cannot verify host '{}'", gateway.host);
      return result;
    }
    beast::get_lowest_layer(stream).expires_at(deadline);
    asio::co_spawn(io, push_https(stream, endpoints, request, result), rethrow);
    io.run();
  } else {
    beast::tcp_stream stream(io);
    stream.expires_at(deadline);
    asio::co_spawn(io, push_http(stream, endpoints, request, result), rethrow);
    io.run();
  }
  return result;
}

PushResult push_to_gateway(const SweepMetrics& metrics, std::string_view url, std::string_view job,
                           const std::map<std::string, std::string>& grouping,
                           std::chrono::milliseconds timeout) {
  return push_to_gateway(metrics.collectable(), url, job, grouping, timeout);
}

}  // namespace emosweep::metrics
