// HttpClient against a real HTTP/1.1 server on 127.0.0.1 (tests/providers/test_servers.hpp):
// keep-alive reuse, recovery from closed connections, Connection: close, chunked and
// Content-Length bodies, the size cap, timeouts, cancellation and 1,024 requests in flight.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/error.hpp"
#include "providers/http/connection.hpp"
#include "providers/http_client.hpp"
#include "tests/providers/test_servers.hpp"

namespace emosweep::providers {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::get;
using testing::post;
using testing::send_all;
using testing::send_one;
using testing::ServerReply;
using testing::ServerRequest;
using testing::TestHttpServer;

HttpClientConfig direct_config() {
  HttpClientConfig config;
  config.proxy = ProxySettings{};  // never the developer's environment
  return config;
}

HttpClientConfig pool_of(std::size_t connections) {
  auto config = direct_config();
  config.max_connections = connections;
  return config;
}

ServerReply ok_reply(const ServerRequest&) {
  return ServerReply{};
}

ServerReply stall_reply(const ServerRequest&) {  // never answers
  ServerReply reply;
  reply.stall = true;
  return reply;
}

// Runs `condition` checks every few milliseconds on `io`, then `action` once it holds.
void when(asio::io_context& io, std::function<bool()> condition, std::function<void()> action) {
  asio::co_spawn(
      io,
      [condition = std::move(condition), action = std::move(action)]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        while (!condition()) {
          timer.expires_after(5ms);
          co_await timer.async_wait(asio::use_awaitable);
        }
        action();
      },
      asio::detached);
}

// Beast reads min(free capacity, 64 kB) but at least 512 bytes at a time, and its parser
// empties the buffer after each response: a connection buffer left at 512 bytes took two
// reads (two system calls) for every answer above that, i.e. nearly every provider answer.
TEST(HttpClient, ConnectionsReadATypicalAnswerInOneGo) {
  asio::io_context io;
  http_detail::Connection connection(boost::beast::tcp_stream(io.get_executor()));
  EXPECT_GE(connection.buffer().capacity(), http_detail::Connection::read_buffer_bytes);
  EXPECT_GE(http_detail::Connection::read_buffer_bytes, 4096u);  // ~1 kB headers + the body
  EXPECT_EQ(connection.buffer().size(), 0u);
}

TEST(HttpClient, SequentialRequestsReuseOneConnection) {
  TestHttpServer server(ok_reply);
  asio::io_context io;
  HttpClient client(io.get_executor(), direct_config());
  for (int i = 0; i < 20; ++i) {
    const auto r = send_one(io, client, get(server.url("/seq")));
    ASSERT_EQ(r.error, TransportError::none) << r.detail;
    EXPECT_EQ(r.response.status, 200u);
    EXPECT_EQ(r.response.body, "ok");
    EXPECT_EQ(r.reused_connection, i > 0);
    EXPECT_GT(r.latency.count(), 0);
  }
  const auto stats = client.stats();
  EXPECT_EQ(stats.connections_opened, 1u);
  EXPECT_EQ(stats.requests, 20u);
  EXPECT_EQ(stats.reused, 19u);
  EXPECT_EQ(stats.stale_retries, 0u);
  EXPECT_EQ(server.connections_accepted(), 1u);
}

TEST(HttpClient, ConcurrentRequestsShareABoundedPool) {
  TestHttpServer server([](const ServerRequest& r) {
    ServerReply reply;
    reply.body = r.target;
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor(), pool_of(4));
  std::vector<HttpRequest> requests;
  for (int i = 0; i < 200; ++i)
    requests.push_back(get(server.url("/r/" + std::to_string(i))));
  const auto results = send_all(io, client, std::move(requests));
  for (std::size_t i = 0; i < results.size(); ++i) {
    ASSERT_EQ(results[i].error, TransportError::none) << results[i].detail;
    EXPECT_EQ(results[i].response.body, "/r/" + std::to_string(i));  // no mix-ups
  }
  const auto stats = client.stats();
  EXPECT_LE(stats.connections_opened, 4u);
  EXPECT_EQ(stats.requests, 200u);
  EXPECT_EQ(stats.reused, 200u - stats.connections_opened);
  EXPECT_EQ(server.connections_accepted(), stats.connections_opened);
}

// send_borrowed(): the caller's requests are sent as they are, without copies, each several
// times and many at once (a scheduler's retries), and are left unchanged.
TEST(HttpClient, BorrowedRequestsAreSentAsIsAndLeftUnchanged) {
  TestHttpServer server([](const ServerRequest& r) {
    ServerReply reply;
    reply.body = r.target + " " + r.body;
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor(), pool_of(3));
  std::vector<HttpRequest> requests;
  for (int i = 0; i < 8; ++i)
    requests.push_back(post(server.url("/b/" + std::to_string(i)), "body " + std::to_string(i)));
  const std::vector<HttpRequest> originals = requests;
  std::vector<std::string> answers(requests.size() * 3);
  for (std::size_t i = 0; i < answers.size(); ++i)
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          const HttpResult r = co_await client.send_borrowed(requests[i % requests.size()]);
          answers[i] = r.ok() ? r.response.body : "error: " + r.detail;
        },
        asio::detached);
  io.run();
  for (std::size_t i = 0; i < answers.size(); ++i) {
    const std::size_t k = i % requests.size();
    EXPECT_EQ(answers[i], "/b/" + std::to_string(k) + " body " + std::to_string(k));
  }
  for (std::size_t k = 0; k < requests.size(); ++k) {
    EXPECT_EQ(requests[k].url, originals[k].url);
    EXPECT_EQ(requests[k].body, originals[k].body);
    EXPECT_EQ(requests[k].headers, originals[k].headers);
  }
  EXPECT_EQ(client.stats().requests, answers.size());
}

TEST(HttpClient, SendsMethodHostHeadersAndBody) {
  std::mutex mutex;
  std::vector<ServerRequest> seen;
  TestHttpServer server([&](const ServerRequest& r) {
    std::lock_guard lock(mutex);
    seen.push_back(r);
    return ServerReply{};
  });
  asio::io_context io;
  HttpClient client(io.get_executor(), direct_config());
  auto request = post(server.url("/v1/chat/completions?api-version=1"), R"({"a":"é\n"})");
  request.headers.emplace_back("authorization", "Bearer test-key");
  request.headers.emplace_back("host", "ignored.example");  // the client sets Host itself
  const auto r = send_one(io, client, request);
  ASSERT_EQ(r.error, TransportError::none) << r.detail;
  const auto head = send_one(io, client, [&] {
    auto h = get(server.url("/head"));
    h.method = "HEAD";
    return h;
  }());
  ASSERT_EQ(head.error, TransportError::none) << head.detail;
  EXPECT_TRUE(head.response.body.empty());

  std::lock_guard lock(mutex);
  ASSERT_EQ(seen.size(), 2u);
  const auto& s = seen[0];
  EXPECT_EQ(s.method, "POST");
  EXPECT_EQ(s.target, "/v1/chat/completions?api-version=1");
  EXPECT_EQ(s.body, R"({"a":"é\n"})");
  EXPECT_EQ(find_header(s.headers, "host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(find_header(s.headers, "content-length"), std::to_string(s.body.size()));
  EXPECT_EQ(find_header(s.headers, "authorization"), "Bearer test-key");
  EXPECT_EQ(find_header(s.headers, "content-type"), "application/json");
  EXPECT_EQ(find_header(s.headers, "user-agent"), "emosweep/" EMOSWEEP_VERSION);
  int hosts = 0;
  for (const auto& [k, v] : s.headers)
    hosts += k == "host";
  EXPECT_EQ(hosts, 1);
  EXPECT_EQ(seen[1].method, "HEAD");
  EXPECT_EQ(client.stats().connections_opened, 1u);  // HEAD did not break the stream
}

TEST(HttpClient, ErrorStatusesAreResponsesWithLowerCaseHeaders) {
  TestHttpServer server([](const ServerRequest&) {
    ServerReply reply;
    reply.status = 503;
    reply.body = R"({"error":"overloaded"})";
    reply.headers = {{"Retry-After", "7"}, {"X-Request-ID", "req-1"}};
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor(), direct_config());
  const auto r = send_one(io, client, get(server.url()));
  ASSERT_EQ(r.error, TransportError::none) << r.detail;
  EXPECT_EQ(r.response.status, 503u);
  EXPECT_EQ(r.response.body, R"({"error":"overloaded"})");
  EXPECT_EQ(find_header(r.response.headers, "retry-after"), "7");
  EXPECT_EQ(find_header(r.response.headers, "x-request-id"), "req-1");
}

TEST(HttpClient, ContentLengthAndChunkedBodies) {
  const std::string big(300'000, 'x');
  TestHttpServer server([&](const ServerRequest& r) {
    ServerReply reply;
    if (r.target == "/length") {
      reply.body = big;
    } else if (r.target == "/chunked") {
      reply.body = big;
      reply.chunked = true;
    } else {  // several chunks with an extension and a trailer, written by hand
      reply.raw =
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
          "5\r\nhello\r\n7;ext=1\r\n, world\r\n1\r\n!\r\n0\r\nX-Trailer: t\r\n\r\n";
    }
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor(), direct_config());
  const auto length = send_one(io, client, get(server.url("/length")));
  ASSERT_EQ(length.error, TransportError::none) << length.detail;
  EXPECT_EQ(length.response.body, big);
  EXPECT_EQ(find_header(length.response.headers, "content-length"), "300000");
  // Room for simdjson to parse the body in place (see HttpResponse::body_padding).
  EXPECT_GE(length.response.body.capacity() - length.response.body.size(),
            HttpResponse::body_padding);
  const auto chunked = send_one(io, client, get(server.url("/chunked")));
  ASSERT_EQ(chunked.error, TransportError::none) << chunked.detail;
  EXPECT_EQ(chunked.response.body, big);
  EXPECT_EQ(find_header(chunked.response.headers, "transfer-encoding"), "chunked");
  const auto manual = send_one(io, client, get(server.url("/manual")));
  ASSERT_EQ(manual.error, TransportError::none) << manual.detail;
  EXPECT_EQ(manual.response.body, "hello, world!");
  EXPECT_EQ(client.stats().connections_opened, 1u);  // every body was read to its end
}

TEST(HttpClient, InterimResponsesAreSkipped) {
  TestHttpServer server([](const ServerRequest&) {
    ServerReply reply;
    reply.raw = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal";
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor(), direct_config());
  for (int i = 0; i < 2; ++i) {
    const auto r = send_one(io, client, post(server.url(), "{}"));
    ASSERT_EQ(r.error, TransportError::none) << r.detail;
    EXPECT_EQ(r.response.status, 200u);
    EXPECT_EQ(r.response.body, "final");
  }
  EXPECT_EQ(client.stats().connections_opened, 1u);
}

TEST(HttpClient, OversizedBodiesFailWithTooLarge) {
  TestHttpServer server([](const ServerRequest& r) {
    ServerReply reply;
    reply.body = r.target == "/small" ? "fine" : std::string(4096, 'y');
    reply.chunked = r.target == "/chunked";
    return reply;
  });
  asio::io_context io;
  auto config = direct_config();
  config.max_response_bytes = 1024;
  HttpClient client(io.get_executor(), config);
  const auto length = send_one(io, client, get(server.url("/length")));
  EXPECT_EQ(length.error, TransportError::too_large) << length.detail;
  const auto chunked = send_one(io, client, get(server.url("/chunked")));
  EXPECT_EQ(chunked.error, TransportError::too_large) << chunked.detail;
  const auto small = send_one(io, client, get(server.url("/small")));
  ASSERT_EQ(small.error, TransportError::none) << small.detail;
  EXPECT_EQ(small.response.body, "fine");
  EXPECT_FALSE(small.reused_connection);  // a half-read connection is never reused
  EXPECT_EQ(client.stats().connections_opened, 3u);
}

TEST(HttpClient, ConnectionCloseIsHonoured) {
  TestHttpServer server([](const ServerRequest& r) {
    ServerReply reply;
    reply.close = r.on_connection == 2;  // "Connection: close" on every third response
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor(), direct_config());
  for (int i = 0; i < 10; ++i) {
    const auto r = send_one(io, client, get(server.url()));
    ASSERT_EQ(r.error, TransportError::none) << r.detail;
  }
  const auto stats = client.stats();
  EXPECT_EQ(stats.connections_opened, 4u);
  EXPECT_EQ(stats.stale_retries, 0u);  // never sent on a connection the server announced closed
  EXPECT_EQ(server.requests(), 10u);
}

TEST(HttpClient, ServerClosingAfterNRequestsSilentlyIsRecovered) {
  TestHttpServer server([](const ServerRequest& r) {
    ServerReply reply;
    reply.close_after = r.on_connection == 2;  // closes without saying so
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor(), direct_config());
  for (int i = 0; i < 10; ++i) {
    const auto r = send_one(io, client, get(server.url()));
    ASSERT_EQ(r.error, TransportError::none) << r.detail;
  }
  const auto stats = client.stats();
  EXPECT_EQ(stats.connections_opened, 4u);
  // A request written onto a connection the server had already closed never reaches it, so
  // the server handles each request exactly once, whatever the retries.
  EXPECT_EQ(server.requests(), 10u);
  EXPECT_EQ(stats.requests, 10u + stats.stale_retries);
}

TEST(HttpClient, ServerClosingIdleConnectionsIsTransparent) {
  TestHttpServer server(ok_reply);
  asio::io_context io;
  HttpClient client(io.get_executor(), pool_of(3));
  std::vector<HttpRequest> batch;
  for (int i = 0; i < 30; ++i)
    batch.push_back(get(server.url()));
  for (const auto& r : send_all(io, client, batch))
    ASSERT_EQ(r.error, TransportError::none);
  const auto opened_before = client.stats().connections_opened;
  EXPECT_EQ(server.close_idle_connections(opened_before), opened_before);

  for (const auto& r : send_all(io, client, batch))
    ASSERT_EQ(r.error, TransportError::none) << r.detail;
  EXPECT_EQ(client.stats().connections_opened, 2 * opened_before);
}

TEST(HttpClient, ReusedConnectionClosedBeforeAnswerIsRetriedOnceOnAFreshOne) {
  TestHttpServer server([](const ServerRequest& r) {
    ServerReply reply;
    reply.drop = r.on_connection == 1;  // reads the 2nd request, then closes without a byte
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor(), direct_config());
  ASSERT_EQ(send_one(io, client, get(server.url())).error, TransportError::none);
  const auto r = send_one(io, client, get(server.url()));
  ASSERT_EQ(r.error, TransportError::none) << r.detail;
  EXPECT_FALSE(r.reused_connection);
  const auto stats = client.stats();
  EXPECT_EQ(stats.stale_retries, 1u);
  EXPECT_EQ(stats.connections_opened, 2u);
  EXPECT_EQ(stats.requests, 3u);
  EXPECT_EQ(server.requests(), 3u);
}

TEST(HttpClient, FreshConnectionFailuresAreNotRetried) {
  TestHttpServer server([](const ServerRequest&) {
    ServerReply reply;
    reply.drop = true;
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor(), direct_config());
  const auto r = send_one(io, client, get(server.url()));
  EXPECT_EQ(r.error, TransportError::reset) << r.detail;
  EXPECT_EQ(client.stats().stale_retries, 0u);
  EXPECT_EQ(server.requests(), 1u);
}

TEST(HttpClient, PartialResponsesOnReusedConnectionsAreNotRetried) {
  TestHttpServer server([](const ServerRequest& r) {
    ServerReply reply;
    if (r.on_connection == 1) {
      reply.raw = "HTTP/1.1 200 OK\r\nContent-Len";
      reply.close_after = true;
    }
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor(), direct_config());
  ASSERT_EQ(send_one(io, client, get(server.url())).error, TransportError::none);
  const auto r = send_one(io, client, get(server.url()));
  EXPECT_EQ(r.error, TransportError::reset) << r.detail;
  EXPECT_EQ(client.stats().stale_retries, 0u);
  EXPECT_EQ(server.requests(), 2u);
}

TEST(HttpClient, MalformedResponsesAreProtocolErrors) {
  TestHttpServer server([](const ServerRequest&) {
    ServerReply reply;
    reply.raw = "HTTX/9 200 OK\r\n\r\n";
    reply.close_after = true;
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor(), direct_config());
  const auto r = send_one(io, client, get(server.url()));
  EXPECT_EQ(r.error, TransportError::protocol) << r.detail;
}

TEST(HttpClient, SlowServerTimesOut) {
  TestHttpServer server([](const ServerRequest& r) {
    ServerReply reply;
    if (r.target == "/slow") reply.delay = 30s;
    return reply;
  });
  asio::io_context io;
  auto config = direct_config();
  config.request_timeout = 300ms;  // the timeout is what is under test
  HttpClient client(io.get_executor(), config);
  const auto r = send_one(io, client, get(server.url("/slow")));
  EXPECT_EQ(r.error, TransportError::timeout) << r.detail;
  const auto next = send_one(io, client, get(server.url("/fast")));
  ASSERT_EQ(next.error, TransportError::none) << next.detail;
  EXPECT_FALSE(next.reused_connection);  // the timed-out connection was closed
}

// Plain exchanges share one watchdog timer: the late request times out, the others on the
// same client, before and after it, are not disturbed.
TEST(HttpClient, TheWatchdogEndsOnlyTheLateRequest) {
  TestHttpServer server([](const ServerRequest& r) {
    ServerReply reply;
    if (r.target == "/slow") reply.delay = 30s;
    if (r.target == "/soon") reply.delay = 100ms;
    return reply;
  });
  asio::io_context io;
  auto config = direct_config();
  config.request_timeout = 400ms;
  HttpClient client(io.get_executor(), config);
  std::vector<HttpRequest> requests{get(server.url("/slow"))};
  for (int i = 0; i < 6; ++i)
    requests.push_back(get(server.url(i % 2 ? "/soon" : "/fast")));
  const auto results = send_all(io, client, requests);
  EXPECT_EQ(results[0].error, TransportError::timeout) << results[0].detail;
  EXPECT_NE(results[0].detail.find("reading the response"), std::string::npos) << results[0].detail;
  for (std::size_t i = 1; i < results.size(); ++i)
    EXPECT_EQ(results[i].error, TransportError::none) << i << ": " << results[i].detail;
  // Deadlines are per request: a request started later gets its own 400 ms.
  const auto later = send_one(io, client, get(server.url("/soon")));
  EXPECT_EQ(later.error, TransportError::none) << later.detail;
}

// The watchdog's pending tick must not touch a destroyed client (AddressSanitizer runs this).
TEST(HttpClient, DestroyedWhileItsWatchdogIsArmed) {
  TestHttpServer server(stall_reply);
  asio::io_context io;
  std::optional<HttpResult> result;
  {
    auto config = direct_config();
    config.request_timeout = 60s;
    HttpClient client(io.get_executor(), config);
    asio::co_spawn(io, client.send(get(server.url())), [&](std::exception_ptr e, HttpResult r) {
      if (!e) result = std::move(r);
    });
    when(
        io, [&] { return server.requests() == 1; }, [&] { client.cancel_all(); });
    while (!result && io.run_one_for(10s) > 0) {
    }
  }
  io.restart();
  io.run_for(200ms);  // the cancelled tick of the destroyed client's watchdog runs here
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->error, TransportError::cancelled) << result->detail;
}

TEST(HttpClient, WaitingForAPooledConnectionTimesOut) {
  TestHttpServer server(stall_reply);
  asio::io_context io;
  auto config = pool_of(1);
  config.request_timeout = 300ms;
  HttpClient client(io.get_executor(), config);
  const auto results = send_all(io, client, {get(server.url()), get(server.url())});
  EXPECT_EQ(results[0].error, TransportError::timeout) << results[0].detail;
  // The second waits for the only connection; the first frees it (by timing out) a moment
  // before the second's own deadline, so whether the second reaches the server in that
  // moment depends on scheduling. Either way its request_timeout ends it.
  EXPECT_EQ(results[1].error, TransportError::timeout) << results[1].detail;
  EXPECT_LE(server.requests(), 2u);
  EXPECT_LE(client.stats().connections_opened, 2u);
}

TEST(HttpClient, ConnectionRefusedIsAConnectError) {
  const auto port = testing::pick_free_port();
  asio::io_context io;
  HttpClient client(io.get_executor(), direct_config());
  const auto r = send_one(io, client, get("http://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_EQ(r.error, TransportError::connect) << r.detail;
  EXPECT_NE(r.detail.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << r.detail;
}

TEST(HttpClient, CancelAllAbortsEveryRequestInFlight) {
  TestHttpServer server([](const ServerRequest& r) {
    ServerReply reply;
    reply.stall = r.target == "/stall";
    return reply;
  });
  asio::io_context io;
  auto config = pool_of(2);  // 2 requests on the wire, 8 waiting for a connection
  config.request_timeout = 120s;
  HttpClient client(io.get_executor(), config);
  when(
      io, [&] { return server.requests() == 2; }, [&] { client.cancel_all(); });
  std::vector<HttpRequest> stalled(10, get(server.url("/stall")));
  const auto results = send_all(io, client, stalled);
  for (const auto& r : results)
    EXPECT_EQ(r.error, TransportError::cancelled) << r.detail;
  EXPECT_EQ(server.requests(), 2u);
  // The client still works afterwards.
  const auto after = send_one(io, client, get(server.url("/fine")));
  ASSERT_EQ(after.error, TransportError::none) << after.detail;
}

TEST(HttpClient, PerOperationCancellationAbortsOneRequest) {
  TestHttpServer server(stall_reply);
  asio::io_context io;
  HttpClient client(io.get_executor(), direct_config());
  asio::cancellation_signal signal;
  std::optional<HttpResult> result;
  asio::co_spawn(
      io, client.send(get(server.url())),
      asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e, HttpResult r) {
        if (!e) result = std::move(r);
      }));
  when(
      io, [&] { return server.requests() == 1; },
      [&] { signal.emit(asio::cancellation_type::terminal); });
  io.run_for(60s);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->error, TransportError::cancelled) << result->detail;
}

TEST(HttpClient, AThousandAndTwentyFourRequestsInFlightAtOnce) {
  ASSERT_GE(raise_open_file_limit(), 2 * 1024u + 64u);
  constexpr std::size_t n = 1024;
  TestHttpServer server([](const ServerRequest&) {
    ServerReply reply;
    reply.barrier = n;  // nobody is answered before all 1,024 have arrived
    reply.body = R"({"choices":[{"message":{"content":"[joy]"}}]})";
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor(), pool_of(n));
  std::vector<HttpRequest> requests(n, post(server.url("/v1/chat/completions"), R"({"m":1})"));
  const auto results = send_all(io, client, std::move(requests), 120s);
  std::size_t ok = 0;
  for (const auto& r : results)
    ok += r.error == TransportError::none && r.response.status == 200;
  EXPECT_EQ(ok, n) << results.front().detail;
  EXPECT_EQ(client.stats().connections_opened, n);
  EXPECT_EQ(server.connections_accepted(), n);
}

TEST(HttpClient, RejectsBadUrlsAndConfigurations) {
  asio::io_context io;
  HttpClient client(io.get_executor(), direct_config());
  std::exception_ptr error;
  asio::co_spawn(io, client.send(get("ftp://example.com/")),
                 [&](std::exception_ptr e, HttpResult) { error = e; });
  io.run();
  ASSERT_TRUE(error);
  EXPECT_THROW(std::rethrow_exception(error), InputError);

  auto bad = direct_config();
  bad.request_timeout = 0ms;
  EXPECT_THROW(HttpClient(io.get_executor(), bad), InputError);
  bad = direct_config();
  bad.max_connections = 0;
  EXPECT_THROW(HttpClient(io.get_executor(), bad), InputError);
}

}  // namespace
}  // namespace emosweep::providers
