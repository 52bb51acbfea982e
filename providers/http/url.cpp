#include "providers/http/url.hpp"

#include <fmt/format.h>
#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "core/error.hpp"

namespace emosweep::providers::http_detail {

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace

ParsedUrl parse_url(std::string_view url, std::string_view what) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed)
    throw InputError(
        fmt::format("{}: not an absolute http(s) URL ({})", what, parsed.error().message()));
  const boost::urls::url_view& u = *parsed;
  const std::string scheme = lower(std::string(u.scheme()));
  ParsedUrl out;
  if (scheme == "https") {
    out.origin.tls = true;
  } else if (scheme != "http") {
    throw InputError(fmt::format("{}: scheme '{}' is not http or https", what, scheme));
  }
  if (u.host_type() == boost::urls::host_type::none || u.encoded_host().empty())
    throw InputError(fmt::format("{}: the URL has no host", what));
  if (u.host_type() == boost::urls::host_type::ipvfuture)
    throw InputError(fmt::format("{}: IPvFuture hosts are not supported", what));
  out.origin.host = lower(u.host_address());
  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0)
      throw InputError(fmt::format("{}: invalid port '{}'", what, std::string(u.port())));
    out.origin.port = u.port_number();
  } else {
    out.origin.port = out.origin.tls ? 443 : 80;
  }
  out.target = std::string(u.encoded_path());
  if (out.target.empty()) out.target = "/";
  if (u.has_query()) {
    out.target += '?';
    out.target += std::string(u.encoded_query());
  }
  return out;
}

std::string origin_key(const Origin& origin) {
  return fmt::format("{}://{}", origin.tls ? "https" : "http", authority(origin));
}

std::string host_header(const Origin& origin) {
  const bool ipv6 = origin.host.find(':') != std::string::npos;
  std::string out = ipv6 ? "[" + origin.host + "]" : origin.host;
  if (origin.port != (origin.tls ? 443 : 80)) out += fmt::format(":{}", origin.port);
  return out;
}

std::string authority(const Origin& origin) {
  const bool ipv6 = origin.host.find(':') != std::string::npos;
  return ipv6 ? fmt::format("[{}]:{}", origin.host, origin.port)
              : fmt::format("{}:{}", origin.host, origin.port);
}

bool is_ip_literal(std::string_view host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(std::string(host), ec);
  return !ec;
}

}  // namespace emosweep::providers::http_detail
