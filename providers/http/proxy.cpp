#include "providers/http/proxy.hpp"

#include <openssl/evp.h>

#include <fmt/format.h>
#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <cstdlib>

#include "core/error.hpp"

namespace emosweep::providers {

namespace {

std::string first_env(const char* lower_name, const char* upper_name) {
  if (const char* v = std::getenv(lower_name); v && *v) return v;
  if (const char* v = std::getenv(upper_name); v && *v) return v;
  return {};
}

}  // namespace

ProxySettings ProxySettings::from_environment() {
  ProxySettings s;
  s.https_proxy = first_env("https_proxy", "HTTPS_PROXY");
  s.http_proxy = first_env("http_proxy", "HTTP_PROXY");
  s.no_proxy = first_env("no_proxy", "NO_PROXY");
  return s;
}

namespace http_detail {

namespace {

namespace ip = boost::asio::ip;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v == 0 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

std::optional<ip::address> parse_address(std::string_view s) {
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(s), ec);
  if (ec) return std::nullopt;
  return a;
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<ProxyRoute> parse_proxy(const std::string& url, std::string_view what) {
  if (url.empty()) return std::nullopt;
  // curl and most tools accept "host:port" without a scheme.
  const std::string full = url.find("://") == std::string::npos ? "http://" + url : url;
  const auto scheme_end = full.find("://");
  if (lower(full.substr(0, scheme_end)) != "http")
    throw InputError(fmt::format("{}: only http:// proxies are supported", what));
  ProxyRoute route;
  route.proxy = parse_url(full, what).origin;
  auto parsed = boost::urls::parse_uri(full);
  if (parsed && parsed->has_userinfo()) {
    const std::string credentials = std::string(parsed->user()) + ":" + parsed->password();
    route.authorization = "Basic " + base64(credentials);
  }
  return route;
}

}  // namespace

NoProxyList::NoProxyList(std::string_view spec) {
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    const std::string_view raw = trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (raw.empty()) continue;
    if (raw == "*") {
      match_all_ = true;
      continue;
    }
    std::string_view host = raw;
    Entry entry;
    if (host.front() == '[') {  // [v6] or [v6]:port
      const auto close = host.find(']');
      if (close == std::string_view::npos) continue;
      std::string_view rest = host.substr(close + 1);
      host = host.substr(1, close - 1);
      if (!rest.empty()) {
        if (rest.front() != ':' || !(entry.port = parse_port(rest.substr(1)))) continue;
      }
    } else if (std::count(host.begin(), host.end(), ':') == 1) {  // name:port or v4:port
      const auto colon = host.find(':');
      if (!(entry.port = parse_port(host.substr(colon + 1)))) continue;
      host = host.substr(0, colon);
    }
    if (const auto slash = host.find('/'); slash != std::string_view::npos) {
      const auto address = parse_address(host.substr(0, slash));
      unsigned bits = 0;
      const auto len = host.substr(slash + 1);
      auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
      if (!address || ec != std::errc() || end != len.data() + len.size() ||
          bits > (address->is_v4() ? 32u : 128u))
        continue;
      entry.name = address->to_string();
      entry.cidr = bits;
    } else if (const auto address = parse_address(host)) {
      entry.name = address->to_string();
      entry.is_address = true;
    } else {
      if (host.starts_with("*.")) host.remove_prefix(2);
      while (!host.empty() && host.front() == '.')
        host.remove_prefix(1);
      while (!host.empty() && host.back() == '.')
        host.remove_suffix(1);
      if (host.empty()) continue;
      entry.name = lower(host);
    }
    entries_.push_back(std::move(entry));
  }
}

bool NoProxyList::matches(std::string_view host_in, std::uint16_t port) const {
  if (match_all_) return true;
  std::string host = lower(host_in);
  while (!host.empty() && host.back() == '.')
    host.pop_back();
  const auto address = parse_address(host);
  for (const auto& e : entries_) {
    if (e.port && *e.port != port) continue;
    if (e.cidr) {
      if (!address) continue;
      const auto net = *parse_address(e.name);
      if (address->is_v4() && net.is_v4()) {
        const auto network = ip::make_network_v4(net.to_v4(), *e.cidr).canonical();
        if (ip::make_network_v4(address->to_v4(), *e.cidr).canonical() == network) return true;
      } else if (address->is_v6() && net.is_v6()) {
        const auto network = ip::make_network_v6(net.to_v6(), *e.cidr).canonical();
        if (ip::make_network_v6(address->to_v6(), *e.cidr).canonical() == network) return true;
      }
    } else if (e.is_address) {
      if (address && address->to_string() == e.name) return true;
    } else if (host == e.name || (host.size() > e.name.size() && host.ends_with(e.name) &&
                                  host[host.size() - e.name.size() - 1] == '.')) {
      return true;
    }
  }
  return false;
}

ProxyPolicy::ProxyPolicy(const ProxySettings& settings)
    : http_(parse_proxy(settings.http_proxy, "HTTP_PROXY")),
      https_(parse_proxy(settings.https_proxy, "HTTPS_PROXY")),
      no_proxy_(settings.no_proxy) {}

const ProxyRoute* ProxyPolicy::route(const Origin& target) const {
  const auto& proxy = target.tls ? https_ : http_;
  if (!proxy || no_proxy_.matches(target.host, target.port)) return nullptr;
  return &*proxy;
}

}  // namespace http_detail
}  // namespace emosweep::providers
