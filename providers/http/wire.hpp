// The bytes of an HTTP/1.1 request, built once per send() (and re-sent as is on a retry).
// Pure; unit-tested against golden output.
#pragma once

#include <string>
#include <string_view>

#include "providers/types.hpp"

namespace emosweep::providers::http_detail {

struct WireRequest {
  std::string_view method;           // a token, e.g. "POST"
  std::string_view target;           // origin-form "/path?q", or absolute-form through a proxy
  std::string_view host;             // the Host header value
  const Headers* headers = nullptr;  // sent in order; Host and Content-Length are skipped
  std::string_view body;
  std::string_view user_agent;           // sent when `headers` has no user-agent
  std::string_view proxy_authorization;  // sent when not empty
};

// "METHOD target HTTP/1.1\r\nHost: ...\r\n<headers>\r\nContent-Length: n\r\n\r\n<body>".
// Content-Length is sent when there is a body, and always for POST, PUT and PATCH. Throws
// emosweep::InputError for a method or header name that is not an HTTP token, or a header
// value with CR, LF or NUL (header injection); the message names the header, never its value.
std::string serialize_request(const WireRequest& request);

}  // namespace emosweep::providers::http_detail
