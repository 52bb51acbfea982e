// The client side against the mock provider (issue 3, "Client against mock"): HttpClient +
// make_codec() talking to an in-process MockServer on 127.0.0.1 with an ephemeral port, for
// every dialect (openai, its azure path, anthropic, gemini). Keep-alive reuse, recovery after
// the server closes connections or restarts, timeouts, cancellation, the classification of
// every injected fault, and the rate-limit headers of real responses parsed into RateLimitInfo.
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/error.hpp"
#include "providers/dialect.hpp"
#include "providers/http_client.hpp"
#include "providers/mock_server.hpp"

namespace emosweep::providers {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

constexpr Dialect kAllDialects[] = {Dialect::openai, Dialect::azure, Dialect::anthropic,
                                    Dialect::gemini};

MockOptions mock_options() {
  MockOptions o;
  o.threads = 2;
  o.seed = 11;
  return o;
}

HttpClientConfig client_config() {
  HttpClientConfig config;
  config.proxy = ProxySettings{};  // never the developer's environment
  return config;
}

// One endpoint of the mock as the orchestrator would configure it: each dialect at the
// base_url its SDK convention expects (DESIGN.md §4).
struct Endpoint {
  Endpoint(Dialect d, std::uint16_t port) : codec(make_codec(d)) {
    const std::string origin = "http://127.0.0.1:" + std::to_string(port);
    settings.dialect = d;
    settings.api_key = "test-key";
    switch (d) {
      case Dialect::openai:
        settings.base_url = origin + "/v1";
        model = "gpt-4o-mini";
        break;
      case Dialect::azure:
        settings.base_url = origin;
        model = "my-deployment";
        break;
      case Dialect::anthropic:
        settings.base_url = origin;
        model = "claude-3-5-haiku-latest";
        break;
      case Dialect::gemini:
        settings.base_url = origin + "/v1beta";
        model = "gemini-2.0-flash";
        break;
    }
    validate_endpoint_settings(settings);
  }
  EndpointSettings settings;
  std::unique_ptr<DialectCodec> codec;
  std::string model;
};

ChatRequest chat(const Endpoint& e, std::string prompt, std::int64_t max_tokens = 64,
                 std::string system = "Answer with emotion words.") {
  ChatRequest r;
  r.model = e.model;
  r.system = std::move(system);
  r.messages = {{"user", std::move(prompt)}};
  r.params.temperature = 0.0;
  r.params.max_tokens = max_tokens;
  return r;
}

// One exchange as the scheduler sees it: the transport result and its decoding (a transport
// failure decodes through transport_failure(), as in orchestrator/endpoint_worker.cpp).
struct Exchange {
  bool completed = false;
  HttpResult http;
  DecodedResponse decoded;
};

// Sends every request through `client` with at most `in_flight` outstanding, running `io`
// until all complete or `limit` passes (then `completed` is false for the rest).
std::vector<Exchange> run(asio::io_context& io, HttpClient& client, const Endpoint& e,
                          std::vector<ChatRequest> requests, std::size_t in_flight,
                          std::chrono::seconds limit = 60s) {
  struct Shared {
    std::vector<ChatRequest> requests;
    std::vector<Exchange> results;
    std::size_t next = 0;
  };
  auto shared = std::make_shared<Shared>();
  shared->results.resize(requests.size());
  shared->requests = std::move(requests);
  for (std::size_t w = 0; w < in_flight; ++w) {
    asio::co_spawn(
        io,
        [shared, &client, &e]() -> asio::awaitable<void> {
          while (shared->next < shared->requests.size()) {
            const std::size_t i = shared->next++;
            HttpRequest request = e.codec->encode(shared->requests[i], e.settings);
            HttpResult http = co_await client.send(std::move(request));
            Exchange& x = shared->results[i];
            x.decoded = http.ok() ? e.codec->decode(http.response)
                                  : transport_failure(to_string(http.error));
            x.http = std::move(http);
            x.completed = true;
          }
        },
        asio::detached);
  }
  io.restart();
  io.run_for(limit);
  return shared->results;
}

Exchange run_one(asio::io_context& io, HttpClient& client, const Endpoint& e, ChatRequest r,
                 std::chrono::seconds limit = 60s) {
  std::vector<ChatRequest> one;
  one.push_back(std::move(r));
  return run(io, client, e, std::move(one), 1, limit).front();
}

std::vector<ChatRequest> prompts(const Endpoint& e, std::size_t n, const std::string& tag) {
  std::vector<ChatRequest> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(chat(e, tag + " " + std::to_string(i % 37) + ": I felt <mask> today."));
  return out;
}

std::uint64_t stat(const MockServer& mock, std::string_view pointer) {
  simdjson::dom::parser parser;
  std::uint64_t v = 0;
  const std::string json = mock.stats_json(true);
  EXPECT_EQ(parser.parse(json).at_pointer(pointer).get(v), simdjson::SUCCESS) << json;
  return v;
}

// The mock counts a request when it has read it, which may be a moment after the client gave
// up on it; waits (bounded) until the counter reaches `want`, then returns it.
std::uint64_t stat_eventually(const MockServer& mock, std::string_view pointer,
                              std::uint64_t want) {
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  std::uint64_t v = stat(mock, pointer);
  while (v < want && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(10ms);
    v = stat(mock, pointer);
  }
  return v;
}

std::size_t count_ok(const std::vector<Exchange>& xs) {
  std::size_t ok = 0;
  for (const auto& x : xs)
    ok += x.completed && x.decoded.outcome == Outcome::ok && !x.decoded.response.text.empty();
  return ok;
}

std::string describe(const Exchange& x) {
  return std::string(to_string(x.http.error)) + " " + x.http.detail + " status " +
         std::to_string(x.decoded.http_status) + " " + std::string(to_string(x.decoded.outcome)) +
         " " + x.decoded.error_type + " " + x.http.response.body.substr(0, 300);
}

// --- keep-alive -----------------------------------------------------------------------------

TEST(ClientAgainstMock, KeepAliveReusesConnectionsInEveryDialect) {
  MockServer mock(mock_options());
  mock.start();
  for (Dialect d : kAllDialects) {
    SCOPED_TRACE(std::string(to_string(d)));
    mock.reset_stats();
    asio::io_context io;
    HttpClient client(io.get_executor(), client_config());
    const Endpoint e(d, mock.port());
    const auto results = run(io, client, e, prompts(e, 500, "keep-alive"), 16);
    ASSERT_EQ(count_ok(results), 500u) << describe(results.front());
    for (const auto& x : results) {
      EXPECT_EQ(x.decoded.http_status, 200u);
      EXPECT_GT(x.decoded.response.usage.completion_tokens, 0u);
      EXPECT_FALSE(x.decoded.response.request_id.empty());
    }
    const auto stats = client.stats();
    // 16 in flight need at most 16 connections; every other request reused one.
    EXPECT_GE(stats.connections_opened, 1u);
    EXPECT_LE(stats.connections_opened, 16u);
    EXPECT_EQ(stats.requests, 500u);
    EXPECT_EQ(stats.reused, 500u - stats.connections_opened);
    EXPECT_EQ(stats.stale_retries, 0u);
    EXPECT_EQ(stat(mock, "/connections"), stats.connections_opened);
    EXPECT_EQ(stat(mock, "/requests"), 500u);
    EXPECT_EQ(stat(mock, "/responses_by_status/200"), 500u);
  }
}

// --- recovery -------------------------------------------------------------------------------

TEST(ClientAgainstMock, RecoversWhenTheMockClosesIdleConnectionsBetweenBursts) {
  MockOptions o = mock_options();
  o.idle_timeout = 200ms;  // swept every 100 ms: gone well before the pause ends
  MockServer mock(o);
  mock.start();
  asio::io_context io;
  HttpClient client(io.get_executor(), client_config());  // its own idle timeout: 60 s
  const Endpoint e(Dialect::openai, mock.port());
  std::uint64_t opened_before = 0;
  for (int burst = 0; burst < 3; ++burst) {
    SCOPED_TRACE("burst " + std::to_string(burst));
    // Pauses below and above one second: the client peeks at connections idle for a second
    // or more, and re-sends once on a fresh connection when a fresher one proves closed.
    if (burst == 1) std::this_thread::sleep_for(700ms);
    if (burst == 2) std::this_thread::sleep_for(1300ms);
    const auto results = run(io, client, e, prompts(e, 50, "burst" + std::to_string(burst)), 8);
    ASSERT_EQ(count_ok(results), 50u) << describe(results.front());
    const auto stats = client.stats();
    EXPECT_GT(stats.connections_opened, opened_before);        // the closed ones were replaced
    EXPECT_LT(stats.connections_opened - opened_before, 50u);  // and reused within the burst
    opened_before = stats.connections_opened;
  }
  // Nothing was sent twice: a re-send happens only when the server never read the request.
  EXPECT_EQ(stat(mock, "/requests"), 150u);
  EXPECT_EQ(stat(mock, "/connections"), client.stats().connections_opened);
}

TEST(ClientAgainstMock, RecoversWhenTheMockRestartsOnTheSamePort) {
  auto first = std::make_unique<MockServer>(mock_options());
  first->start();
  const std::uint16_t port = first->port();
  asio::io_context io;
  HttpClient client(io.get_executor(), client_config());
  const Endpoint e(Dialect::anthropic, port);
  ASSERT_EQ(count_ok(run(io, client, e, prompts(e, 40, "before"), 8)), 40u);
  const auto opened_before = client.stats().connections_opened;

  first.reset();  // stops: every pooled connection of the client is now closed
  MockOptions o = mock_options();
  o.port = port;
  // The mock binds with SO_REUSEADDR, so the port is free again at once; a few tries cover
  // the unlikely case of another process taking the ephemeral port in between.
  std::unique_ptr<MockServer> restarted;
  std::string bind_error;
  for (int attempt = 0; attempt < 20 && !restarted; ++attempt) {
    auto candidate = std::make_unique<MockServer>(o);
    try {
      candidate->start();
      restarted = std::move(candidate);
    } catch (const InputError& e) {
      bind_error = e.what();
      std::this_thread::sleep_for(50ms);
    }
  }
  ASSERT_TRUE(restarted) << "could not bind port " << port << " again: " << bind_error;
  MockServer& second = *restarted;
  const auto results = run(io, client, e, prompts(e, 40, "after"), 8);
  ASSERT_EQ(count_ok(results), 40u) << describe(results.front());
  const auto stats = client.stats();
  // The dead pooled connections were replaced (found by the re-send or the liveness peek),
  // and nothing reached the new server twice.
  EXPECT_GT(stats.connections_opened, opened_before);
  EXPECT_EQ(stat(second, "/requests"), 40u);
}

TEST(ClientAgainstMock, RequestsInFlightWhenTheServerGoesAwayAreRetryableResets) {
  MockOptions o = mock_options();
  o.latency = parse_latency("fixed:30000");  // answered only if the server lived that long
  auto mock = std::make_unique<MockServer>(o);
  mock->start();
  asio::io_context io;
  HttpClient client(io.get_executor(), client_config());
  const Endpoint e(Dialect::gemini, mock->port());
  // Once the mock holds all four requests, stop it (from the client's thread: stop() joins
  // the mock's own threads, which the client does not need).
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        while (stat(*mock, "/requests") < 4) {
          timer.expires_after(5ms);
          co_await timer.async_wait(asio::use_awaitable);
        }
        mock->stop();
      },
      asio::detached);
  const auto results = run(io, client, e, prompts(e, 4, "in flight"), 4, 30s);
  for (const auto& x : results) {
    ASSERT_TRUE(x.completed);
    EXPECT_EQ(x.http.error, TransportError::reset) << describe(x);
    EXPECT_EQ(x.decoded.outcome, Outcome::retryable);
    EXPECT_EQ(x.decoded.http_status, 0u);
    EXPECT_EQ(x.decoded.error_type, "reset");
  }
}

// --- timeouts and cancellation --------------------------------------------------------------

TEST(ClientAgainstMock, ALatencyAboveTheRequestTimeoutIsARetryableTimeout) {
  MockOptions o = mock_options();
  o.latency = parse_latency("fixed:20000");
  MockServer mock(o);
  mock.start();
  asio::io_context io;
  auto config = client_config();
  config.request_timeout = 300ms;  // the timeout is what is under test
  HttpClient client(io.get_executor(), config);
  for (Dialect d : kAllDialects) {
    SCOPED_TRACE(std::string(to_string(d)));
    const Endpoint e(d, mock.port());
    const auto results = run(io, client, e, prompts(e, 4, "timeout"), 4, 30s);
    for (const auto& x : results) {
      ASSERT_TRUE(x.completed);
      EXPECT_EQ(x.http.error, TransportError::timeout) << describe(x);
      EXPECT_EQ(x.decoded.outcome, Outcome::retryable);
      EXPECT_TRUE(is_retryable(x.decoded.outcome));
      EXPECT_EQ(x.decoded.error_type, "timeout");
    }
  }
  EXPECT_EQ(stat_eventually(mock, "/requests", 16), 16u);
}

TEST(ClientAgainstMock, CancelAllEndsEveryRequestInFlightPromptly) {
  MockOptions o = mock_options();
  o.latency = parse_latency("fixed:60000");
  MockServer mock(o);
  mock.start();
  asio::io_context io;
  auto config = client_config();
  config.max_connections = 16;  // 16 on the wire, 48 waiting for a connection
  HttpClient client(io.get_executor(), config);
  const Endpoint e(Dialect::openai, mock.port());
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        while (stat(mock, "/requests") < 16) {
          timer.expires_after(5ms);
          co_await timer.async_wait(asio::use_awaitable);
        }
        client.cancel_all();
      },
      asio::detached);
  // Without the cancellation nothing would complete within the limit (the mock answers after
  // a minute); with it, everything does.
  const auto results = run(io, client, e, prompts(e, 64, "cancel"), 64, 20s);
  for (const auto& x : results) {
    ASSERT_TRUE(x.completed);
    EXPECT_EQ(x.http.error, TransportError::cancelled) << describe(x);
    EXPECT_EQ(x.decoded.error_type, "cancelled");
  }
  EXPECT_EQ(stat(mock, "/requests"), 16u);
  EXPECT_EQ(client.stats().connections_opened, 16u);
}

// --- every injected fault, classified -------------------------------------------------------

struct Expected {
  Expected(unsigned s, Outcome o, std::string type, TransportError t = TransportError::none,
           std::optional<milliseconds> retry = std::nullopt)
      : status(s), outcome(o), error_type(std::move(type)), transport(t), retry_after(retry) {}
  unsigned status;  // 0: no HTTP response
  Outcome outcome;
  std::string error_type;
  TransportError transport;
  std::optional<milliseconds> retry_after;
};

// What the scheduler must conclude from each fault of the mock, per dialect.
Expected expected(FaultKind fault, Dialect d) {
  const bool anthropic = d == Dialect::anthropic;
  const bool gemini = d == Dialect::gemini;
  const std::string server_type = anthropic ? "api_error" : "server_error";
  switch (fault) {
    case FaultKind::http500:
      return {500, Outcome::retryable, gemini ? "INTERNAL" : server_type};
    case FaultKind::http502:
      return {502, Outcome::retryable, gemini ? "UNAVAILABLE" : server_type};
    case FaultKind::http503:
      return {503, Outcome::overloaded, gemini ? "UNAVAILABLE" : server_type};
    case FaultKind::http504:
      return {504, Outcome::retryable, gemini ? "DEADLINE_EXCEEDED" : server_type};
    case FaultKind::http529:
      if (anthropic) return {529, Outcome::overloaded, "overloaded_error"};
      return {503, Outcome::overloaded, gemini ? "UNAVAILABLE" : "server_error"};
    case FaultKind::http429:
      return {429, Outcome::rate_limited,
              anthropic ? "rate_limit_error"
              : gemini  ? "RESOURCE_EXHAUSTED"
                        : "rate_limit_exceeded",
              TransportError::none, milliseconds(1000)};
    case FaultKind::drop:
      return {0, Outcome::retryable, "reset", TransportError::reset};
    case FaultKind::malformed:
      return {200, Outcome::retryable, "invalid_json"};
    case FaultKind::slow:
      return {200, Outcome::ok, ""};
    case FaultKind::quota:
      return {anthropic ? 400u : 429u, Outcome::quota_exhausted,
              anthropic ? "invalid_request_error"
              : gemini  ? "RESOURCE_EXHAUSTED"
                        : "insufficient_quota"};
    case FaultKind::safety:
      return {200, Outcome::safety_blocked,
              anthropic ? "refusal"
              : gemini  ? "SAFETY"
                        : "content_filter"};
  }
  return {0, Outcome::permanent, "unknown fault"};
}

TEST(ClientAgainstMock, EveryInjectedFaultIsClassifiedInEveryDialect) {
  for (std::size_t k = 0; k < kFaultKindCount; ++k) {
    const auto fault = static_cast<FaultKind>(k);
    MockOptions o = mock_options();
    o.faults[fault] = 1.0;
    o.slow_body = 600ms;
    MockServer mock(o);
    mock.start();
    asio::io_context io;
    HttpClient client(io.get_executor(), client_config());  // request timeout: 120 s
    for (Dialect d : kAllDialects) {
      SCOPED_TRACE(std::string(to_string(fault)) + " / " + std::string(to_string(d)));
      const Endpoint e(d, mock.port());
      const Expected want = expected(fault, d);
      const Exchange x = run_one(io, client, e, chat(e, "fault <mask>"));
      ASSERT_TRUE(x.completed);
      EXPECT_EQ(x.http.error, want.transport) << describe(x);
      EXPECT_EQ(x.decoded.http_status, want.status) << describe(x);
      EXPECT_EQ(to_string(x.decoded.outcome), to_string(want.outcome)) << describe(x);
      EXPECT_EQ(x.decoded.error_type, want.error_type) << describe(x);
      EXPECT_EQ(x.decoded.limits.retry_after, want.retry_after) << describe(x);
      if (want.status >= 400) {  // the provider's own words are kept
        EXPECT_FALSE(x.decoded.provider_message.empty()) << describe(x);
      }
      if (want.outcome == Outcome::ok) {
        EXPECT_FALSE(x.decoded.response.text.empty());
      }
      if (want.outcome == Outcome::safety_blocked) {
        EXPECT_EQ(x.decoded.response.text, "");
        EXPECT_GT(x.decoded.response.usage.prompt_tokens, 0u);
      }
    }
    EXPECT_EQ(stat(mock, "/faults/" + std::string(to_string(fault))), 4u);
  }
}

TEST(ClientAgainstMock, ASlowBodyTimesOutUnderAShortTimeoutAndArrivesUnderALongOne) {
  MockOptions o = mock_options();
  o.faults[FaultKind::slow] = 1.0;
  o.slow_body = 1500ms;  // trickled in ten pieces
  MockServer mock(o);
  mock.start();
  for (Dialect d : kAllDialects) {
    SCOPED_TRACE(std::string(to_string(d)));
    asio::io_context io;
    auto short_config = client_config();
    short_config.request_timeout = 300ms;
    HttpClient hasty(io.get_executor(), short_config);
    const Endpoint e(d, mock.port());
    const Exchange cut = run_one(io, hasty, e, chat(e, "slow <mask>"));
    EXPECT_EQ(cut.http.error, TransportError::timeout) << describe(cut);
    EXPECT_EQ(cut.decoded.outcome, Outcome::retryable);
    EXPECT_EQ(cut.decoded.error_type, "timeout");

    HttpClient patient(io.get_executor(), client_config());  // 120 s
    const Exchange whole = run_one(io, patient, e, chat(e, "slow <mask>"));
    ASSERT_EQ(whole.http.error, TransportError::none) << describe(whole);
    EXPECT_EQ(whole.decoded.outcome, Outcome::ok) << describe(whole);
    EXPECT_EQ(whole.decoded.http_status, 200u);
    EXPECT_FALSE(whole.decoded.response.text.empty());
  }
}

// --- rate-limit headers of real responses ---------------------------------------------------

// The bounds of a reset or retry that the mock computed as `full` at some instant during
// `elapsed` and that the client read afterwards; `slack` covers rounding up to the header's
// precision (milliseconds for OpenAI, whole seconds for Anthropic's dates and Retry-After).
void expect_wait(std::optional<milliseconds> got, milliseconds full,
                 std::chrono::steady_clock::duration elapsed, milliseconds slack) {
  ASSERT_TRUE(got.has_value());
  EXPECT_LE(*got, full + slack);
  EXPECT_GE(*got, full - std::chrono::ceil<milliseconds>(elapsed) - 1ms);
}

TEST(ClientAgainstMock, OpenAiRateLimitHeadersOf200And429AreParsed) {
  MockOptions o = mock_options();
  o.rpm = 3;    // one request per 20 s
  o.tpm = 600;  // ten tokens per second
  MockServer mock(o);
  mock.start();
  asio::io_context io;
  HttpClient client(io.get_executor(), client_config());
  const Endpoint e(Dialect::openai, mock.port());
  // "abcd" with no system prompt is one token; with max_tokens 99 each request charges 100.
  const auto request = [&] { return chat(e, "abcd", 99, ""); };
  const auto start = std::chrono::steady_clock::now();
  const Exchange first = run_one(io, client, e, request());
  ASSERT_EQ(first.decoded.outcome, Outcome::ok) << describe(first);
  const RateLimitInfo& l = first.decoded.limits;
  EXPECT_EQ(l.requests_limit, 3u);
  EXPECT_EQ(l.requests_remaining, 2u);
  EXPECT_EQ(l.requests_reset, milliseconds(20000));  // "20s": exactly one request's refill
  EXPECT_EQ(l.tokens_limit, 600u);
  EXPECT_EQ(l.tokens_remaining, 500u);
  EXPECT_EQ(l.tokens_reset, milliseconds(10000));  // 100 tokens at 10 per second
  EXPECT_EQ(l.retry_after, std::nullopt);
  EXPECT_EQ(first.decoded.response.usage.prompt_tokens, 1u);

  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(run_one(io, client, e, request()).decoded.outcome, Outcome::ok);
  const Exchange refused = run_one(io, client, e, request());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(refused.decoded.http_status, 429u) << describe(refused);
  EXPECT_EQ(refused.decoded.outcome, Outcome::rate_limited);
  EXPECT_EQ(refused.decoded.error_type, "rate_limit_exceeded");
  const RateLimitInfo& r = refused.decoded.limits;
  EXPECT_EQ(r.requests_limit, 3u);
  EXPECT_EQ(r.requests_remaining, 0u);
  // Three requests charged 60 s; the bucket refilled for `elapsed` since the first.
  expect_wait(r.requests_reset, 60000ms, elapsed, 0ms);
  // retry-after-ms (more precise than retry-after) wins: until one request fits.
  expect_wait(r.retry_after, 20000ms, elapsed, 0ms);
  EXPECT_EQ(r.tokens_limit, 600u);
  const auto refilled =
      static_cast<std::uint64_t>(std::chrono::ceil<milliseconds>(elapsed) / 100ms);
  ASSERT_TRUE(r.tokens_remaining.has_value());
  EXPECT_GE(*r.tokens_remaining, 300u);  // three requests took 300 of 600
  EXPECT_LE(*r.tokens_remaining, 300u + refilled + 1);
  expect_wait(r.tokens_reset, 30000ms, elapsed, 0ms);
}

TEST(ClientAgainstMock, AnthropicRateLimitHeadersOf200And429AreParsed) {
  MockOptions o = mock_options();
  o.rpm = 2;     // one request per 30 s
  o.tpm = 6000;  // a hundred tokens per second
  MockServer mock(o);
  mock.start();
  asio::io_context io;
  HttpClient client(io.get_executor(), client_config());
  const Endpoint e(Dialect::anthropic, mock.port());
  const auto request = [&] { return chat(e, "abcd", 99, ""); };  // 100 tokens each
  const auto start = std::chrono::steady_clock::now();
  const Exchange first = run_one(io, client, e, request());
  ASSERT_EQ(first.decoded.outcome, Outcome::ok) << describe(first);
  const auto first_elapsed = std::chrono::steady_clock::now() - start;
  const RateLimitInfo& l = first.decoded.limits;
  EXPECT_EQ(l.requests_limit, 2u);
  EXPECT_EQ(l.requests_remaining, 1u);
  // RFC 3339 with whole seconds, rounded up by the mock: up to a second later than exact.
  expect_wait(l.requests_reset, 30000ms, first_elapsed, 1000ms);
  EXPECT_EQ(l.tokens_limit, 6000u);
  EXPECT_EQ(l.tokens_remaining, 5900u);
  expect_wait(l.tokens_reset, 1000ms, first_elapsed, 1000ms);
  EXPECT_EQ(l.retry_after, std::nullopt);

  ASSERT_EQ(run_one(io, client, e, request()).decoded.outcome, Outcome::ok);
  const Exchange refused = run_one(io, client, e, request());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(refused.decoded.http_status, 429u) << describe(refused);
  EXPECT_EQ(refused.decoded.outcome, Outcome::rate_limited);
  EXPECT_EQ(refused.decoded.error_type, "rate_limit_error");
  const RateLimitInfo& r = refused.decoded.limits;
  EXPECT_EQ(r.requests_limit, 2u);
  EXPECT_EQ(r.requests_remaining, 0u);
  expect_wait(r.requests_reset, 60000ms, elapsed, 1000ms);
  // Retry-After in whole seconds, rounded up: until one request fits.
  expect_wait(r.retry_after, 30000ms, elapsed, 1000ms);
  ASSERT_TRUE(r.retry_after.has_value());
  EXPECT_EQ(r.retry_after->count() % 1000, 0);
  EXPECT_EQ(r.tokens_limit, 6000u);
  ASSERT_TRUE(r.tokens_remaining.has_value());
  EXPECT_GE(*r.tokens_remaining, 5800u);  // two admitted requests took 200
  EXPECT_LE(*r.tokens_remaining, 6000u);
}

TEST(ClientAgainstMock, GeminiRateLimitCarriesItsRetryInfo) {
  MockOptions o = mock_options();
  o.rpm = 1;
  MockServer mock(o);
  mock.start();
  asio::io_context io;
  HttpClient client(io.get_executor(), client_config());
  const Endpoint e(Dialect::gemini, mock.port());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(run_one(io, client, e, chat(e, "one")).decoded.outcome, Outcome::ok);
  const Exchange refused = run_one(io, client, e, chat(e, "two"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(refused.decoded.http_status, 429u) << describe(refused);
  EXPECT_EQ(refused.decoded.outcome, Outcome::rate_limited);
  EXPECT_EQ(refused.decoded.error_type, "RESOURCE_EXHAUSTED");
  // RetryInfo.retryDelay in whole seconds, rounded up: until the one request per minute fits.
  expect_wait(refused.decoded.limits.retry_after, 60000ms, elapsed, 1000ms);
  EXPECT_EQ(refused.decoded.limits.requests_limit, std::nullopt);  // Gemini sends no headers
}

}  // namespace
}  // namespace emosweep::providers
