// The mock provider as a real server: started in-process on an ephemeral loopback port and
// spoken to over HTTP. Every response shape is parsed with simdjson and checked field by field.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "express/prompts.hpp"
#include "providers/mock/answers.hpp"
#include "providers/mock_server.hpp"
#include "providers/types.hpp"
#include "tests/providers/mock_test_client.hpp"

namespace emosweep::providers {
namespace {

using mocktest::anthropic_body;
using mocktest::anthropic_headers;
using mocktest::Client;
using mocktest::fetch;
using mocktest::gemini_body;
using mocktest::Json;
using mocktest::openai_body;
using mocktest::Reply;
using namespace std::chrono_literals;

constexpr std::string_view kOpenAi = "/v1/chat/completions";
constexpr std::string_view kAnthropic = "/v1/messages";
constexpr std::string_view kGemini = "/v1beta/models/gemini-2.0-flash:generateContent";

MockOptions base_options() {
  MockOptions o;
  o.threads = 2;
  o.seed = 7;
  return o;
}

// A started server that stops when the test ends.
struct Running {
  explicit Running(MockOptions o) : server(std::move(o)) { server.start(); }
  std::uint16_t port() const { return server.port(); }
  MockServer server;
};

std::string zero_shot(std::string_view segment) {
  return express::render_zero_shot(
      segment, mock::count_masks(std::string("Text:\n") + std::string(segment)));
}

std::string str(simdjson::dom::element e, std::string_view key) {
  std::string_view v;
  EXPECT_EQ(e[key].get(v), simdjson::SUCCESS) << key;
  return std::string(v);
}
std::uint64_t num(simdjson::dom::element e, std::string_view key) {
  std::uint64_t v = 0;
  EXPECT_EQ(e[key].get(v), simdjson::SUCCESS) << key;
  return v;
}
bool is_null(simdjson::dom::element e, std::string_view key) {
  simdjson::dom::element v;
  return e[key].get(v) == simdjson::SUCCESS && v.is_null();
}

// The text of a success body in any dialect.
std::string answer_text(Dialect d, const std::string& body) {
  Json j(body);
  EXPECT_TRUE(j.ok) << body;
  std::string_view text;
  simdjson::error_code ec = simdjson::SUCCESS;
  if (d == Dialect::anthropic)
    ec = j.root.at_pointer("/content/0/text").get(text);
  else if (d == Dialect::gemini)
    ec = j.root.at_pointer("/candidates/0/content/parts/0/text").get(text);
  else
    ec = j.root.at_pointer("/choices/0/message/content").get(text);
  EXPECT_EQ(ec, simdjson::SUCCESS) << body;
  return std::string(text);
}

// Words of a `['a', 'b']` answer.
std::vector<std::string> words(const std::string& answer) {
  std::vector<std::string> out;
  for (std::size_t pos = answer.find('\''); pos != std::string::npos;) {
    const std::size_t end = answer.find('\'', pos + 1);
    if (end == std::string::npos) break;
    out.push_back(answer.substr(pos + 1, end - pos - 1));
    pos = answer.find('\'', end + 1);
  }
  return out;
}

std::uint64_t stat(const std::string& stats_json, std::string_view pointer) {
  Json j(stats_json);
  std::uint64_t v = 0;
  EXPECT_EQ(j.root.at_pointer(pointer).get(v), simdjson::SUCCESS)
      << pointer << " in " << stats_json;
  return v;
}

std::filesystem::path temp_file(const std::string& name, const std::string& content) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("emosweep_mock_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(path) << content;
  return path;
}

// --- response shapes --------------------------------------------------------------------------

TEST(MockServer, OpenAiAnswersInTheRealShape) {
  Running mock(base_options());
  const std::string prompt = zero_shot("I was <mask> and then <mask> when it happened.");
  const Reply r = fetch(mock.port(), "POST", kOpenAi, openai_body("gpt-4o", prompt, 100));
  ASSERT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_TRUE(r.header("x-request-id").starts_with("req_"));
  Json j(r.body);
  ASSERT_TRUE(j.ok) << r.body;
  EXPECT_TRUE(str(j.root, "id").starts_with("chatcmpl-"));
  EXPECT_EQ(str(j.root, "object"), "chat.completion");
  EXPECT_GT(num(j.root, "created"), 1600000000u);
  EXPECT_EQ(str(j.root, "model"), "gpt-4o");
  simdjson::dom::element choice = j.root.at_pointer("/choices/0").value();
  EXPECT_EQ(num(choice, "index"), 0u);
  EXPECT_EQ(str(choice.at_key("message").value(), "role"), "assistant");
  EXPECT_EQ(str(choice, "finish_reason"), "stop");
  EXPECT_TRUE(is_null(choice, "logprobs"));
  const std::string text = answer_text(Dialect::openai, r.body);
  EXPECT_EQ(words(text).size(), 2u) << text;
  simdjson::dom::element usage = j.root["usage"].value();
  const std::uint64_t prompt_chars = mock::count_code_points(prompt) + 14;  // + system prompt
  EXPECT_EQ(num(usage, "prompt_tokens"), (prompt_chars + 3) / 4);
  EXPECT_EQ(num(usage, "completion_tokens"), mock::approx_tokens(text));
  EXPECT_EQ(num(usage, "total_tokens"),
            num(usage, "prompt_tokens") + num(usage, "completion_tokens"));
}

TEST(MockServer, AnthropicAnswersInTheRealShape) {
  Running mock(base_options());
  const Reply r =
      fetch(mock.port(), "POST", kAnthropic,
            anthropic_body("claude-3-5-sonnet", zero_shot("So <mask>.")), anthropic_headers());
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(r.header("request-id").starts_with("req_"));
  Json j(r.body);
  ASSERT_TRUE(j.ok) << r.body;
  EXPECT_TRUE(str(j.root, "id").starts_with("msg_"));
  EXPECT_EQ(str(j.root, "type"), "message");
  EXPECT_EQ(str(j.root, "role"), "assistant");
  EXPECT_EQ(str(j.root, "model"), "claude-3-5-sonnet");
  EXPECT_EQ(str(j.root.at_pointer("/content/0").value(), "type"), "text");
  EXPECT_EQ(words(answer_text(Dialect::anthropic, r.body)).size(), 1u);
  EXPECT_EQ(str(j.root, "stop_reason"), "end_turn");
  EXPECT_TRUE(is_null(j.root, "stop_sequence"));
  EXPECT_GT(num(j.root["usage"].value(), "input_tokens"), 10u);
  EXPECT_GT(num(j.root["usage"].value(), "output_tokens"), 0u);
}

TEST(MockServer, GeminiAnswersInTheRealShape) {
  Running mock(base_options());
  const Reply r =
      fetch(mock.port(), "POST", kGemini, gemini_body(zero_shot("<mask>, <mask>, <mask>!")));
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(r.header("content-type").starts_with("application/json"));
  Json j(r.body);
  ASSERT_TRUE(j.ok) << r.body;
  simdjson::dom::element cand = j.root.at_pointer("/candidates/0").value();
  EXPECT_EQ(str(cand.at_key("content").value(), "role"), "model");
  EXPECT_EQ(str(cand, "finishReason"), "STOP");
  EXPECT_EQ(num(cand, "index"), 0u);
  EXPECT_EQ(words(answer_text(Dialect::gemini, r.body)).size(), 3u);
  simdjson::dom::element usage = j.root["usageMetadata"].value();
  EXPECT_EQ(num(usage, "totalTokenCount"),
            num(usage, "promptTokenCount") + num(usage, "candidatesTokenCount"));
  EXPECT_EQ(str(j.root, "modelVersion"), "gemini-2.0-flash");
  EXPECT_FALSE(str(j.root, "responseId").empty());
}

TEST(MockServer, ServesTheAlternativePaths) {
  Running mock(base_options());
  const std::string body = openai_body("m", "hi <mask>");
  EXPECT_EQ(fetch(mock.port(), "POST", "/chat/completions", body).status, 200u);
  EXPECT_EQ(
      fetch(mock.port(), "POST", "/models/gemini-pro:generateContent", gemini_body("x")).status,
      200u);
  // Azure: the deployment names the model when the body does not.
  const Reply azure = fetch(mock.port(), "POST",
                            "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-06-01",
                            R"({"messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(azure.status, 200u) << azure.body;
  EXPECT_EQ(str(Json(azure.body).root, "model"), "my-gpt4o");
  EXPECT_EQ(
      fetch(mock.port(), "POST", "/openai/deployments/my-gpt4o/chat/completions", body).status,
      404u);
}

// --- answers ----------------------------------------------------------------------------------

TEST(MockServer, PseudoPredictionHasOneWordPerMaskOfTheRealSegments) {
  Running mock(base_options());
  Client client(mock.port());
  csv::Reader reader(EMOSWEEP_SHARED_DIR "/data/express/express-sample.csv");
  const std::size_t segment = reader.require_column("segment");
  const std::size_t count = reader.require_column("number_of_labels");
  const std::set<std::string_view> vocabulary(mock::emotion_words().begin(),
                                              mock::emotion_words().end());
  int checked = 0;
  while (checked < 40 && reader.next()) {
    const std::size_t masks = std::stoul(std::string(reader.field(count)));
    const std::string prompt = express::render_zero_shot(reader.field(segment), masks);
    const Reply r = client.post(kOpenAi, openai_body("gpt-4o", prompt));
    ASSERT_EQ(r.status, 200u) << r.body;
    const std::string text = answer_text(Dialect::openai, r.body);
    const auto w = words(text);
    ASSERT_EQ(w.size(), masks) << "row " << reader.row() << ": " << text;
    for (const auto& word : w)
      EXPECT_TRUE(vocabulary.count(word)) << word;
    EXPECT_EQ(text.front(), '[');
    EXPECT_EQ(text.back(), ']');
    ++checked;
  }
  EXPECT_EQ(checked, 40);
}

TEST(MockServer, AnswersAreDeterministicAcrossServersAndDependOnSeedAndModel) {
  std::vector<std::string> prompts;
  for (int i = 0; i < 12; ++i)
    prompts.push_back(zero_shot("Story " + std::to_string(i) + ": <mask> then <mask> <mask>."));
  const auto answers = [&](std::uint64_t seed, std::string_view model) {
    MockOptions o = base_options();
    o.seed = seed;
    Running mock(o);
    Client c(mock.port());
    std::vector<std::string> out;
    for (const auto& p : prompts)
      out.push_back(answer_text(Dialect::openai, c.post(kOpenAi, openai_body(model, p)).body));
    // And a repeat on another connection answers the same.
    EXPECT_EQ(answer_text(Dialect::openai,
                          fetch(mock.port(), "POST", kOpenAi, openai_body(model, prompts[0])).body),
              out[0]);
    return out;
  };
  const auto first = answers(7, "gpt-4o");
  EXPECT_EQ(answers(7, "gpt-4o"), first);
  EXPECT_NE(answers(8, "gpt-4o"), first);
  EXPECT_NE(answers(7, "llama-3.1-8b"), first);
}

TEST(MockServer, AnswersFileByPromptAndBySegment) {
  const std::string few_shot =
      "Examples.\nText:\nI was <mask> at first.\nAnswer: ['calm']\n\nText:\nThen I got "
      "<mask> about the exam results.\nAnswer:";
  const auto path = temp_file("answers.jsonl",
                              "{\"prompt\": \"exact prompt\", \"answer\": \"['happy']\"}\n"
                              "{\"prompt\": \"exact prompt\", \"answer\": \"['sad']\", "
                              "\"model\": \"special\"}\n"
                              "\n"
                              "{\"segment\": \"I was <mask> at first.\", \"answer\": \"A1\"}\n"
                              "{\"segment\": \"Then I got <mask> about the exam results.\", "
                              "\"answer\": \"A2\"}\n");
  MockOptions o = base_options();
  o.answers_file = path.string();
  Running mock(o);
  const auto ask = [&](std::string_view model, const std::string& prompt) {
    return answer_text(Dialect::openai,
                       fetch(mock.port(), "POST", kOpenAi, openai_body(model, prompt)).body);
  };
  EXPECT_EQ(ask("gpt-4o", "exact prompt"), "['happy']");
  EXPECT_EQ(ask("special", "exact prompt"), "['sad']");
  EXPECT_EQ(ask("gpt-4o", zero_shot("I was <mask> at first.")), "A1");
  EXPECT_EQ(ask("gpt-4o", few_shot), "A2");  // the target segment, not the example
  EXPECT_EQ(words(ask("gpt-4o", "exact prompt, but longer <mask>")).size(), 1u);
  std::filesystem::remove(path);
}

TEST(MockServer, AnswerLongerThanMaxTokensIsCut) {
  const auto path =
      temp_file("long.jsonl", "{\"prompt\": \"long\", \"answer\": \"0123456789abcdefghij\"}\n");
  MockOptions o = base_options();
  o.answers_file = path.string();
  Running mock(o);
  const Reply r = fetch(mock.port(), "POST", kOpenAi, openai_body("m", "long", 2));
  Json j(r.body);
  EXPECT_EQ(answer_text(Dialect::openai, r.body), "01234567");
  EXPECT_EQ(str(j.root.at_pointer("/choices/0").value(), "finish_reason"), "length");
  EXPECT_EQ(num(j.root["usage"].value(), "completion_tokens"), 2u);
  const Reply a =
      fetch(mock.port(), "POST", kAnthropic, anthropic_body("m", "long", 3), anthropic_headers());
  EXPECT_EQ(str(Json(a.body).root, "stop_reason"), "max_tokens");
  std::filesystem::remove(path);
}

// --- rate limits ------------------------------------------------------------------------------

TEST(MockServer, RequestsPerMinuteAdmitAFullBucketThen429WithRetryAfter) {
  MockOptions o = base_options();
  o.rpm = 60;
  Running mock(o);
  Client c(mock.port());
  int ok = 0, limited = 0, first_limited = -1;
  Reply last_429;
  for (int i = 0; i < 100; ++i) {
    const Reply r = c.post(kOpenAi, openai_body("gpt-4o", "prompt " + std::to_string(i)));
    ASSERT_FALSE(r.error);
    if (r.status == 200) {
      ++ok;
      EXPECT_EQ(r.header("x-ratelimit-limit-requests"), "60");
      EXPECT_TRUE(r.has_header("x-ratelimit-remaining-requests"));
      EXPECT_TRUE(r.has_header("x-ratelimit-reset-requests"));
    } else {
      ASSERT_EQ(r.status, 429u) << r.body;
      if (first_limited < 0) first_limited = i;
      ++limited;
      last_429 = r;
    }
  }
  // A full bucket of 60, plus whatever refilled (one per second) during the burst.
  EXPECT_GE(ok, 60);
  EXPECT_LE(ok, 62);
  EXPECT_GE(first_limited, 60);
  EXPECT_EQ(ok + limited, 100);
  EXPECT_GE(std::stoi(last_429.header("retry-after")), 1);
  EXPECT_GE(std::stoi(last_429.header("retry-after-ms")), 1);
  EXPECT_EQ(last_429.header("x-ratelimit-remaining-requests"), "0");
  EXPECT_EQ(last_429.header("x-ratelimit-limit-requests"), "60");
  const std::string reset = last_429.header("x-ratelimit-reset-requests");
  EXPECT_TRUE(reset.ends_with("s")) << reset;
  Json j(last_429.body);
  EXPECT_EQ(str(j.root["error"].value(), "code"), "rate_limit_exceeded");
  EXPECT_EQ(str(j.root["error"].value(), "type"), "requests");
  EXPECT_EQ(stat(mock.server.stats_json(true), "/rate_limited"),
            static_cast<std::uint64_t>(limited));
  EXPECT_EQ(stat(mock.server.stats_json(true), "/responses_by_status/429"),
            static_cast<std::uint64_t>(limited));
}

TEST(MockServer, AnthropicAndGeminiRateLimitsInTheirOwnShapes) {
  MockOptions o = base_options();
  o.rpm = 2;
  Running mock(o);
  for (int i = 0; i < 2; ++i) {
    const Reply r =
        fetch(mock.port(), "POST", kAnthropic, anthropic_body("c", "p"), anthropic_headers());
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.header("anthropic-ratelimit-requests-limit"), "2");
    EXPECT_EQ(r.header("anthropic-ratelimit-requests-remaining"), std::to_string(1 - i));
    const std::string reset = r.header("anthropic-ratelimit-requests-reset");
    EXPECT_EQ(reset.size(), 20u) << reset;  // 2024-05-01T12:00:01Z
    EXPECT_EQ(reset[10], 'T');
    EXPECT_EQ(reset.back(), 'Z');
  }
  const Reply a =
      fetch(mock.port(), "POST", kAnthropic, anthropic_body("c", "p"), anthropic_headers());
  EXPECT_EQ(a.status, 429u);
  EXPECT_GE(std::stoi(a.header("retry-after")), 1);
  Json ja(a.body);
  EXPECT_EQ(str(ja.root, "type"), "error");
  EXPECT_EQ(str(ja.root["error"].value(), "type"), "rate_limit_error");

  const Reply g = fetch(mock.port(), "POST", kGemini, gemini_body("p"));
  EXPECT_EQ(g.status, 429u);
  Json jg(g.body);
  simdjson::dom::element err = jg.root["error"].value();
  EXPECT_EQ(num(err, "code"), 429u);
  EXPECT_EQ(str(err, "status"), "RESOURCE_EXHAUSTED");
  std::string retry_delay;
  simdjson::dom::array details;
  ASSERT_EQ(err["details"].get(details), simdjson::SUCCESS) << g.body;
  for (simdjson::dom::element d : details) {
    if (str(d, "@type") == "type.googleapis.com/google.rpc.RetryInfo")
      retry_delay = str(d, "retryDelay");
  }
  EXPECT_TRUE(retry_delay.ends_with("s")) << g.body;
  EXPECT_GE(std::stoi(retry_delay), 1);
}

TEST(MockServer, TokensPerMinuteChargePromptPlusMaxTokens) {
  MockOptions o = base_options();
  o.tpm = 1000;
  Running mock(o);
  // Each request costs about 5 prompt tokens + 400 max_tokens: two fit in 1000, not three.
  std::vector<unsigned> statuses;
  Reply last;
  for (int i = 0; i < 3; ++i) {
    last = fetch(mock.port(), "POST", kOpenAi, openai_body("m", "p", 400));
    statuses.push_back(last.status);
  }
  EXPECT_EQ(statuses, (std::vector<unsigned>{200, 200, 429}));
  EXPECT_EQ(last.header("x-ratelimit-limit-tokens"), "1000");
  EXPECT_EQ(str(Json(last.body).root["error"].value(), "type"), "tokens");
  // The refused request took nothing: a small one still fits.
  EXPECT_EQ(fetch(mock.port(), "POST", kOpenAi, openai_body("m", "p", 50)).status, 200u);
}

TEST(MockServer, AShortRateWindowRefusesABurstWithTruthfulHeaders) {
  MockOptions o = base_options();
  o.rpm = 600;             // 10 per second
  o.rate_window = 1000ms;  // the bucket holds 10
  Running mock(o);
  Client c(mock.port());
  const auto start = std::chrono::steady_clock::now();
  int ok = 0;
  Reply first_429;
  for (int i = 0; i < 40; ++i) {
    const Reply r = c.post(kOpenAi, openai_body("gpt-4o", "burst " + std::to_string(i)));
    ASSERT_FALSE(r.error);
    EXPECT_EQ(r.header("x-ratelimit-limit-requests"), "600");  // the per-minute figure
    EXPECT_LE(std::stoul(r.header("x-ratelimit-remaining-requests")), 10u);
    if (r.status == 200) {
      ++ok;
    } else {
      ASSERT_EQ(r.status, 429u) << r.body;
      if (first_429.status == 0) first_429 = r;
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // The bucket of 10 plus what refilled (one per 100 ms) while the burst ran.
  EXPECT_GE(ok, 10);
  EXPECT_LE(ok, 10 + static_cast<int>(elapsed / 100ms) + 1);
  ASSERT_EQ(first_429.status, 429u);
  EXPECT_EQ(first_429.header("x-ratelimit-remaining-requests"), "0");
  EXPECT_EQ(first_429.header("retry-after"), "1");  // whole seconds, rounded up
  const unsigned long retry_ms = std::stoul(first_429.header("retry-after-ms"));
  EXPECT_GE(retry_ms, 1u);
  EXPECT_LE(retry_ms, 100u);  // one request refills in 100 ms
  // Until the bucket is full: at most the window, not a minute.
  const std::string reset = first_429.header("x-ratelimit-reset-requests");
  EXPECT_TRUE(reset.ends_with("ms") || reset == "1s") << reset;
  const std::string message(
      Json(first_429.body).root.at_pointer("/error/message").get_string().value());
  EXPECT_NE(message.find("Limit 600, Used 10, Requested 1"), std::string::npos) << message;
  // Truthful Retry-After: waiting it is enough.
  const Reply last = c.post(kOpenAi, openai_body("gpt-4o", "burst 39"));
  if (last.status == 429) {
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::stoul(last.header("retry-after-ms"))));
    const Reply after = c.post(kOpenAi, openai_body("gpt-4o", "after"));
    EXPECT_EQ(after.status, 200u) << after.body;
  }

  // Tokens: 6,000 per minute = 100 per second; a 5 s window holds 500, and each request
  // charges its prompt plus max_tokens 256.
  MockOptions t = base_options();
  t.tpm = 6000;
  t.rate_window = 5000ms;
  Running tokens(t);
  const Reply a1 =
      fetch(tokens.port(), "POST", kAnthropic, anthropic_body("c", "p"), anthropic_headers());
  EXPECT_EQ(a1.status, 200u) << a1.body;
  EXPECT_EQ(a1.header("anthropic-ratelimit-tokens-limit"), "6000");
  const unsigned long left = std::stoul(a1.header("anthropic-ratelimit-tokens-remaining"));
  EXPECT_LT(left, 500u - 256u);
  const Reply a2 =
      fetch(tokens.port(), "POST", kAnthropic, anthropic_body("c", "p"), anthropic_headers());
  EXPECT_EQ(a2.status, 429u) << a2.body;
  EXPECT_EQ(str(Json(a2.body).root["error"].value(), "type"), "rate_limit_error");
  // About 20 tokens short at 100 per second: well under the window.
  EXPECT_EQ(a2.header("retry-after"), "1");
}

// --- faults -----------------------------------------------------------------------------------

MockOptions fault_options(FaultKind kind) {
  MockOptions o = base_options();
  o.faults[kind] = 1.0;
  o.slow_body = 300ms;
  return o;
}

struct ErrorCase {
  FaultKind fault;
  Dialect dialect;
  unsigned status;
  std::string_view pointer;  // where the error's type lives
  std::string_view type;
};

TEST(MockServer, EveryErrorFaultInEachDialectsShape) {
  const ErrorCase cases[] = {
      {FaultKind::http500, Dialect::openai, 500, "/error/type", "server_error"},
      {FaultKind::http500, Dialect::anthropic, 500, "/error/type", "api_error"},
      {FaultKind::http500, Dialect::gemini, 500, "/error/status", "INTERNAL"},
      {FaultKind::http502, Dialect::openai, 502, "/error/type", "server_error"},
      {FaultKind::http503, Dialect::gemini, 503, "/error/status", "UNAVAILABLE"},
      {FaultKind::http504, Dialect::gemini, 504, "/error/status", "DEADLINE_EXCEEDED"},
      {FaultKind::http529, Dialect::anthropic, 529, "/error/type", "overloaded_error"},
      {FaultKind::http529, Dialect::openai, 503, "/error/type", "server_error"},
      {FaultKind::http529, Dialect::gemini, 503, "/error/status", "UNAVAILABLE"},
      {FaultKind::http429, Dialect::openai, 429, "/error/code", "rate_limit_exceeded"},
      {FaultKind::quota, Dialect::openai, 429, "/error/code", "insufficient_quota"},
      {FaultKind::quota, Dialect::anthropic, 400, "/error/type", "invalid_request_error"},
      {FaultKind::quota, Dialect::gemini, 429, "/error/status", "RESOURCE_EXHAUSTED"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(std::string(to_string(c.fault)) + " dialect " +
                 std::to_string(static_cast<int>(c.dialect)));
    Running mock(fault_options(c.fault));
    Reply r;
    if (c.dialect == Dialect::openai)
      r = fetch(mock.port(), "POST", kOpenAi, openai_body("m", "p"));
    else if (c.dialect == Dialect::anthropic)
      r = fetch(mock.port(), "POST", kAnthropic, anthropic_body("m", "p"), anthropic_headers());
    else
      r = fetch(mock.port(), "POST", kGemini, gemini_body("p"));
    ASSERT_FALSE(r.error) << r.error.message();
    EXPECT_EQ(r.status, c.status) << r.body;
    Json j(r.body);
    ASSERT_TRUE(j.ok) << r.body;
    std::string_view type;
    EXPECT_EQ(j.root.at_pointer(c.pointer).get(type), simdjson::SUCCESS) << r.body;
    EXPECT_EQ(type, c.type) << r.body;
    if (c.fault == FaultKind::quota && c.dialect == Dialect::anthropic) {
      EXPECT_NE(r.body.find("credit balance is too low"), std::string::npos);
    }
    if (c.fault == FaultKind::quota && c.dialect == Dialect::gemini) {
      EXPECT_NE(r.body.find("PerDay"), std::string::npos);
    }
    if (c.fault == FaultKind::http429) {
      EXPECT_EQ(r.header("retry-after"), "1");
    }
    EXPECT_EQ(stat(mock.server.stats_json(true), "/faults/" + std::string(to_string(c.fault))), 1u);
  }
}

TEST(MockServer, SafetyIsA200RefusalInEachDialectsShape) {
  Running mock(fault_options(FaultKind::safety));
  const Reply o = fetch(mock.port(), "POST", kOpenAi, openai_body("m", "p"));
  ASSERT_EQ(o.status, 200u) << o.body;
  Json jo(o.body);
  simdjson::dom::element choice = jo.root.at_pointer("/choices/0").value();
  EXPECT_EQ(str(choice, "finish_reason"), "content_filter");
  EXPECT_TRUE(is_null(choice["message"].value(), "content")) << o.body;
  EXPECT_EQ(num(jo.root["usage"].value(), "completion_tokens"), 0u);

  const Reply az =
      fetch(mock.port(), "POST", "/openai/deployments/d/chat/completions?api-version=2024-06-01",
            openai_body("m", "p"));
  ASSERT_EQ(az.status, 200u) << az.body;
  EXPECT_TRUE(Json(az.body)
                  .root.at_pointer("/choices/0/content_filter_results/violence/filtered")
                  .get_bool()
                  .value());

  const Reply a =
      fetch(mock.port(), "POST", kAnthropic, anthropic_body("m", "p"), anthropic_headers());
  ASSERT_EQ(a.status, 200u) << a.body;
  Json ja(a.body);
  EXPECT_EQ(str(ja.root, "stop_reason"), "refusal");
  EXPECT_EQ(ja.root["content"].get_array().value().size(), 0u);

  // Gemini: a blocked prompt or a blocked candidate, both seen over a few prompts.
  int prompt_blocked = 0, candidate_blocked = 0;
  for (int i = 0; i < 16; ++i) {
    const Reply g = fetch(mock.port(), "POST", kGemini, gemini_body("p" + std::to_string(i)));
    ASSERT_EQ(g.status, 200u) << g.body;
    Json jg(g.body);
    std::string_view reason;
    if (jg.root.at_pointer("/promptFeedback/blockReason").get(reason) == simdjson::SUCCESS) {
      EXPECT_EQ(reason, "SAFETY");
      EXPECT_EQ(g.body.find("candidates"), std::string::npos) << g.body;
      ++prompt_blocked;
    } else {
      EXPECT_EQ(str(jg.root.at_pointer("/candidates/0").value(), "finishReason"), "SAFETY");
      EXPECT_EQ(g.body.find("\"parts\""), std::string::npos) << g.body;
      ++candidate_blocked;
    }
  }
  EXPECT_GT(prompt_blocked, 0);
  EXPECT_GT(candidate_blocked, 0);
  EXPECT_EQ(stat(mock.server.stats_json(true), "/faults/safety"), 19u);
  EXPECT_EQ(stat(mock.server.stats_json(true), "/responses_by_status/200"), 19u);
}

TEST(MockServer, DropClosesTheConnectionMidBody) {
  Running mock(fault_options(FaultKind::drop));
  const Reply r = fetch(mock.port(), "POST", kOpenAi, openai_body("m", "p"));
  EXPECT_TRUE(r.error);  // partial message: the promised body never arrived
  EXPECT_EQ(r.status, 200u);
  ASSERT_TRUE(r.has_header("content-length"));
  EXPECT_LT(r.body.size(), std::stoul(r.header("content-length")));
  EXPECT_GT(r.body.size(), 0u);
}

TEST(MockServer, MalformedIsA200WhoseBodyIsNotJson) {
  Running mock(fault_options(FaultKind::malformed));
  const Reply r =
      fetch(mock.port(), "POST", kAnthropic, anthropic_body("m", "p"), anthropic_headers());
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body.size(), std::stoul(r.header("content-length")));
  EXPECT_FALSE(Json(r.body).ok) << r.body;
}

TEST(MockServer, SlowTricklesACorrectBody) {
  Running mock(fault_options(FaultKind::slow));
  const Reply r = fetch(mock.port(), "POST", kGemini, gemini_body("p <mask>"));
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(words(answer_text(Dialect::gemini, r.body)).size(), 1u);
  EXPECT_GE(r.elapsed, 250ms);  // a lower bound: the server's own timers guarantee it
}

TEST(MockServer, FaultRatesAreSeededAndCounted) {
  const auto run = [](std::uint64_t seed) {
    MockOptions o = base_options();
    o.seed = seed;
    o.faults[FaultKind::http500] = 0.3;
    Running mock(o);
    Client c(mock.port());
    std::vector<int> failed;
    for (int i = 0; i < 200; ++i) {
      const Reply r = c.post(kOpenAi, openai_body("m", "prompt " + std::to_string(i)));
      EXPECT_TRUE(r.status == 200 || r.status == 500) << r.status;
      if (r.status == 500) failed.push_back(i);
    }
    EXPECT_EQ(stat(mock.server.stats_json(true), "/faults/500"), failed.size());
    EXPECT_EQ(stat(mock.server.stats_json(true), "/responses_by_status/500"), failed.size());
    return failed;
  };
  const auto first = run(1);
  EXPECT_GE(first.size(), 30u);  // 60 expected; binomial sd ~6.5
  EXPECT_LE(first.size(), 90u);
  EXPECT_EQ(run(1), first);
  EXPECT_NE(run(2), first);
}

TEST(MockServer, ARetryOfAFailedRequestDrawsAgain) {
  MockOptions o = base_options();
  o.faults[FaultKind::http503] = 0.5;
  Running mock(o);
  Client c(mock.port());
  std::set<unsigned> seen;
  for (int i = 0; i < 30; ++i)
    seen.insert(c.post(kOpenAi, openai_body("m", "same")).status);
  EXPECT_EQ(seen, (std::set<unsigned>{200, 503}));
  EXPECT_EQ(stat(mock.server.stats_json(true), "/max_per_prompt"), 30u);
}

// --- latency ----------------------------------------------------------------------------------

TEST(MockServer, LatencyDelaysWithoutBlockingTheThread) {
  MockOptions o = base_options();
  o.threads = 1;
  o.latency = parse_latency("fixed:400");
  Running mock(o);
  std::vector<Reply> replies(12);
  std::vector<std::thread> clients;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < replies.size(); ++i)
    clients.emplace_back([&, i] {
      replies[i] = fetch(mock.port(), "POST", kOpenAi, openai_body("m", std::to_string(i)));
    });
  for (auto& t : clients)
    t.join();
  const auto total = std::chrono::steady_clock::now() - start;
  for (const Reply& r : replies) {
    EXPECT_EQ(r.status, 200u);
    EXPECT_GE(r.elapsed, 390ms);
  }
  // One thread answering 12 requests of 400 ms each one after the other would need 4.8 s.
  EXPECT_LT(total, 3s);
}

// --- stats, routing, connections ---------------------------------------------------------------

TEST(MockServer, StatsCountRequestsPerPromptAndReset) {
  Running mock(base_options());
  Client c(mock.port());
  for (int i = 0; i < 3; ++i)
    c.post(kOpenAi, openai_body("gpt-4o", "alpha"));
  c.post(kOpenAi, openai_body("gpt-4o", "beta"));
  c.post(kOpenAi, openai_body("other", "beta"));
  c.request("GET", "/nowhere");
  const Reply stats = c.request("GET", "/stats");
  ASSERT_EQ(stats.status, 200u);
  EXPECT_EQ(stat(stats.body, "/requests"), 6u);
  EXPECT_EQ(stat(stats.body, "/responses_by_status/200"), 5u);
  EXPECT_EQ(stat(stats.body, "/responses_by_status/404"), 1u);
  EXPECT_EQ(stat(stats.body, "/prompts"), 3u);
  EXPECT_EQ(stat(stats.body, "/max_per_prompt"), 3u);
  const std::string alpha = hash::to_hex(hash::sha256("gpt-4o\nalpha"));
  const std::string other = hash::to_hex(hash::sha256("other\nbeta"));
  EXPECT_EQ(stat(stats.body, "/per_prompt/" + alpha), 3u);
  EXPECT_EQ(stat(stats.body, "/per_prompt/" + other), 1u);
  EXPECT_EQ(stats.body, mock.server.stats_json());

  const Reply summary = c.request("GET", "/stats?summary=1");
  EXPECT_EQ(summary.body.find("\"per_prompt\""), std::string::npos);
  EXPECT_NE(stats.body.find("\"per_prompt\""), std::string::npos);
  EXPECT_EQ(stat(summary.body, "/max_per_prompt"), 3u);

  EXPECT_EQ(c.request("GET", "/health").status, 200u);
  EXPECT_EQ(c.request("POST", "/stats/reset").status, 200u);
  const std::string after = mock.server.stats_json();
  EXPECT_EQ(stat(after, "/requests"), 0u);
  EXPECT_EQ(stat(after, "/prompts"), 0u);
  EXPECT_EQ(stat(after, "/max_per_prompt"), 0u);
  EXPECT_EQ(after.find("\"200\""), std::string::npos);
}

TEST(MockServer, WrongPathsAndMethodsIn404And405) {
  Running mock(base_options());
  const Reply get = fetch(mock.port(), "GET", kOpenAi);
  EXPECT_EQ(get.status, 405u);
  EXPECT_EQ(get.header("allow"), "POST");
  EXPECT_EQ(str(Json(get.body).root["error"].value(), "type"), "invalid_request_error");
  const Reply unknown = fetch(mock.port(), "POST", "/v1/completions/x", "{}");
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_NE(unknown.body.find("Invalid URL (POST /v1/completions/x)"), std::string::npos);
  const Reply gemini = fetch(mock.port(), "POST", "/v1beta/models/x:streamGenerateContent", "{}");
  EXPECT_EQ(gemini.status, 404u);
  EXPECT_EQ(str(Json(gemini.body).root["error"].value(), "status"), "NOT_FOUND");
  const Reply health = fetch(mock.port(), "POST", "/health");
  EXPECT_EQ(health.status, 405u);
  EXPECT_EQ(health.header("allow"), "GET");
}

TEST(MockServer, DialectOptionRestrictsWhatAnswers) {
  MockOptions o = base_options();
  o.dialects = MockDialects::anthropic;
  Running mock(o);
  EXPECT_EQ(
      fetch(mock.port(), "POST", kAnthropic, anthropic_body("m", "p"), anthropic_headers()).status,
      200u);
  const Reply openai = fetch(mock.port(), "POST", kOpenAi, openai_body("m", "p"));
  EXPECT_EQ(openai.status, 404u);
  EXPECT_EQ(str(Json(openai.body).root["error"].value(), "type"), "invalid_request_error");
  const Reply gemini = fetch(mock.port(), "POST", kGemini, gemini_body("p"));
  EXPECT_EQ(gemini.status, 404u);
  EXPECT_EQ(num(Json(gemini.body).root["error"].value(), "code"), 404u);
}

TEST(MockServer, BadRequestsIn400InEachDialectsShape) {
  Running mock(base_options());
  const Reply openai = fetch(mock.port(), "POST", kOpenAi, "{not json");
  EXPECT_EQ(openai.status, 400u);
  EXPECT_EQ(str(Json(openai.body).root["error"].value(), "type"), "invalid_request_error");
  const Reply no_model = fetch(mock.port(), "POST", kOpenAi, R"({"messages":[]})");
  EXPECT_EQ(no_model.status, 400u);
  const Reply no_version = fetch(mock.port(), "POST", kAnthropic, anthropic_body("m", "p"));
  EXPECT_EQ(no_version.status, 400u);
  EXPECT_NE(no_version.body.find("anthropic-version"), std::string::npos);
  const Reply no_max =
      fetch(mock.port(), "POST", kAnthropic,
            R"({"model":"c","messages":[{"role":"user","content":"x"}]})", anthropic_headers());
  EXPECT_EQ(no_max.status, 400u);
  EXPECT_EQ(str(Json(no_max.body).root["error"].value(), "message"), "max_tokens: Field required");
  const Reply gemini = fetch(mock.port(), "POST", kGemini, R"({"contents":[]})");
  EXPECT_EQ(gemini.status, 400u);
  EXPECT_EQ(str(Json(gemini.body).root["error"].value(), "status"), "INVALID_ARGUMENT");
}

TEST(MockServer, OversizedBodyGets413) {
  MockOptions o = base_options();
  o.max_body_bytes = 1024;
  Running mock(o);
  const Reply r = fetch(mock.port(), "POST", kOpenAi, openai_body("m", std::string(4096, 'x')));
  EXPECT_EQ(r.status, 413u);
}

TEST(MockServer, RequireKeyAnswers401AndNeverEchoesTheKey) {
  MockOptions o = base_options();
  o.require_key = true;
  Running mock(o);
  const std::string secret = "sk-test-SECRET-1234567890";
  EXPECT_EQ(fetch(mock.port(), "POST", kOpenAi, openai_body("m", "p")).status, 401u);
  EXPECT_EQ(
      fetch(mock.port(), "POST", kAnthropic, anthropic_body("m", "p"), anthropic_headers()).status,
      401u);
  EXPECT_EQ(fetch(mock.port(), "POST", kGemini, gemini_body("p")).status, 401u);
  const std::vector<Reply> ok = {
      fetch(mock.port(), "POST", kOpenAi, openai_body("m", "p"),
            {{"authorization", "Bearer " + secret}}),
      fetch(mock.port(), "POST", kAnthropic, anthropic_body("m", "p"),
            {{"anthropic-version", "2023-06-01"}, {"x-api-key", secret}}),
      fetch(mock.port(), "POST", kGemini, gemini_body("p"), {{"x-goog-api-key", secret}}),
      fetch(mock.port(), "POST", std::string(kGemini) + "?key=" + secret, gemini_body("p")),
      fetch(mock.port(), "POST", "/openai/deployments/d/chat/completions?api-version=2024-06-01",
            openai_body("m", "p"), {{"api-key", secret}})};
  for (const Reply& r : ok) {
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.body.find(secret), std::string::npos);
    for (const auto& [name, value] : r.headers)
      EXPECT_EQ(value.find(secret), std::string::npos);
  }
  EXPECT_EQ(mock.server.stats_json().find(secret), std::string::npos);
}

TEST(MockServer, KeepAliveServesManyRequestsOnOneConnection) {
  Running mock(base_options());
  Client c(mock.port());
  for (int i = 0; i < 50; ++i) {
    const Reply r = c.post(kOpenAi, openai_body("m", "p" + std::to_string(i % 5)));
    ASSERT_FALSE(r.error) << i;
    ASSERT_EQ(r.status, 200u);
    EXPECT_FALSE(r.has_header("connection"));
  }
  const std::string stats = mock.server.stats_json(true);
  EXPECT_EQ(stat(stats, "/connections"), 1u);
  EXPECT_EQ(stat(stats, "/requests"), 50u);
  EXPECT_EQ(stat(stats, "/max_per_prompt"), 10u);
  // Connection: close is honoured.
  const Reply closing =
      c.request("POST", kOpenAi, openai_body("m", "x"), {{"connection", "close"}});
  EXPECT_EQ(closing.header("connection"), "close");
}

TEST(MockServer, IdleConnectionsAreClosed) {
  MockOptions o = base_options();
  o.idle_timeout = 200ms;
  Running mock(o);
  Client c(mock.port());
  EXPECT_EQ(c.post(kOpenAi, openai_body("m", "p")).status, 200u);
  std::this_thread::sleep_for(1200ms);  // several sweeps (every 100 ms) later
  EXPECT_TRUE(c.post(kOpenAi, openai_body("m", "p")).error);
}

TEST(MockServer, StopIsIdempotentAndClosesConnections) {
  MockServer server(base_options());
  server.start();
  const std::uint16_t port = server.port();
  EXPECT_NE(port, 0);
  Client c(port);
  EXPECT_EQ(c.post(kOpenAi, openai_body("m", "p")).status, 200u);
  server.stop();
  server.stop();
  EXPECT_TRUE(c.post(kOpenAi, openai_body("m", "p")).error);
  EXPECT_TRUE(fetch(port, "GET", "/health").error);
}

TEST(MockServer, PortFileHoldsTheBoundPort) {
  const auto path =
      std::filesystem::temp_directory_path() / ("emosweep_mock_port_" + std::to_string(::getpid()));
  MockOptions o = base_options();
  o.port_file = path.string();
  Running mock(o);
  std::ifstream in(path);
  unsigned port = 0;
  in >> port;
  EXPECT_EQ(port, mock.port());
  std::filesystem::remove(path);
}

TEST(MockServer, ConstructorRejectsBadOptionsNamingThem) {
  MockOptions o = base_options();
  o.faults[FaultKind::http500] = 0.7;
  o.faults[FaultKind::drop] = 0.7;
  try {
    MockServer s(o);
    FAIL() << "accepted fault rates adding up to 1.4";
  } catch (const InputError& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with("--fault:")) << e.what();
  }
  MockOptions a = base_options();
  a.answers_file = "/nonexistent/answers.jsonl";
  EXPECT_THROW(MockServer{a}, InputError);
  MockOptions busy = base_options();
  Running first(busy);
  busy.port = first.port();
  MockServer second(busy);
  try {
    second.start();
    FAIL() << "bound a port in use";
  } catch (const InputError& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with("--listen")) << e.what();
  }
}

TEST(MockServer, ConcurrentClientsOnManyThreadsAreAllCounted) {
  MockOptions o = base_options();
  o.threads = 3;
  Running mock(o);
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t)
    clients.emplace_back([&, t] {
      Client c(mock.port());
      for (int i = 0; i < 100; ++i)
        if (c.post(kOpenAi,
                   openai_body("m", "t" + std::to_string(t) + "/" + std::to_string(i % 10)))
                .status == 200)
          ++ok;
    });
  for (auto& t : clients)
    t.join();
  EXPECT_EQ(ok.load(), 600);
  const std::string stats = mock.server.stats_json(true);
  EXPECT_EQ(stat(stats, "/requests"), 600u);
  EXPECT_EQ(stat(stats, "/connections"), 6u);
  EXPECT_EQ(stat(stats, "/prompts"), 60u);
  EXPECT_EQ(stat(stats, "/max_per_prompt"), 10u);
}

}  // namespace
}  // namespace emosweep::providers
