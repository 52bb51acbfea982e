#include "providers/dialects/common.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/text.hpp"

namespace emosweep::providers::dialects {

std::string join_url(std::string_view base_url, std::string_view path) {
  while (!base_url.empty() && base_url.back() == '/')
    base_url.remove_suffix(1);
  std::string url;
  url.reserve(base_url.size() + path.size());
  url.append(base_url);
  url.append(path);
  return url;
}

std::string percent_encode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

namespace {

// RFC 9110 token characters for header names.
bool is_token_char(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= 'a' && c <= 'z') return true;
  if (c >= '0' && c <= '9') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// A header value may hold visible characters, spaces, tabs and obs-text, never CR, LF, NUL or
// other controls (which would let a value inject headers).
bool is_clean_value(std::string_view v) {
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
  }
  return true;
}

// For error messages: one line, valid UTF-8.
std::string printable(std::string_view s) {
  std::string out = text::repair_utf8(s);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  return out;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

std::optional<std::string> api_key_problem(std::string_view api_key) {
  if (is_clean_value(api_key)) return std::nullopt;
  return "the API key contains a control character (check its environment variable)";
}

std::optional<std::string> extra_header_problem(std::string_view name, std::string_view value) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
        return is_token_char(static_cast<unsigned char>(c));
      }))
    return fmt::format("header name '{}' is not a valid HTTP token", printable(name));
  if (!is_clean_value(value))
    return fmt::format("the value of header '{}' contains a control character", name);
  return std::nullopt;
}

Headers base_headers(std::string_view auth_name, std::string auth_value,
                     const EndpointSettings& settings) {
  if (auto problem = api_key_problem(settings.api_key)) throw InputError(*problem);
  Headers headers;
  headers.emplace_back("content-type", "application/json");
  if (!settings.api_key.empty())
    headers.emplace_back(std::string(auth_name), std::move(auth_value));
  return headers;
}

void finish_headers(Headers& headers, const EndpointSettings& settings) {
  for (const auto& [raw_name, value] : settings.extra_headers) {
    if (auto problem = extra_header_problem(raw_name, value)) throw InputError(*problem);
    std::string name = lower_ascii(raw_name);
    bool replaced = false;
    for (auto& [existing, existing_value] : headers) {
      if (existing == name) {
        existing_value = value;
        replaced = true;
      }
    }
    if (!replaced) headers.emplace_back(std::move(name), value);
  }
}

std::size_t body_capacity_hint(const ChatRequest& request) {
  // Fixed keys and parameters, plus each string with room for some escapes.
  std::size_t size = 256 + request.model.size() + request.system.size() * 9 / 8;
  for (const auto& m : request.messages)
    size += 48 + m.content.size() * 9 / 8;
  for (const auto& s : request.params.stop)
    size += 8 + s.size() * 2;
  return size;
}

// Bodies from the HTTP client come with this much spare capacity: parsed in place.
static_assert(HttpResponse::body_padding >= simdjson::SIMDJSON_PADDING);

bool parse_json(simdjson::dom::parser& parser, const std::string& body,
                simdjson::dom::element& root) {
  return parser.parse(body).get(root) == simdjson::SUCCESS;
}

std::optional<simdjson::dom::element> member(simdjson::dom::element e, std::string_view key) {
  simdjson::dom::object obj;
  if (e.get_object().get(obj) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::element value;
  if (obj.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) return std::nullopt;
  return value;
}

std::string_view string_member(simdjson::dom::element e, std::string_view key) {
  auto value = member(e, key);
  std::string_view s;
  if (!value || value->get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

bool is_true_member(simdjson::dom::element e, std::string_view key) {
  auto value = member(e, key);
  bool flag = false;
  return value && value->get_bool().get(flag) == simdjson::SUCCESS && flag;
}

std::optional<std::uint64_t> count_member(simdjson::dom::element e, std::string_view key) {
  auto value = member(e, key);
  if (!value) return std::nullopt;
  std::uint64_t n = 0;
  if (value->get_uint64().get(n) == simdjson::SUCCESS) return n;
  double d = 0;
  if (value->get_double().get(d) == simdjson::SUCCESS && d >= 0 && d < 1.8e19 && std::floor(d) == d)
    return static_cast<std::uint64_t>(d);
  return std::nullopt;
}

std::string text_member(simdjson::dom::element e, std::string_view key) {
  auto value = member(e, key);
  if (!value) return {};
  std::string_view s;
  if (value->get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  std::int64_t i = 0;
  if (value->get_int64().get(i) == simdjson::SUCCESS) return std::to_string(i);
  std::uint64_t u = 0;
  if (value->get_uint64().get(u) == simdjson::SUCCESS) return std::to_string(u);
  return {};
}

DecodedResponse error_response(unsigned status, std::string_view error_type,
                               std::string_view message, RateLimitInfo limits) {
  DecodedResponse out;
  out.outcome = classify(status, error_type, message);
  out.http_status = status;
  out.error_type = std::string(error_type);
  out.provider_message = clip_provider_message(message);
  out.limits = std::move(limits);
  return out;
}

DecodedResponse unrecognised_body(const HttpResponse& response, std::string_view our_reason,
                                  RateLimitInfo limits) {
  DecodedResponse out;
  out.http_status = response.status;
  out.limits = std::move(limits);
  if (is_success(response.status)) {
    out.outcome = Outcome::retryable;
    out.error_type = std::string(our_reason);
  } else {
    out.outcome = classify(response.status);
    out.provider_message = clip_provider_message(response.body);
  }
  return out;
}

DecodedResponse no_text(unsigned status, std::string_view our_reason, ChatResponse partial,
                        RateLimitInfo limits) {
  DecodedResponse out;
  out.outcome = Outcome::retryable;
  out.http_status = status;
  out.error_type = std::string(our_reason);
  out.response = std::move(partial);
  out.limits = std::move(limits);
  return out;
}

}  // namespace emosweep::providers::dialects
