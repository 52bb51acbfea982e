// Absolute http(s) URLs split into what the client needs: the origin a connection is for and
// the request target sent on it. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace emosweep::providers::http_detail {

// Where a connection goes: scheme, host and port. Hosts are lower-case; IPv6 literals are
// kept without brackets.
struct Origin {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const Origin&) const = default;
};

struct ParsedUrl {
  Origin origin;
  std::string target;  // origin-form: "/path?query" ("/" when the URL has no path)
};

// Parses an absolute http:// or https:// URL. Throws emosweep::InputError naming `what` (for
// example "url" or "HTTPS_PROXY") for anything else. The message never repeats the URL's
// query or user info, which may hold secrets.
ParsedUrl parse_url(std::string_view url, std::string_view what = "url");

// "https://host:port": the pool key.
std::string origin_key(const Origin& origin);
// The Host header value: host, bracketed when IPv6, with ":port" unless it is the default.
std::string host_header(const Origin& origin);
// "host:port" with brackets for IPv6: the CONNECT target and the text used in error details.
std::string authority(const Origin& origin);
// True when `host` is an IPv4 or IPv6 literal (no SNI is sent for those).
bool is_ip_literal(std::string_view host);

}  // namespace emosweep::providers::http_detail
