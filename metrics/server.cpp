#include "metrics/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <iterator>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>
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

// Opens and closes a connection to our own listening socket (host as configured; the wildcard
// addresses through loopback). Best effort: failures are ignored.
void knock(const std::string& host, std::uint16_t port) {
  std::string literal = host;
  if (literal.size() > 2 && literal.front() == '[') literal = literal.substr(1, literal.size() - 2);
  if (literal == "0.0.0.0") literal = "127.0.0.1";
  if (literal == "::") literal = "::1";
  sockaddr_storage address{};
  socklen_t length = 0;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
      ::inet_pton(AF_INET, literal.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof(sockaddr_in);
  } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
             ::inet_pton(AF_INET6, literal.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof(sockaddr_in6);
  } else {
    return;
  }
  const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  (void)::connect(fd, reinterpret_cast<const sockaddr*>(&address), length);
  ::close(fd);
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

MetricsServer::~MetricsServer() {
  if (!exposer_) return;
  // civetweb's stop waits for its listening thread, which sees the stop flag only between polls
  // of its sockets, two seconds each: every run ended up to two seconds late. Connections to
  // the port end those polls at once, so stopping takes milliseconds.
  std::atomic<bool> stopped{false};
  std::thread waker([this, &stopped] {
    while (!stopped.load(std::memory_order_acquire)) {
      knock(host_, port_);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  exposer_.reset();
  stopped.store(true, std::memory_order_release);
  waker.join();
}

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

PushRequest push_request(const prometheus::Collectable& collectable, std::string_view gateway,
                         std::string_view job, const std::map<std::string, std::string>& grouping) {
  const PushgatewayUrl target = parse_pushgateway_url(gateway);
  if (!is_path_safe(job)) {
    throw InputError(fmt::format("pushgateway job '{}': use only [A-Za-z0-9._-]", job));
  }
  PushRequest out;
  out.url = fmt::format("{}:{}/metrics/job/{}", target.scheme_and_host, target.port, job);
  for (const auto& [key, value] : grouping) {
    if (!is_label_name(key) || key == "job") {
      throw InputError(fmt::format("pushgateway grouping key '{}': not a label name", key));
    }
    if (!is_path_safe(value)) {
      throw InputError(
          fmt::format("pushgateway grouping value for '{}': use only [A-Za-z0-9._-]", key));
    }
    fmt::format_to(std::back_inserter(out.url), "/{}/{}", key, value);
  }
  out.body = prometheus::TextSerializer().Serialize(collectable.Collect());
  return out;
}

}  // namespace emosweep::metrics
