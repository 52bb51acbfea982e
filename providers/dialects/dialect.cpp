// The dialect-independent parts of providers/dialect.hpp: the codec factory, transport
// failures, the one error classifier and message clipping.
#include "providers/dialect.hpp"

#include <algorithm>

#include <simdjson.h>

#include "core/text.hpp"
#include "providers/dialects/common.hpp"

namespace emosweep::providers {

DialectCodec::~DialectCodec() = default;

DecodedResponse DialectCodec::decode(const HttpResponse& response,
                                     std::chrono::system_clock::time_point now) const {
  simdjson::dom::parser parser;
  return decode(response, now, parser);
}

std::unique_ptr<DialectCodec> make_codec(Dialect dialect) {
  switch (dialect) {
    case Dialect::openai:
      return dialects::make_openai_codec(false);
    case Dialect::azure:
      return dialects::make_openai_codec(true);
    case Dialect::anthropic:
      return dialects::make_anthropic_codec();
    case Dialect::gemini:
      return dialects::make_gemini_codec();
  }
  return dialects::make_openai_codec(false);
}

DecodedResponse transport_failure(std::string_view reason) {
  DecodedResponse out;
  out.outcome = Outcome::retryable;
  out.http_status = 0;
  out.error_type = std::string(reason);
  return out;
}

namespace {

bool contains_ascii_ci(std::string_view haystack, std::string_view needle) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                     [&](char a, char b) { return lower(a) == lower(b); }) != haystack.end();
}

bool is_quota_error_type(std::string_view type) {
  return type == "insufficient_quota" || type == "billing_error" ||
         type == "billing_hard_limit_reached" || type == "insufficient_balance";
}

}  // namespace

Outcome classify(unsigned http_status, std::string_view error_type, std::string_view message) {
  if (is_quota_error_type(error_type) || http_status == 402) return Outcome::quota_exhausted;
  // Anthropic reports an empty prepaid balance or a reached spend limit as a plain 400
  // invalid_request_error; only the wording tells it apart from a bad request.
  if ((http_status == 400 || http_status == 403) &&
      (contains_ascii_ci(message, "credit balance is too low") ||
       contains_ascii_ci(message, "reached your specified api usage limits")))
    return Outcome::quota_exhausted;
  if (error_type == "content_filter") return Outcome::safety_blocked;
  if (error_type == "overloaded_error") return Outcome::overloaded;
  if (error_type == "rate_limit_error" || error_type == "rate_limit_exceeded")
    return Outcome::rate_limited;

  if (http_status == 0) return Outcome::retryable;
  if (http_status >= 200 && http_status < 300) return Outcome::retryable;
  switch (http_status) {
    case 408:  // request timeout
    case 409:  // conflict (Anthropic: retry)
    case 425:  // too early
      return Outcome::retryable;
    case 429:
      return Outcome::rate_limited;
    case 503:
    case 529:
      return Outcome::overloaded;
    default:
      break;
  }
  if (http_status >= 500 && http_status < 600) return Outcome::retryable;
  return Outcome::permanent;
}

std::string clip_provider_message(std::string_view text) {
  // Repair only what can survive the cut (a few spare bytes for a split last sequence).
  std::string out = text::repair_utf8(text.substr(0, kMaxProviderMessage + 4));
  if (out.size() > kMaxProviderMessage) {
    std::size_t cut = kMaxProviderMessage;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80)
      --cut;
    out.resize(cut);
  }
  return out;
}

}  // namespace emosweep::providers
