// libFuzzer target: the provider parsers on arbitrary input. Every codec's decode() on any
// body, with a status and rate-limit headers chosen by the input, never throws (it is
// documented not to) and keeps its invariants; every rate_limits.hpp parser on any string
// never throws and never returns a negative wait; encode() of any text yields valid JSON that
// carries the text (ill-formed UTF-8 repaired).
//
// Input layout: byte 0 picks the dialect and status, byte 1 which headers carry the header
// value, byte 2 the header value's length; then the header value, then the body.
#include <simdjson.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/text.hpp"
#include "providers/dialect.hpp"
#include "providers/rate_limits.hpp"

namespace {

using namespace emosweep::providers;
using std::chrono::milliseconds;

// 2024-05-01T12:00:00Z: a fixed `now`, so that a finding reproduces.
const SystemTime kNow{std::chrono::seconds(1714564800)};

constexpr std::array<Dialect, 4> kDialects = {Dialect::openai, Dialect::azure, Dialect::anthropic,
                                              Dialect::gemini};
constexpr std::array<unsigned, 16> kStatuses = {200, 201, 204, 400, 401, 402, 403, 404,
                                                408, 429, 500, 503, 529, 302, 100, 999};
constexpr std::array<std::string_view, 16> kHeaderNames = {
    "retry-after",
    "retry-after-ms",
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
    "anthropic-ratelimit-requests-limit",
    "anthropic-ratelimit-requests-reset",
    "anthropic-ratelimit-tokens-remaining",
    "anthropic-ratelimit-tokens-reset",
    "anthropic-ratelimit-input-tokens-remaining",
    "anthropic-ratelimit-output-tokens-reset",
    "x-request-id",
    "request-id",
    "content-type",
    "x-ratelimit-limit-tokens"};

void check(bool condition) {
  if (!condition) __builtin_trap();
}

void check_wait(const std::optional<milliseconds>& wait) {
  if (wait) check(wait->count() >= 0);
}

const std::unique_ptr<DialectCodec>& codec(Dialect d) {
  static const std::array<std::unique_ptr<DialectCodec>, 4> codecs = {
      make_codec(Dialect::openai), make_codec(Dialect::azure), make_codec(Dialect::anthropic),
      make_codec(Dialect::gemini)};
  return codecs[static_cast<std::size_t>(d)];
}

void fuzz_parsers(std::string_view value) {
  if (auto n = parse_count(value)) check(!value.empty());
  check_wait(parse_duration(value));
  check_wait(parse_retry_after(value, kNow));
  check_wait(parse_retry_after_ms(value));
  if (auto t = parse_http_date(value)) check(time_until(*t, kNow).count() >= 0);
  if (auto t = parse_rfc3339(value)) check(time_until(*t, kNow).count() >= 0);
}

void check_limits(const RateLimitInfo& l) {
  check_wait(l.requests_reset);
  check_wait(l.tokens_reset);
  check_wait(l.retry_after);
}

void fuzz_decode(Dialect d, unsigned status, Headers headers, std::string body) {
  HttpResponse response;
  response.status = status;
  response.headers = std::move(headers);
  response.body = std::move(body);
  DecodedResponse out;
  try {
    out = codec(d)->decode(response, kNow);
  } catch (...) {
    __builtin_trap();  // documented: only std::bad_alloc, which the fuzzer's limits surface
  }
  check(out.http_status == status);
  check_limits(out.limits);
  // A success needs a 2xx and text; a safety block has none of the provider's text as ours.
  if (out.outcome == Outcome::ok)
    check(status >= 200 && status < 300 && !out.response.text.empty());
  check(out.provider_message.size() <= kMaxProviderMessage);
  check(emosweep::text::is_valid_utf8(out.provider_message));
  // Our own reasons never come with the provider's words for a non-JSON 2xx body.
  if (out.error_type == reason::invalid_json && status >= 200 && status < 300)
    check(out.provider_message.empty() && out.outcome == Outcome::retryable);
}

void fuzz_encode(Dialect d, std::string_view text) {
  ChatRequest request;
  request.model = "m";
  request.system = std::string(text.substr(0, text.size() / 2));
  request.messages = {{"user", std::string(text)}};
  request.params.stop = {std::string(text.substr(text.size() / 2))};
  EndpointSettings settings;
  settings.dialect = d;
  settings.base_url = "https://example.test/v1";
  settings.api_key = "k";
  HttpRequest http;
  try {
    http = codec(d)->encode(request, settings);
  } catch (...) {
    __builtin_trap();  // only header problems throw, and these headers are clean
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  check(parser.parse(http.body).get(root) == simdjson::SUCCESS);
  std::string_view sent;
  const char* pointer = d == Dialect::anthropic ? "/messages/0/content"
                        : d == Dialect::gemini  ? "/contents/0/parts/0/text"
                                                : "/messages/1/content";  // after the system one
  if (request.system.empty() && (d == Dialect::openai || d == Dialect::azure))
    pointer = "/messages/0/content";
  check(root.at_pointer(pointer).get(sent) == simdjson::SUCCESS);
  check(sent == emosweep::text::repair_utf8(text));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const Dialect dialect = kDialects[data[0] & 3];
  const unsigned status = kStatuses[(data[0] >> 2) & 15];
  const unsigned header_mask = data[1];
  const std::size_t value_size = std::min<std::size_t>(data[2], size - 3);
  const std::string_view value(reinterpret_cast<const char*>(data + 3), value_size);
  const std::string_view body(reinterpret_cast<const char*>(data + 3 + value_size),
                              size - 3 - value_size);

  fuzz_parsers(value);
  fuzz_parsers(body);

  Headers headers;
  for (std::size_t i = 0; i < 8; ++i)
    if (header_mask & (1u << i))
      headers.emplace_back(kHeaderNames[(i * 2 + (data[0] >> 6)) & 15], value);
  fuzz_decode(dialect, status, headers, std::string(body));

  if (data[0] & 0x40) fuzz_encode(dialect, body);
  return 0;
}
