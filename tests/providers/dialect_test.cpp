// The dialect codecs: golden tests of the exact requests (URL, headers, byte-exact body), and
// decoding of recorded-shape responses, including every error shape the providers send.
#include <gtest/gtest.h>
#include <simdjson.h>

#include "core/error.hpp"
#include "core/text.hpp"
#include "providers/dialect.hpp"
#include "providers/mock/wire.hpp"

namespace emosweep::providers {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// Every decode runs at 2024-05-01T12:00:00Z.
const std::chrono::system_clock::time_point kNow =
    std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + 12h;

ChatRequest full_request(std::string model) {
  ChatRequest r;
  r.model = std::move(model);
  r.system = "You are terse.";
  r.messages = {{"user", "Hi"}, {"assistant", "Hello"}, {"user", "Again"}};
  r.params.temperature = 0.0;
  r.params.max_tokens = 256;
  r.params.top_p = 0.5;
  r.params.seed = 7;
  r.params.stop = {"\n\n", "END"};
  return r;
}

ChatRequest bare_request(std::string model) {
  ChatRequest r;
  r.model = std::move(model);
  r.messages = {{"user", "Hi"}};
  return r;
}

EndpointSettings settings(Dialect d, std::string base_url, std::string key) {
  EndpointSettings s;
  s.dialect = d;
  s.base_url = std::move(base_url);
  s.api_key = std::move(key);
  return s;
}

HttpRequest encode(const ChatRequest& r, const EndpointSettings& s) {
  return make_codec(s.dialect)->encode(r, s);
}

// ---------------------------------------------------------------------------------------
// Golden requests

TEST(OpenAiEncode, FullRequestIsByteExact) {
  const auto http = encode(full_request("gpt-4o-2024-08-06"),
                           settings(Dialect::openai, "https://api.openai.com/v1/", "sk-test"));
  EXPECT_EQ(http.method, "POST");
  EXPECT_EQ(http.url, "https://api.openai.com/v1/chat/completions");
  EXPECT_EQ(http.headers,
            (Headers{{"content-type", "application/json"}, {"authorization", "Bearer sk-test"}}));
  EXPECT_EQ(http.body,
            R"({"model":"gpt-4o-2024-08-06","messages":[)"
            R"({"role":"system","content":"You are terse."},{"role":"user","content":"Hi"},)"
            R"({"role":"assistant","content":"Hello"},{"role":"user","content":"Again"}],)"
            R"("temperature":0,"max_tokens":256,"top_p":0.5,"seed":7,"stop":["\n\n","END"]})");
}

TEST(OpenAiEncode, NoKeyMeansNoAuthHeaderAndUnsetParamsAreNotSent) {
  const auto http = encode(bare_request("Qwen/Qwen2.5-7B-Instruct"),
                           settings(Dialect::openai, "http://127.0.0.1:8000/v1", ""));
  EXPECT_EQ(http.url, "http://127.0.0.1:8000/v1/chat/completions");
  EXPECT_EQ(http.headers, (Headers{{"content-type", "application/json"}}));
  EXPECT_EQ(http.body,
            R"({"model":"Qwen/Qwen2.5-7B-Instruct","messages":[{"role":"user","content":"Hi"}]})");
}

TEST(OpenAiEncode, FractionalAndNegativeNumbersRoundTrip) {
  ChatRequest r = bare_request("m");
  r.params.temperature = 0.7;
  r.params.top_p = 1.0;
  r.params.seed = -3;
  const auto http = encode(r, settings(Dialect::openai, "http://h/v1", ""));
  EXPECT_EQ(http.body, R"({"model":"m","messages":[{"role":"user","content":"Hi"}],)"
                       R"("temperature":0.7,"top_p":1,"seed":-3})");
}

TEST(AzureEncode, DeploymentPathApiVersionAndApiKeyHeader) {
  auto s = settings(Dialect::azure, "https://myres.openai.azure.com/", "azure-key");
  s.api_version = "2024-10-21";
  const auto http = encode(full_request("gpt-4o-prod"), s);
  EXPECT_EQ(http.url,
            "https://myres.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions"
            "?api-version=2024-10-21");
  EXPECT_EQ(http.headers,
            (Headers{{"content-type", "application/json"}, {"api-key", "azure-key"}}));
  // The deployment names the model: no "model" in the body.
  EXPECT_EQ(http.body,
            R"({"messages":[)"
            R"({"role":"system","content":"You are terse."},{"role":"user","content":"Hi"},)"
            R"({"role":"assistant","content":"Hello"},{"role":"user","content":"Again"}],)"
            R"("temperature":0,"max_tokens":256,"top_p":0.5,"seed":7,"stop":["\n\n","END"]})");
}

TEST(AzureEncode, DefaultApiVersionAndEscapedDeploymentName) {
  const auto http =
      encode(bare_request("my deployment/x"), settings(Dialect::azure, "https://r.example", ""));
  EXPECT_EQ(http.url,
            "https://r.example/openai/deployments/my%20deployment%2Fx/chat/completions"
            "?api-version=2024-06-01");
  EXPECT_EQ(http.headers, (Headers{{"content-type", "application/json"}}));
}

TEST(AnthropicEncode, FullRequestIsByteExactAndHasNoSeed) {
  const auto http = encode(full_request("claude-3-5-sonnet-20241022"),
                           settings(Dialect::anthropic, "https://api.anthropic.com", "sk-ant"));
  EXPECT_EQ(http.url, "https://api.anthropic.com/v1/messages");
  EXPECT_EQ(http.headers, (Headers{{"content-type", "application/json"},
                                   {"x-api-key", "sk-ant"},
                                   {"anthropic-version", "2023-06-01"}}));
  EXPECT_EQ(http.body,
            R"({"model":"claude-3-5-sonnet-20241022","max_tokens":256,)"
            R"("system":"You are terse.","messages":[{"role":"user","content":"Hi"},)"
            R"({"role":"assistant","content":"Hello"},{"role":"user","content":"Again"}],)"
            R"("temperature":0,"top_p":0.5,"stop_sequences":["\n\n","END"]})");
}

TEST(AnthropicEncode, MaxTokensDefaultsAndNoKeyMeansNoKeyHeader) {
  const auto http = encode(bare_request("claude-3-haiku"),
                           settings(Dialect::anthropic, "http://127.0.0.1:9/", ""));
  EXPECT_EQ(http.url, "http://127.0.0.1:9/v1/messages");
  EXPECT_EQ(http.headers,
            (Headers{{"content-type", "application/json"}, {"anthropic-version", "2023-06-01"}}));
  EXPECT_EQ(http.body, R"({"model":"claude-3-haiku","max_tokens":1024,)"
                       R"("messages":[{"role":"user","content":"Hi"}]})");
}

TEST(GeminiEncode, FullRequestIsByteExact) {
  const auto http =
      encode(full_request("gemini-1.5-flash"),
             settings(Dialect::gemini, "https://generativelanguage.googleapis.com/v1beta", "AIza"));
  EXPECT_EQ(http.url,
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-1.5-flash:"
            "generateContent");
  EXPECT_EQ(http.headers,
            (Headers{{"content-type", "application/json"}, {"x-goog-api-key", "AIza"}}));
  EXPECT_EQ(http.body,
            R"({"contents":[{"role":"user","parts":[{"text":"Hi"}]},)"
            R"({"role":"model","parts":[{"text":"Hello"}]},)"
            R"({"role":"user","parts":[{"text":"Again"}]}],)"
            R"("systemInstruction":{"parts":[{"text":"You are terse."}]},)"
            R"("generationConfig":{"temperature":0,"maxOutputTokens":256,"topP":0.5,"seed":7,)"
            R"("stopSequences":["\n\n","END"]}})");
}

TEST(GeminiEncode, BareRequestHasNoConfigAndModelPathForms) {
  const auto base = settings(Dialect::gemini, "https://g.example/v1beta/", "");
  const auto bare = encode(bare_request("gemini-2.0-flash"), base);
  EXPECT_EQ(bare.url, "https://g.example/v1beta/models/gemini-2.0-flash:generateContent");
  EXPECT_EQ(bare.headers, (Headers{{"content-type", "application/json"}}));
  EXPECT_EQ(bare.body, R"({"contents":[{"role":"user","parts":[{"text":"Hi"}]}]})");
  EXPECT_EQ(encode(bare_request("models/gemini-2.0-flash"), base).url,
            "https://g.example/v1beta/models/gemini-2.0-flash:generateContent");
  EXPECT_EQ(encode(bare_request("tunedModels/my-tune-1"), base).url,
            "https://g.example/v1beta/tunedModels/my-tune-1:generateContent");
  EXPECT_EQ(encode(bare_request("odd name?"), base).url,
            "https://g.example/v1beta/models/odd%20name%3F:generateContent");
}

TEST(EncodeHeaders, ExtraHeadersAreAppendedOrOverrideCaseInsensitively) {
  auto s = settings(Dialect::anthropic, "https://api.anthropic.com", "k");
  s.extra_headers = {{"Anthropic-Version", "2024-01-01"}, {"X-Trace-Id", "abc 123"}};
  const auto http = encode(bare_request("m"), s);
  EXPECT_EQ(http.headers, (Headers{{"content-type", "application/json"},
                                   {"x-api-key", "k"},
                                   {"anthropic-version", "2024-01-01"},
                                   {"x-trace-id", "abc 123"}}));
}

TEST(EncodeHeaders, ControlCharactersAreRejectedWithoutEchoingSecrets) {
  auto s = settings(Dialect::openai, "https://api.openai.com/v1", "sk-secret\r\nX-Evil: 1");
  try {
    encode(bare_request("m"), s);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find("sk-secret"), std::string::npos) << what;
    EXPECT_NE(what.find("API key"), std::string::npos) << what;
  }
  s.api_key = "ok";
  s.extra_headers = {{"x-note", "a\nb"}};
  EXPECT_THROW(encode(bare_request("m"), s), InputError);
  s.extra_headers = {{"bad name", "v"}};
  EXPECT_THROW(encode(bare_request("m"), s), InputError);
  s.extra_headers = {{"", "v"}};
  EXPECT_THROW(encode(bare_request("m"), s), InputError);
  s.extra_headers = {{"x-tab-ok", "a\tb"}};
  EXPECT_NO_THROW(encode(bare_request("m"), s));
}

// What the sweep loader checks before anything is sent: exactly what encode() would reject,
// plus a usable base_url and no header the HTTP client manages.
std::string validation_error(const EndpointSettings& s, std::string_view where = {}) {
  try {
    validate_endpoint_settings(s, where);
  } catch (const InputError& e) {
    return e.what();
  }
  return "ok";
}

TEST(ValidateEndpointSettings, AcceptsWhatEncodeAccepts) {
  for (Dialect d : {Dialect::openai, Dialect::azure, Dialect::anthropic, Dialect::gemini}) {
    auto s = settings(d, "https://api.example.com/v1/", "sk-test");
    s.extra_headers = {{"X-Trace-Id", "abc\t123"}, {"anthropic-beta", "x"}};
    EXPECT_EQ(validation_error(s), "ok");
    EXPECT_NO_THROW(encode(bare_request("m"), s));
  }
  EXPECT_EQ(validation_error(settings(Dialect::openai, "http://127.0.0.1:8000/v1", "")), "ok");
}

TEST(ValidateEndpointSettings, NamesTheHeaderNeverItsValue) {
  auto s = settings(Dialect::openai, "https://api.openai.com/v1", "sk-secret\r\nX-Evil: 1");
  EXPECT_EQ(validation_error(s, "sweep.yaml: endpoints[0]"),
            "sweep.yaml: endpoints[0]: the API key contains a control character (check its "
            "environment variable)");
  EXPECT_THROW(encode(bare_request("m"), s), InputError);  // encode agrees
  s.api_key = "sk-ok";
  s.extra_headers = {{"X-Org", "org-secret\x01"}};
  EXPECT_EQ(validation_error(s), "the value of header 'X-Org' contains a control character");
  EXPECT_THROW(encode(bare_request("m"), s), InputError);
  s.extra_headers = {{"x-del", "a\x7f"}};
  EXPECT_EQ(validation_error(s), "the value of header 'x-del' contains a control character");
  s.extra_headers = {{"bad name", "v"}};
  EXPECT_EQ(validation_error(s), "header name 'bad name' is not a valid HTTP token");
  EXPECT_THROW(encode(bare_request("m"), s), InputError);
  s.extra_headers = {{"bad\nname", "v"}};
  EXPECT_EQ(validation_error(s), "header name 'bad?name' is not a valid HTTP token");
  s.extra_headers = {{"", "v"}};
  EXPECT_EQ(validation_error(s), "header name '' is not a valid HTTP token");
  for (std::string_view managed : {"Host", "content-length", "Transfer-Encoding"}) {
    s.extra_headers = {{std::string(managed), "v"}};
    EXPECT_EQ(validation_error(s), "header '" + std::string(managed) +
                                       "' is set by the HTTP client and cannot be configured");
  }
}

TEST(ValidateEndpointSettings, BaseUrlMustBeAbsoluteHttpWithoutQuery) {
  const auto error_for = [](std::string url) {
    return validation_error(settings(Dialect::openai, std::move(url), "k"), "endpoints[1]");
  };
  EXPECT_TRUE(error_for("api.openai.com/v1").starts_with("endpoints[1]: base_url: "))
      << error_for("api.openai.com/v1");
  EXPECT_EQ(error_for("ftp://host/v1"),
            "endpoints[1]: base_url: scheme 'ftp' is not http or https");
  EXPECT_TRUE(error_for("").starts_with("endpoints[1]: base_url: "));
  EXPECT_EQ(error_for("https://host/v1?key=secret"),
            "endpoints[1]: base_url: must not have a query or fragment (the API path is "
            "appended to it)");
  EXPECT_EQ(error_for("https://host/v1#x").find("secret"), std::string::npos);
}

// Reddit text: quotes, backslashes, every kind of control character, emoji, accents, and the
// line separators JSON allows raw.
constexpr std::string_view kNastyText =
    "She said \"I'm fine\" \\ not \\n really\ttab\nline\rcr\bbs\fff \x01\x1f\x7f "
    "\xF0\x9F\x98\xA2 caf\xC3\xA9 \xE2\x80\xA8 <mask>";
constexpr std::string_view kNastyJson =
    R"("She said \"I'm fine\" \\ not \\n really\ttab\nline\rcr\bbs\fff \u0001\u001f)"
    "\x7f \xF0\x9F\x98\xA2 caf\xC3\xA9 \xE2\x80\xA8 <mask>\"";

TEST(EncodeEscaping, EveryStringIsEscapedExactly) {
  ChatRequest r = bare_request("m");
  r.messages[0].content = std::string(kNastyText);
  const auto openai = encode(r, settings(Dialect::openai, "http://h/v1", "")).body;
  EXPECT_EQ(openai, std::string(R"({"model":"m","messages":[{"role":"user","content":)") +
                        std::string(kNastyJson) + "}]}");
  const auto anthropic = encode(r, settings(Dialect::anthropic, "http://h", "")).body;
  EXPECT_EQ(anthropic,
            std::string(R"({"model":"m","max_tokens":1024,"messages":[{"role":"user","content":)") +
                std::string(kNastyJson) + "}]}");
  const auto gemini = encode(r, settings(Dialect::gemini, "http://h", "")).body;
  EXPECT_EQ(gemini, std::string(R"({"contents":[{"role":"user","parts":[{"text":)") +
                        std::string(kNastyJson) + "}]}]}");
}

// Parses `body` and returns the string at a JSON pointer.
std::string string_at(const std::string& body, std::string_view pointer) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  EXPECT_EQ(parser.parse(body).get(root), simdjson::SUCCESS) << body;
  std::string_view s;
  EXPECT_EQ(root.at_pointer(pointer).get_string().get(s), simdjson::SUCCESS) << pointer;
  return std::string(s);
}

TEST(EncodeEscaping, EveryDialectRoundTripsTheTextThroughAJsonParser) {
  ChatRequest r = bare_request("m");
  r.system = std::string(kNastyText);
  r.messages[0].content = std::string(kNastyText);
  r.params.stop = {std::string(kNastyText)};
  const auto openai = encode(r, settings(Dialect::openai, "http://h/v1", "")).body;
  EXPECT_EQ(string_at(openai, "/messages/0/content"), kNastyText);
  EXPECT_EQ(string_at(openai, "/messages/1/content"), kNastyText);
  EXPECT_EQ(string_at(openai, "/stop/0"), kNastyText);
  const auto anthropic = encode(r, settings(Dialect::anthropic, "http://h", "")).body;
  EXPECT_EQ(string_at(anthropic, "/system"), kNastyText);
  EXPECT_EQ(string_at(anthropic, "/messages/0/content"), kNastyText);
  EXPECT_EQ(string_at(anthropic, "/stop_sequences/0"), kNastyText);
  const auto gemini = encode(r, settings(Dialect::gemini, "http://h", "")).body;
  EXPECT_EQ(string_at(gemini, "/systemInstruction/parts/0/text"), kNastyText);
  EXPECT_EQ(string_at(gemini, "/contents/0/parts/0/text"), kNastyText);
  EXPECT_EQ(string_at(gemini, "/generationConfig/stopSequences/0"), kNastyText);
}

TEST(EncodeEscaping, InvalidUtf8IsRepairedNeverSentBroken) {
  // A lone continuation byte, an invalid lead byte, a truncated 2-byte sequence at the end,
  // an overlong '/' and a UTF-16 surrogate encoded in UTF-8.
  const std::string broken = "ok\x80 bad\xFF mid\xC0\xAF sur\xED\xA0\x80 end\xC3";
  const std::string repaired = text::repair_utf8(broken);
  ASSERT_TRUE(text::is_valid_utf8(repaired));
  ASSERT_NE(repaired.find("\xEF\xBF\xBD"), std::string::npos);  // U+FFFD
  ChatRequest r = bare_request(broken);
  r.system = broken;
  r.messages[0].content = broken;
  r.params.stop = {broken};
  for (Dialect d : {Dialect::openai, Dialect::azure, Dialect::anthropic, Dialect::gemini}) {
    const auto http = encode(r, settings(d, "http://h", ""));
    EXPECT_TRUE(text::is_valid_utf8(http.body)) << to_string(d);
    EXPECT_EQ(http.body.find(broken), std::string::npos) << to_string(d);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    EXPECT_EQ(parser.parse(http.body).get(root), simdjson::SUCCESS) << to_string(d);
  }
  const auto openai = encode(r, settings(Dialect::openai, "http://h/v1", "")).body;
  EXPECT_EQ(string_at(openai, "/messages/1/content"), repaired);
  EXPECT_EQ(string_at(openai, "/model"), repaired);
  const auto gemini = encode(r, settings(Dialect::gemini, "http://h", "")).body;
  EXPECT_EQ(string_at(gemini, "/contents/0/parts/0/text"), repaired);
}

TEST(MakeCodec, EachDialectGetsItsCodec) {
  for (Dialect d : {Dialect::openai, Dialect::azure, Dialect::anthropic, Dialect::gemini})
    EXPECT_EQ(make_codec(d)->dialect(), d);
}

// ---------------------------------------------------------------------------------------
// Classification

TEST(Classify, StatusTable) {
  const std::pair<unsigned, Outcome> cases[] = {
      {0, Outcome::retryable},   {200, Outcome::retryable},       {400, Outcome::permanent},
      {401, Outcome::permanent}, {402, Outcome::quota_exhausted}, {403, Outcome::permanent},
      {404, Outcome::permanent}, {405, Outcome::permanent},       {408, Outcome::retryable},
      {409, Outcome::retryable}, {413, Outcome::permanent},       {422, Outcome::permanent},
      {425, Outcome::retryable}, {429, Outcome::rate_limited},    {500, Outcome::retryable},
      {502, Outcome::retryable}, {503, Outcome::overloaded},      {504, Outcome::retryable},
      {520, Outcome::retryable}, {529, Outcome::overloaded},      {301, Outcome::permanent},
      {101, Outcome::permanent},
  };
  for (const auto& [status, expected] : cases)
    EXPECT_EQ(to_string(classify(status)), to_string(expected)) << status;
}

TEST(Classify, ErrorTypesAndMessagesRefineTheStatus) {
  EXPECT_EQ(classify(429, "insufficient_quota"), Outcome::quota_exhausted);
  EXPECT_EQ(classify(429, "rate_limit_exceeded"), Outcome::rate_limited);
  EXPECT_EQ(classify(402, "billing_error"), Outcome::quota_exhausted);
  EXPECT_EQ(classify(400, "invalid_request_error",
                     "Your credit balance is too low to access the Anthropic API."),
            Outcome::quota_exhausted);
  EXPECT_EQ(classify(400, "invalid_request_error",
                     "You have reached your specified API usage limits. You will regain access "
                     "on 2025-06-01 at 00:00 UTC."),
            Outcome::quota_exhausted);
  EXPECT_EQ(classify(400, "invalid_request_error", "max_tokens: must be positive"),
            Outcome::permanent);
  EXPECT_EQ(classify(400, "content_filter"), Outcome::safety_blocked);
  EXPECT_EQ(classify(200, "overloaded_error"), Outcome::overloaded);
  EXPECT_EQ(classify(200, "rate_limit_error"), Outcome::rate_limited);
  EXPECT_EQ(classify(200, "server_error"), Outcome::retryable);
  // The quota wording alone is not evidence: Gemini's per-minute limits use it too.
  EXPECT_EQ(classify(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota"),
            Outcome::rate_limited);
}

TEST(TransportFailure, IsRetryableWithOurReasonOnly) {
  const auto d = transport_failure("connection_reset");
  EXPECT_EQ(d.outcome, Outcome::retryable);
  EXPECT_EQ(d.http_status, 0u);
  EXPECT_EQ(d.error_type, "connection_reset");
  EXPECT_EQ(d.provider_message, "");
  EXPECT_TRUE(is_retryable(d.outcome));
}

TEST(ClipProviderMessage, BoundedAtAUtf8Boundary) {
  std::string long_message;
  for (int i = 0; i < 1000; ++i)
    long_message += "\xC3\xA9";       // é, 2 bytes
  long_message = "x" + long_message;  // odd offset: byte 500 falls inside a sequence
  const std::string clipped = clip_provider_message(long_message);
  EXPECT_EQ(clipped.size(), 499u);
  EXPECT_TRUE(text::is_valid_utf8(clipped));
  EXPECT_EQ(clip_provider_message("short"), "short");
  EXPECT_EQ(clip_provider_message("bad\xFF"), "bad\xEF\xBF\xBD");
}

// ---------------------------------------------------------------------------------------
// Decoding

DecodedResponse decode(Dialect d, unsigned status, std::string body, Headers headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return make_codec(d)->decode(r, kNow);
}

std::string outcome(const DecodedResponse& d) {
  return std::string(to_string(d.outcome));
}

// -- openai --

constexpr std::string_view kOpenAiOk = R"({
  "id": "chatcmpl-AbC123",
  "object": "chat.completion",
  "created": 1714560000,
  "model": "gpt-4o-2024-08-06",
  "choices": [{
    "index": 0,
    "message": {"role": "assistant", "content": "['sad', 'angry']", "refusal": null},
    "logprobs": null,
    "finish_reason": "stop"
  }],
  "usage": {"prompt_tokens": 312, "completion_tokens": 7, "total_tokens": 319,
            "completion_tokens_details": {"reasoning_tokens": 0}},
  "system_fingerprint": "fp_abc"
})";

TEST(OpenAiDecode, SuccessWithUsageIdAndRateLimitHeaders) {
  const auto d = decode(Dialect::openai, 200, std::string(kOpenAiOk),
                        {{"x-request-id", "req_header"},
                         {"x-ratelimit-limit-requests", "500"},
                         {"x-ratelimit-remaining-requests", "499"},
                         {"x-ratelimit-reset-requests", "120ms"},
                         {"x-ratelimit-limit-tokens", "30000"},
                         {"x-ratelimit-remaining-tokens", "29681"},
                         {"x-ratelimit-reset-tokens", "638ms"}});
  EXPECT_EQ(outcome(d), "ok");
  EXPECT_EQ(d.http_status, 200u);
  EXPECT_EQ(d.response.text, "['sad', 'angry']");
  EXPECT_EQ(d.response.finish_reason, "stop");
  EXPECT_EQ(d.response.usage.prompt_tokens, 312u);
  EXPECT_EQ(d.response.usage.completion_tokens, 7u);
  EXPECT_EQ(d.response.request_id, "chatcmpl-AbC123");
  EXPECT_EQ(d.error_type, "");
  EXPECT_EQ(d.limits.requests_limit, 500u);
  EXPECT_EQ(d.limits.requests_remaining, 499u);
  EXPECT_EQ(d.limits.requests_reset, 120ms);
  EXPECT_EQ(d.limits.tokens_limit, 30000u);
  EXPECT_EQ(d.limits.tokens_remaining, 29681u);
  EXPECT_EQ(d.limits.tokens_reset, 638ms);
  EXPECT_FALSE(d.limits.retry_after.has_value());
}

// One parser reused for a run of answers (as an endpoint worker does): bigger and smaller
// bodies, errors and garbage in between, each decoded exactly as with a fresh parser.
TEST(OpenAiDecode, AReusedParserDecodesEachAnswerAsAFreshOneDoes) {
  const auto codec = make_codec(Dialect::openai);
  simdjson::dom::parser reused;
  const std::string big = std::string(kOpenAiOk).replace(
      std::string(kOpenAiOk).find("['sad', 'angry']"), 16, "[" + std::string(5000, 'x') + "]");
  const std::vector<std::pair<unsigned, std::string>> bodies = {
      {200, big},
      {200, std::string(kOpenAiOk)},
      {429, R"({"error":{"message":"Rate limit","type":"requests","code":"rate_limit_exceeded"}})"},
      {200, "{not json"},
      {200, std::string(kOpenAiOk)},
      {500, ""},
      {200, big}};
  for (const auto& [status, body] : bodies) {
    HttpResponse r;
    r.status = status;
    r.body = body;
    const DecodedResponse with_reuse = codec->decode(r, kNow, reused);
    const DecodedResponse fresh = codec->decode(r, kNow);
    EXPECT_EQ(outcome(with_reuse), outcome(fresh)) << body.substr(0, 40);
    EXPECT_EQ(with_reuse.response.text, fresh.response.text);
    EXPECT_EQ(with_reuse.response.request_id, fresh.response.request_id);
    EXPECT_EQ(with_reuse.response.usage.prompt_tokens, fresh.response.usage.prompt_tokens);
    EXPECT_EQ(with_reuse.error_type, fresh.error_type);
    EXPECT_EQ(with_reuse.provider_message, fresh.provider_message);
  }
  HttpResponse last;
  last.status = 200;
  last.body = std::string(kOpenAiOk);
  EXPECT_EQ(codec->decode(last, kNow, reused).response.text, "['sad', 'angry']");
}

TEST(OpenAiDecode, CompatibleServerWithExtraFieldsAndNoUsage) {
  // Ollama/llama.cpp-like: no id, no usage, extra members; the header id is the fallback.
  const auto d = decode(Dialect::openai, 200,
                        R"({"object":"chat.completion","choices":[{"index":0,)"
                        R"("message":{"role":"assistant","content":"joy","tool_calls":[]},)"
                        R"("finish_reason":"length","stop_reason":null}],"timings":{"x":1}})",
                        {{"x-request-id", "req_42"}});
  EXPECT_EQ(outcome(d), "ok");
  EXPECT_EQ(d.response.text, "joy");
  EXPECT_EQ(d.response.finish_reason, "length");
  EXPECT_EQ(d.response.usage.prompt_tokens, 0u);
  EXPECT_EQ(d.response.usage.completion_tokens, 0u);
  EXPECT_EQ(d.response.request_id, "req_42");
}

TEST(OpenAiDecode, NullUsageAndContentAsPartsArray) {
  const auto d = decode(Dialect::openai, 200,
                        R"({"id":"x","choices":[{"message":{"content":[{"type":"text","text":"a"},)"
                        R"({"type":"text","text":"b"}]},"finish_reason":"stop"}],"usage":null})");
  EXPECT_EQ(outcome(d), "ok");
  EXPECT_EQ(d.response.text, "ab");
  EXPECT_EQ(d.response.usage.prompt_tokens, 0u);
}

TEST(OpenAiDecode, RateLimit429) {
  const auto d = decode(
      Dialect::openai, 429,
      R"({"error":{"message":"Rate limit reached for gpt-4o in organization org-x on tokens per )"
      R"(min (TPM): Limit 30000, Used 29500, Requested 900. Please try again in 800ms.",)"
      R"("type":"tokens","param":null,"code":"rate_limit_exceeded"}})",
      {{"retry-after", "1"}, {"x-ratelimit-reset-tokens", "800ms"}, {"x-request-id", "req_9"}});
  EXPECT_EQ(outcome(d), "rate_limited");
  EXPECT_EQ(d.http_status, 429u);
  EXPECT_EQ(d.error_type, "rate_limit_exceeded");
  EXPECT_NE(d.provider_message.find("Rate limit reached for gpt-4o"), std::string::npos);
  EXPECT_EQ(d.limits.retry_after, 1000ms);
  EXPECT_EQ(d.limits.tokens_reset, 800ms);
  EXPECT_EQ(d.response.request_id, "req_9");
}

TEST(OpenAiDecode, AzureRetryAfterMs) {
  const auto d =
      decode(Dialect::azure, 429,
             R"({"error":{"code":"429","message":"Requests to the ChatCompletions_Create )"
             R"(Operation have exceeded token rate limit. Please retry after 6 seconds."}})",
             {{"retry-after", "6"}, {"retry-after-ms", "5500"}});
  EXPECT_EQ(outcome(d), "rate_limited");
  EXPECT_EQ(d.error_type, "429");
  EXPECT_EQ(d.limits.retry_after, 5500ms);
}

TEST(OpenAiDecode, InsufficientQuota429IsQuotaExhaustedNotRateLimited) {
  const auto d = decode(
      Dialect::openai, 429,
      R"({"error":{"message":"You exceeded your current quota, please check your plan and )"
      R"(billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}})");
  EXPECT_EQ(outcome(d), "quota_exhausted");
  EXPECT_FALSE(is_retryable(d.outcome));
  EXPECT_EQ(d.error_type, "insufficient_quota");
  EXPECT_EQ(d.provider_message,
            "You exceeded your current quota, please check your plan and billing details.");
}

TEST(OpenAiDecode, InsufficientQuotaInTheTypeOnly) {
  const auto d = decode(Dialect::openai, 429,
                        R"({"error":{"message":"quota","type":"insufficient_quota","code":"x"}})");
  EXPECT_EQ(outcome(d), "quota_exhausted");
}

TEST(OpenAiDecode, Unauthorized401IsPermanent) {
  const auto d = decode(
      Dialect::openai, 401,
      R"({"error":{"message":"Incorrect API key provided: sk-abc***wxyz. You can find your API )"
      R"(key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error",)"
      R"("param":null,"code":"invalid_api_key"}})");
  EXPECT_EQ(outcome(d), "permanent");
  EXPECT_EQ(d.error_type, "invalid_api_key");
}

TEST(OpenAiDecode, ContextLength400IsPermanent) {
  const auto d = decode(
      Dialect::openai, 400,
      R"({"error":{"message":"This model's maximum context length is 128000 tokens. However, )"
      R"(your messages resulted in 130512 tokens. Please reduce the length of the messages.",)"
      R"("type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}})");
  EXPECT_EQ(outcome(d), "permanent");
  EXPECT_EQ(d.error_type, "context_length_exceeded");
  EXPECT_NE(d.provider_message.find("maximum context length"), std::string::npos);
}

TEST(OpenAiDecode, ServerError500IsRetryable) {
  const auto d =
      decode(Dialect::openai, 500,
             R"({"error":{"message":"The server had an error while processing your request. Sorry )"
             R"(about that!","type":"server_error","param":null,"code":null}})");
  EXPECT_EQ(outcome(d), "retryable");
  EXPECT_EQ(d.error_type, "server_error");
}

TEST(OpenAiDecode, Overloaded503) {
  const auto d = decode(Dialect::openai, 503,
                        R"({"error":{"message":"The engine is currently overloaded, please try )"
                        R"(again later","type":"server_error","param":null,"code":null}})");
  EXPECT_EQ(outcome(d), "overloaded");
}

TEST(OpenAiDecode, HtmlErrorPageFromAProxy) {
  const auto d = decode(Dialect::openai, 502,
                        "<html><head><title>502 Bad Gateway</title></head><body>nginx</body>"
                        "</html>");
  EXPECT_EQ(outcome(d), "retryable");
  EXPECT_EQ(d.http_status, 502u);
  EXPECT_EQ(d.error_type, "");
  EXPECT_NE(d.provider_message.find("502 Bad Gateway"), std::string::npos);
}

TEST(OpenAiDecode, MalformedJsonIsRetryable) {
  const auto d = decode(Dialect::openai, 200, R"({"id":"x","choices":[{"message":{"content":"a"})");
  EXPECT_EQ(outcome(d), "retryable");
  EXPECT_EQ(d.error_type, "invalid_json");
  EXPECT_EQ(d.provider_message, "");
  EXPECT_EQ(outcome(decode(Dialect::openai, 200, "")), "retryable");
  EXPECT_EQ(outcome(decode(Dialect::openai, 200, "not json")), "retryable");
  EXPECT_EQ(outcome(decode(Dialect::openai, 200, std::string("{\"a\":\"\xFF\"}"))), "retryable");
}

TEST(OpenAiDecode, ErrorBodyIn200IsNotSuccess) {
  const auto d =
      decode(Dialect::openai, 200,
             R"({"error":{"message":"Internal error","type":"server_error","code":null}})");
  EXPECT_EQ(outcome(d), "retryable");
  EXPECT_EQ(d.error_type, "server_error");
  EXPECT_EQ(d.provider_message, "Internal error");
}

TEST(OpenAiDecode, NoChoicesAndEmptyContentAreRetryable) {
  const auto none =
      decode(Dialect::openai, 200,
             R"({"id":"x","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":0}})");
  EXPECT_EQ(outcome(none), "retryable");
  EXPECT_EQ(none.error_type, "no_choices");
  EXPECT_EQ(none.response.usage.prompt_tokens, 5u);
  const auto missing = decode(Dialect::openai, 200, R"({"id":"x"})");
  EXPECT_EQ(missing.error_type, "no_choices");
  const auto empty = decode(Dialect::openai, 200,
                            R"({"id":"x","choices":[{"message":{"role":"assistant","content":""},)"
                            R"("finish_reason":"length"}]})");
  EXPECT_EQ(outcome(empty), "retryable");
  EXPECT_EQ(empty.error_type, "empty_response");
  EXPECT_EQ(empty.response.finish_reason, "length");
  const auto null_content = decode(
      Dialect::openai, 200, R"({"choices":[{"message":{"content":null},"finish_reason":"stop"}]})");
  EXPECT_EQ(null_content.error_type, "empty_response");
}

TEST(OpenAiDecode, RefusalAndContentFilterAreSafetyBlocks) {
  const auto refusal = decode(Dialect::openai, 200,
                              R"({"choices":[{"message":{"content":null,"refusal":"I can't help )"
                              R"(with that."},"finish_reason":"stop"}]})");
  EXPECT_EQ(outcome(refusal), "safety_blocked");
  EXPECT_EQ(refusal.error_type, "refusal");
  EXPECT_EQ(refusal.provider_message, "I can't help with that.");
  const auto filtered = decode(Dialect::azure, 200,
                               R"({"choices":[{"message":{"content":""},)"
                               R"("finish_reason":"content_filter"}]})");
  EXPECT_EQ(outcome(filtered), "safety_blocked");
  EXPECT_EQ(filtered.response.finish_reason, "content_filter");
  // Azure's prompt filter answers 400 with code content_filter.
  const auto prompt = decode(
      Dialect::azure, 400,
      R"({"error":{"message":"The response was filtered due to the prompt triggering Azure )"
      R"(OpenAI's content management policy.","type":null,"param":"prompt",)"
      R"("code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation"}}})");
  EXPECT_EQ(outcome(prompt), "safety_blocked");
  EXPECT_EQ(prompt.error_type, "content_filter");
}

TEST(OpenAiDecode, CompatibleServersErrorShapes) {
  // vLLM: a top-level error object with a numeric code.
  const auto vllm = decode(Dialect::openai, 400,
                           R"({"object":"error","message":"This model's maximum context length )"
                           R"(is 4096 tokens.","type":"BadRequestError","param":null,"code":400})");
  EXPECT_EQ(outcome(vllm), "permanent");
  EXPECT_EQ(vllm.error_type, "BadRequestError");
  EXPECT_NE(vllm.provider_message.find("4096"), std::string::npos);
  // Ollama: the error is a plain string.
  const auto ollama = decode(Dialect::openai, 404,
                             R"({"error":"model \"llama9\" not found, try pulling it first"})");
  EXPECT_EQ(outcome(ollama), "permanent");
  EXPECT_EQ(ollama.provider_message, "model \"llama9\" not found, try pulling it first");
  // OpenRouter: out of credits is a 402 with a numeric code.
  const auto openrouter =
      decode(Dialect::openai, 402, R"({"error":{"code":402,"message":"Insufficient credits."}})");
  EXPECT_EQ(outcome(openrouter), "quota_exhausted");
  EXPECT_EQ(openrouter.error_type, "402");
  // llama.cpp while loading the model.
  const auto llama = decode(Dialect::openai, 503,
                            R"({"error":{"code":503,"message":"Loading model",)"
                            R"("type":"unavailable_error"}})");
  EXPECT_EQ(outcome(llama), "overloaded");
  EXPECT_EQ(llama.error_type, "unavailable_error");
  // JSON without any error member on an error status.
  const auto odd = decode(Dialect::openai, 404, R"({"detail":"Not Found"})");
  EXPECT_EQ(outcome(odd), "permanent");
  EXPECT_EQ(odd.provider_message, R"({"detail":"Not Found"})");
}

TEST(OpenAiDecode, LongProviderMessagesAreClipped) {
  const std::string message(5000, 'x');
  const auto d =
      decode(Dialect::openai, 400,
             R"({"error":{"message":")" + message + R"(","type":"invalid_request_error"}})");
  EXPECT_EQ(d.provider_message.size(), kMaxProviderMessage);
}

// -- anthropic --

constexpr std::string_view kAnthropicOk = R"({
  "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
  "type": "message",
  "role": "assistant",
  "model": "claude-3-5-sonnet-20241022",
  "content": [
    {"type": "thinking", "thinking": "Let me think", "signature": "abc"},
    {"type": "text", "text": "['sad', "},
    {"type": "text", "text": "'angry']"}
  ],
  "stop_reason": "end_turn",
  "stop_sequence": null,
  "usage": {"input_tokens": 2095, "output_tokens": 503, "cache_read_input_tokens": 0}
})";

TEST(AnthropicDecode, SuccessConcatenatesTextBlocks) {
  const auto d = decode(Dialect::anthropic, 200, std::string(kAnthropicOk),
                        {{"request-id", "req_hdr"},
                         {"anthropic-ratelimit-requests-limit", "50"},
                         {"anthropic-ratelimit-requests-remaining", "49"},
                         {"anthropic-ratelimit-requests-reset", "2024-05-01T12:00:01Z"},
                         {"anthropic-ratelimit-tokens-limit", "40000"},
                         {"anthropic-ratelimit-tokens-remaining", "38000"},
                         {"anthropic-ratelimit-tokens-reset", "2024-05-01T12:00:30.250Z"}});
  EXPECT_EQ(outcome(d), "ok");
  EXPECT_EQ(d.response.text, "['sad', 'angry']");
  EXPECT_EQ(d.response.finish_reason, "end_turn");
  EXPECT_EQ(d.response.usage.prompt_tokens, 2095u);
  EXPECT_EQ(d.response.usage.completion_tokens, 503u);
  EXPECT_EQ(d.response.request_id, "msg_01XFDUDYJgAACzvnptvVoYEL");
  EXPECT_EQ(d.limits.requests_limit, 50u);
  EXPECT_EQ(d.limits.requests_remaining, 49u);
  EXPECT_EQ(d.limits.requests_reset, 1000ms);
  EXPECT_EQ(d.limits.tokens_remaining, 38000u);
  EXPECT_EQ(d.limits.tokens_reset, 30250ms);
}

TEST(AnthropicDecode, RateLimit429WithRetryAfter) {
  const auto d = decode(Dialect::anthropic, 429,
                        R"({"type":"error","error":{"type":"rate_limit_error","message":"Number )"
                        R"(of request tokens has exceeded your per-minute rate limit"},)"
                        R"("request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"})",
                        {{"retry-after", "17"}, {"request-id", "req_other"}});
  EXPECT_EQ(outcome(d), "rate_limited");
  EXPECT_EQ(d.error_type, "rate_limit_error");
  EXPECT_EQ(d.limits.retry_after, 17000ms);
  EXPECT_EQ(d.response.request_id, "req_011CSHoEeqs5C35K2UUqR7Fy");
  EXPECT_NE(d.provider_message.find("per-minute rate limit"), std::string::npos);
}

TEST(AnthropicDecode, Overloaded529) {
  const auto d =
      decode(Dialect::anthropic, 529,
             R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})",
             {{"request-id", "req_h"}});
  EXPECT_EQ(outcome(d), "overloaded");
  EXPECT_EQ(d.error_type, "overloaded_error");
  EXPECT_EQ(d.provider_message, "Overloaded");
  EXPECT_EQ(d.response.request_id, "req_h");
}

TEST(AnthropicDecode, BillingErrorsAreQuotaExhausted) {
  const auto low = decode(Dialect::anthropic, 400,
                          R"({"type":"error","error":{"type":"invalid_request_error","message":)"
                          R"("Your credit balance is too low to access the Anthropic API. Please )"
                          R"(go to Plans & Billing to upgrade or purchase credits."}})");
  EXPECT_EQ(outcome(low), "quota_exhausted");
  EXPECT_EQ(low.error_type, "invalid_request_error");
  const auto billing = decode(Dialect::anthropic, 402,
                              R"({"type":"error","error":{"type":"billing_error","message":"x"}})");
  EXPECT_EQ(outcome(billing), "quota_exhausted");
}

TEST(AnthropicDecode, PermanentAndServerErrors) {
  const auto bad = decode(Dialect::anthropic, 400,
                          R"({"type":"error","error":{"type":"invalid_request_error",)"
                          R"("message":"max_tokens: Field required"}})");
  EXPECT_EQ(outcome(bad), "permanent");
  const auto auth = decode(Dialect::anthropic, 401,
                           R"({"type":"error","error":{"type":"authentication_error",)"
                           R"("message":"invalid x-api-key"}})");
  EXPECT_EQ(outcome(auth), "permanent");
  EXPECT_EQ(auth.error_type, "authentication_error");
  EXPECT_EQ(auth.provider_message, "invalid x-api-key");
  const auto perm =
      decode(Dialect::anthropic, 403,
             R"({"type":"error","error":{"type":"permission_error","message":"no"}})");
  EXPECT_EQ(outcome(perm), "permanent");
  const auto missing =
      decode(Dialect::anthropic, 404,
             R"({"type":"error","error":{"type":"not_found_error","message":"model: x"}})");
  EXPECT_EQ(outcome(missing), "permanent");
  const auto api =
      decode(Dialect::anthropic, 500,
             R"({"type":"error","error":{"type":"api_error","message":"Internal server error"}})");
  EXPECT_EQ(outcome(api), "retryable");
  EXPECT_EQ(api.error_type, "api_error");
}

TEST(AnthropicDecode, RefusalEmptyAndMalformed) {
  const auto refusal = decode(Dialect::anthropic, 200,
                              R"({"id":"msg_1","content":[],"stop_reason":"refusal",)"
                              R"("usage":{"input_tokens":10,"output_tokens":0}})");
  EXPECT_EQ(outcome(refusal), "safety_blocked");
  EXPECT_EQ(refusal.response.finish_reason, "refusal");
  EXPECT_EQ(refusal.response.usage.prompt_tokens, 10u);
  const auto empty =
      decode(Dialect::anthropic, 200, R"({"id":"msg_2","content":[],"stop_reason":"end_turn"})");
  EXPECT_EQ(outcome(empty), "retryable");
  EXPECT_EQ(empty.error_type, "empty_response");
  const auto no_content = decode(Dialect::anthropic, 200, R"({"id":"msg_3"})");
  EXPECT_EQ(no_content.error_type, "no_choices");
  const auto truncated = decode(Dialect::anthropic, 200, R"({"id":"msg_4","content":[{"type":"te)");
  EXPECT_EQ(outcome(truncated), "retryable");
  EXPECT_EQ(truncated.error_type, "invalid_json");
}

TEST(AnthropicDecode, RequestIdHeaderIsTheFallback) {
  const auto d = decode(Dialect::anthropic, 200,
                        R"({"content":[{"type":"text","text":"joy"}],"stop_reason":"end_turn"})",
                        {{"request-id", "req_018EeWyXxfu5pfWkrYcMdjWG"}});
  EXPECT_EQ(outcome(d), "ok");
  EXPECT_EQ(d.response.request_id, "req_018EeWyXxfu5pfWkrYcMdjWG");
}

// -- gemini --

constexpr std::string_view kGeminiOk = R"({
  "candidates": [{
    "content": {"parts": [{"text": "secret plan", "thought": true}, {"text": "['sad', "},
                          {"text": "'angry']"}], "role": "model"},
    "finishReason": "STOP",
    "index": 0,
    "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}]
  }],
  "usageMetadata": {"promptTokenCount": 400, "candidatesTokenCount": 8, "thoughtsTokenCount": 120,
                    "totalTokenCount": 528},
  "modelVersion": "gemini-2.5-flash",
  "responseId": "mEkxaJ-2DtKzz7IPxK7C-Ac"
})";

TEST(GeminiDecode, SuccessSkipsThoughtsAndCountsThemAsOutput) {
  const auto d = decode(Dialect::gemini, 200, std::string(kGeminiOk));
  EXPECT_EQ(outcome(d), "ok");
  EXPECT_EQ(d.response.text, "['sad', 'angry']");
  EXPECT_EQ(d.response.finish_reason, "STOP");
  EXPECT_EQ(d.response.usage.prompt_tokens, 400u);
  EXPECT_EQ(d.response.usage.completion_tokens, 128u);
  EXPECT_EQ(d.response.request_id, "mEkxaJ-2DtKzz7IPxK7C-Ac");
}

TEST(GeminiDecode, RateLimit429WithRetryInfo) {
  const auto d = decode(
      Dialect::gemini, 429,
      R"({"error":{"code":429,"message":"You exceeded your current quota, please check your )"
      R"(plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[)"
      R"({"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[)"
      R"({"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests",)"
      R"("quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier",)"
      R"("quotaDimensions":{"location":"global","model":"gemini-2.0-flash"},"quotaValue":"15"}]},)"
      R"({"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Learn more",)"
      R"("url":"https://ai.google.dev/gemini-api/docs/rate-limits"}]},)"
      R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"30s"}]}})");
  EXPECT_EQ(outcome(d), "rate_limited");
  EXPECT_EQ(d.error_type, "RESOURCE_EXHAUSTED");
  EXPECT_EQ(d.limits.retry_after, 30000ms);
  EXPECT_NE(d.provider_message.find("You exceeded your current quota"), std::string::npos);
}

TEST(GeminiDecode, RetryInfoWithFractionWinsOverTheHeader) {
  const auto d = decode(Dialect::gemini, 429,
                        R"({"error":{"code":429,"message":"m","status":"RESOURCE_EXHAUSTED",)"
                        R"("details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo",)"
                        R"("retryDelay":"39.787s"}]}})",
                        {{"retry-after", "5"}});
  EXPECT_EQ(d.limits.retry_after, 39787ms);
  const auto header_only = decode(
      Dialect::gemini, 429, R"({"error":{"code":429,"message":"m","status":"RESOURCE_EXHAUSTED"}})",
      {{"retry-after", "5"}});
  EXPECT_EQ(outcome(header_only), "rate_limited");
  EXPECT_EQ(header_only.limits.retry_after, 5000ms);
}

TEST(GeminiDecode, DailyQuotaIsQuotaExhausted) {
  const auto d = decode(
      Dialect::gemini, 429,
      R"({"error":{"code":429,"message":"You exceeded your current quota.\n* Quota exceeded for )"
      R"(metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 50",)"
      R"("status":"RESOURCE_EXHAUSTED","details":[)"
      R"({"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[)"
      R"({"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests",)"
      R"("quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier","quotaValue":"50"}]},)"
      R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"13s"}]}})");
  EXPECT_EQ(outcome(d), "quota_exhausted");
  EXPECT_FALSE(is_retryable(d.outcome));
  EXPECT_EQ(d.error_type, "RESOURCE_EXHAUSTED");
  EXPECT_EQ(d.limits.retry_after, 13000ms);  // kept, though the scheduler should not wait on it
  // A zero quota (model not available on this tier) cannot clear either.
  const auto zero = decode(
      Dialect::gemini, 429,
      R"({"error":{"code":429,"message":"limit: 0","status":"RESOURCE_EXHAUSTED","details":[)"
      R"({"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[)"
      R"({"quotaId":"GenerateContentInputTokensPerModelPerMinute-FreeTier","quotaValue":"0"}]}]}})");
  EXPECT_EQ(outcome(zero), "quota_exhausted");
}

TEST(GeminiDecode, InvalidArgumentPermissionDeniedAndServerErrors) {
  const auto bad = decode(
      Dialect::gemini, 400,
      R"({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.",)"
      R"("status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo",)"
      R"("reason":"API_KEY_INVALID","domain":"googleapis.com"}]}})");
  EXPECT_EQ(outcome(bad), "permanent");
  EXPECT_EQ(bad.error_type, "INVALID_ARGUMENT");
  EXPECT_EQ(bad.provider_message, "API key not valid. Please pass a valid API key.");
  const auto denied = decode(Dialect::gemini, 403,
                             R"({"error":{"code":403,"message":"Permission denied on resource )"
                             R"(project.","status":"PERMISSION_DENIED"}})");
  EXPECT_EQ(outcome(denied), "permanent");
  EXPECT_EQ(denied.error_type, "PERMISSION_DENIED");
  const auto internal =
      decode(Dialect::gemini, 500,
             R"({"error":{"code":500,"message":"An internal error has occurred.",)"
             R"("status":"INTERNAL"}})");
  EXPECT_EQ(outcome(internal), "retryable");
  EXPECT_EQ(internal.error_type, "INTERNAL");
  const auto unavailable = decode(Dialect::gemini, 503,
                                  R"({"error":{"code":503,"message":"The model is overloaded.",)"
                                  R"("status":"UNAVAILABLE"}})");
  EXPECT_EQ(outcome(unavailable), "overloaded");
  // Some Google front ends wrap the error in an array.
  const auto wrapped = decode(Dialect::gemini, 404,
                              R"([{"error":{"code":404,"message":"models/x is not found",)"
                              R"("status":"NOT_FOUND"}}])");
  EXPECT_EQ(outcome(wrapped), "permanent");
  EXPECT_EQ(wrapped.error_type, "NOT_FOUND");
}

TEST(GeminiDecode, SafetyFinishIsBlockedNotACrash) {
  const auto d =
      decode(Dialect::gemini, 200,
             R"({"candidates":[{"finishReason":"SAFETY","index":0,"safetyRatings":[)"
             R"({"category":"HARM_CATEGORY_HARASSMENT","probability":"HIGH","blocked":true}]}],)"
             R"("usageMetadata":{"promptTokenCount":50,"totalTokenCount":50}})");
  EXPECT_EQ(outcome(d), "safety_blocked");
  EXPECT_FALSE(is_retryable(d.outcome));
  EXPECT_EQ(d.error_type, "SAFETY");
  EXPECT_EQ(d.response.finish_reason, "SAFETY");
  EXPECT_EQ(d.response.text, "");
  EXPECT_EQ(d.response.usage.prompt_tokens, 50u);
  for (std::string_view reason : {"RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"}) {
    const auto blocked = decode(Dialect::gemini, 200,
                                R"({"candidates":[{"finishReason":")" + std::string(reason) +
                                    R"(","content":{"role":"model"}}]})");
    EXPECT_EQ(outcome(blocked), "safety_blocked") << reason;
  }
}

TEST(GeminiDecode, PromptFeedbackBlock) {
  const auto d =
      decode(Dialect::gemini, 200,
             R"({"promptFeedback":{"blockReason":"PROHIBITED_CONTENT","safetyRatings":[]},)"
             R"("usageMetadata":{"promptTokenCount":12,"totalTokenCount":12},)"
             R"("modelVersion":"gemini-1.5-flash","responseId":"r1"})");
  EXPECT_EQ(outcome(d), "safety_blocked");
  EXPECT_EQ(d.error_type, "PROHIBITED_CONTENT");
  EXPECT_EQ(d.response.request_id, "r1");
  EXPECT_EQ(d.response.usage.prompt_tokens, 12u);
}

// The mock provider's `safety` fault writes each dialect's refusal independently of the
// codecs (providers/mock/wire.cpp); both sides must agree that it is a safety block.
TEST(SafetyBlocks, TheMocksRefusalsDecodeAsSafetyBlockedInEveryDialect) {
  mock::Completion c;
  c.id = "id-1";
  c.created = 1714564800;
  c.model = "m";
  c.prompt_tokens = 42;
  for (Dialect d : {Dialect::openai, Dialect::azure, Dialect::anthropic, Dialect::gemini}) {
    for (bool prompt_blocked : {false, true}) {
      SCOPED_TRACE(std::string(to_string(d)) + (prompt_blocked ? " prompt" : " candidate"));
      std::string body;
      mock::write_refusal_body(body, d, c, prompt_blocked);
      const auto decoded = decode(d, 200, body);
      EXPECT_EQ(outcome(decoded), "safety_blocked");
      EXPECT_FALSE(is_retryable(decoded.outcome));
      EXPECT_EQ(decoded.response.text, "");
      EXPECT_EQ(decoded.response.usage.prompt_tokens, 42u);
      EXPECT_EQ(decoded.response.usage.completion_tokens, 0u);
      EXPECT_EQ(decoded.response.request_id, "id-1");
      const std::string_view expected_type = d == Dialect::anthropic ? "refusal"
                                             : d == Dialect::gemini  ? "SAFETY"
                                                                     : "content_filter";
      EXPECT_EQ(decoded.error_type, expected_type);
    }
  }
}

TEST(GeminiDecode, MissingPartsOrCandidatesAreRetryable) {
  const auto no_parts =
      decode(Dialect::gemini, 200,
             R"({"candidates":[{"content":{"role":"model"},"finishReason":"STOP"}]})");
  EXPECT_EQ(outcome(no_parts), "retryable");
  EXPECT_EQ(no_parts.error_type, "empty_response");
  const auto max_tokens =
      decode(Dialect::gemini, 200,
             R"({"candidates":[{"content":{"parts":[{"text":"plan","thought":true}],)"
             R"("role":"model"},"finishReason":"MAX_TOKENS"}]})");
  EXPECT_EQ(max_tokens.error_type, "empty_response");
  EXPECT_EQ(max_tokens.response.finish_reason, "MAX_TOKENS");
  const auto none = decode(Dialect::gemini, 200, R"({"usageMetadata":{"promptTokenCount":3}})");
  EXPECT_EQ(outcome(none), "retryable");
  EXPECT_EQ(none.error_type, "no_choices");
  const auto html = decode(Dialect::gemini, 504, "upstream request timeout");
  EXPECT_EQ(outcome(html), "retryable");
  EXPECT_EQ(html.provider_message, "upstream request timeout");
}

// -- every dialect --

TEST(DecodeTruncation, EveryProperPrefixOfASuccessBodyIsRetryableNeverOk) {
  const std::pair<Dialect, std::string_view> bodies[] = {{Dialect::openai, kOpenAiOk},
                                                         {Dialect::anthropic, kAnthropicOk},
                                                         {Dialect::gemini, kGeminiOk}};
  for (const auto& [dialect, body] : bodies) {
    ASSERT_EQ(outcome(decode(dialect, 200, std::string(body))), "ok");
    const auto codec = make_codec(dialect);
    for (std::size_t n = 0; n < body.size(); ++n) {
      HttpResponse r;
      r.status = 200;
      r.body = std::string(body.substr(0, n));
      const auto d = codec->decode(r, kNow);
      ASSERT_EQ(outcome(d), "retryable") << to_string(dialect) << " prefix " << n;
      ASSERT_EQ(d.error_type, "invalid_json") << to_string(dialect) << " prefix " << n;
    }
  }
}

TEST(DecodeRobustness, WrongTypesEverywhereNeverThrow) {
  const char* bodies[] = {
      "null",
      "[]",
      "42",
      "\"str\"",
      "{}",
      R"({"error":null})",
      R"({"error":42})",
      R"({"choices":{"0":1}})",
      R"({"choices":[null]})",
      R"({"choices":[{"message":"x"}]})",
      R"({"choices":[{"message":{"content":42}}],"usage":{"prompt_tokens":"many"}})",
      R"({"content":"text","usage":[]})",
      R"({"content":[{"type":"text","text":7}]})",
      R"({"candidates":[{"content":{"parts":"x"}}]})",
      R"({"candidates":[{"content":{"parts":[1]}}]})",
      R"({"error":{"details":"x"}})",
      R"({"error":{"details":[{"@type":7}]}})",
      R"({"error":{"details":[{"@type":"google.rpc.QuotaFailure","violations":"x"}]}})",
      R"({"usage":{"prompt_tokens":-5,"completion_tokens":1.5}})"};
  for (Dialect d : {Dialect::openai, Dialect::anthropic, Dialect::gemini}) {
    for (const char* body : bodies) {
      for (unsigned status : {200u, 400u, 429u, 500u}) {
        DecodedResponse out;
        EXPECT_NO_THROW(out = decode(d, status, body)) << body;
        if (status == 200) {
          EXPECT_NE(out.outcome, Outcome::ok) << to_string(d) << " " << body;
        }
      }
    }
  }
}

TEST(DecodeRobustness, IntegralDoubleUsageIsAccepted) {
  const auto d = decode(Dialect::openai, 200,
                        R"({"choices":[{"message":{"content":"a"}}],)"
                        R"("usage":{"prompt_tokens":12.0,"completion_tokens":3}})");
  EXPECT_EQ(d.response.usage.prompt_tokens, 12u);
  EXPECT_EQ(d.response.usage.completion_tokens, 3u);
}

}  // namespace
}  // namespace emosweep::providers
