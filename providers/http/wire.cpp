#include "providers/http/wire.hpp"

#include <fmt/format.h>
#include <boost/beast/core/string.hpp>
#include <charconv>

#include "core/error.hpp"

namespace emosweep::providers::http_detail {

namespace {

// RFC 9110 §5.6.2 tchar.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (const unsigned char c : s) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool is_safe_value(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

}  // namespace

std::string serialize_request(const WireRequest& r) {
  if (!is_token(r.method)) throw InputError("request: the HTTP method is not a valid token");
  if (r.target.empty() || r.target.find_first_of(" \r\n") != std::string_view::npos)
    throw InputError("request: the request target contains spaces or line breaks");
  bool has_user_agent = false;
  std::size_t size = r.method.size() + r.target.size() + r.host.size() + r.body.size() + 64 +
                     r.user_agent.size() + r.proxy_authorization.size();
  if (r.headers) {
    for (const auto& [name, value] : *r.headers) {
      if (!is_token(name)) throw InputError("request: a header name is not a valid HTTP token");
      if (!is_safe_value(value))
        throw InputError(
            fmt::format("request header '{}': the value contains a line break or NUL", name));
      has_user_agent = has_user_agent || boost::beast::iequals(name, "user-agent");
      size += name.size() + value.size() + 4;
    }
  }
  std::string out;
  out.reserve(size);
  out.append(r.method);
  out.push_back(' ');
  out.append(r.target);
  out.append(" HTTP/1.1\r\n");
  append_header(out, "Host", r.host);
  if (r.headers) {
    for (const auto& [name, value] : *r.headers) {
      if (boost::beast::iequals(name, "host") || boost::beast::iequals(name, "content-length"))
        continue;
      append_header(out, name, value);
    }
  }
  if (!has_user_agent && !r.user_agent.empty()) append_header(out, "User-Agent", r.user_agent);
  if (!r.proxy_authorization.empty())
    append_header(out, "Proxy-Authorization", r.proxy_authorization);
  if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, r.body.size()).ptr;
    append_header(out, "Content-Length", std::string_view(digits, end - digits));
  }
  out.append("\r\n");
  out.append(r.body);
  return out;
}

}  // namespace emosweep::providers::http_detail
