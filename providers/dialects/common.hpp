// Internals shared by the dialect codecs: URL and header building, simdjson accessors, and
// the pieces of a DecodedResponse every dialect fills the same way. Not a public header.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "providers/dialect.hpp"

namespace emosweep::providers::dialects {

std::unique_ptr<DialectCodec> make_openai_codec(bool azure);
std::unique_ptr<DialectCodec> make_anthropic_codec();
std::unique_ptr<DialectCodec> make_gemini_codec();

// ---- encoding ----

// `base_url` without its trailing slashes, followed by `path` (which starts with '/').
std::string join_url(std::string_view base_url, std::string_view path);

// Percent-encodes every byte outside RFC 3986's unreserved set (and '/' when `keep_slash`).
std::string percent_encode(std::string_view s, bool keep_slash = false);

// The checks behind encode()'s and validate_endpoint_settings()'s InputErrors: the one-line
// reason (naming the header, never repeating a value), or nullopt when fine.
std::optional<std::string> api_key_problem(std::string_view api_key);
std::optional<std::string> extra_header_problem(std::string_view name, std::string_view value);

// Starts a header list with content-type, then the authentication header `auth_name: value`
// unless the API key is empty.
Headers base_headers(std::string_view auth_name, std::string auth_value,
                     const EndpointSettings& settings);

// Appends (or overrides with) settings.extra_headers and checks every header for control
// characters; throws InputError naming the header (never its value, which may be a secret).
void finish_headers(Headers& headers, const EndpointSettings& settings);

// A capacity for the JSON body of `request` that avoids regrowth in the common case.
std::size_t body_capacity_hint(const ChatRequest& request);

// ---- decoding ----

inline bool is_success(unsigned status) {
  return status >= 200 && status < 300;
}

// Parses `body` (never throws). The element is valid while `parser` lives.
bool parse_json(simdjson::dom::parser& parser, const std::string& body,
                simdjson::dom::element& root);

// Member `key` of `e` when `e` is an object that has it (null counts as absent).
std::optional<simdjson::dom::element> member(simdjson::dom::element e, std::string_view key);

// The string member `key`, or empty when absent or not a string.
std::string_view string_member(simdjson::dom::element e, std::string_view key);

// True only when member `key` is the boolean true.
bool is_true_member(simdjson::dom::element e, std::string_view key);

// A non-negative integer member (also accepted: an integral double such as 12.0).
std::optional<std::uint64_t> count_member(simdjson::dom::element e, std::string_view key);

// A member as text: a string as is, a number in decimal, else empty (error codes come as
// either, depending on the server).
std::string text_member(simdjson::dom::element e, std::string_view key);

// An error response: outcome from classify(), the provider's words clipped.
DecodedResponse error_response(unsigned status, std::string_view error_type,
                               std::string_view message, RateLimitInfo limits);

// A response whose body is not a recognisable JSON error or success. 2xx: retryable with
// `our_reason` and no message (the body is model output, not a diagnosis). Otherwise: by
// status, with a clipped snippet of the body as the provider's message (often an HTML page
// from a proxy or load balancer).
DecodedResponse unrecognised_body(const HttpResponse& response, std::string_view our_reason,
                                  RateLimitInfo limits);

// A 2xx that parsed as JSON but carries no usable text (yet maybe usage and an id).
DecodedResponse no_text(unsigned status, std::string_view our_reason, ChatResponse partial,
                        RateLimitInfo limits);

}  // namespace emosweep::providers::dialects
