// The request bytes the client writes: golden output, Content-Length rules, header injection.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "providers/http/wire.hpp"

namespace emosweep::providers::http_detail {
namespace {

TEST(HttpWire, GoldenPost) {
  const Headers headers{{"authorization", "Bearer k"},
                        {"Host", "evil.example"},   // the client's Host wins
                        {"content-length", "999"},  // recomputed
                        {"content-type", "application/json"}};
  WireRequest r;
  r.method = "POST";
  r.target = "/v1/chat/completions";
  r.host = "api.openai.com";
  r.headers = &headers;
  r.body = R"({"a":1})";
  r.user_agent = "emosweep/test";
  EXPECT_EQ(serialize_request(r),
            "POST /v1/chat/completions HTTP/1.1\r\n"
            "Host: api.openai.com\r\n"
            "authorization: Bearer k\r\n"
            "content-type: application/json\r\n"
            "User-Agent: emosweep/test\r\n"
            "Content-Length: 7\r\n"
            "\r\n"
            R"({"a":1})");
}

TEST(HttpWire, ContentLengthRulesUserAgentAndProxyAuthorization) {
  const Headers agent{{"User-Agent", "mine/1"}};
  WireRequest get;
  get.method = "GET";
  get.target = "http://127.0.0.1:8080/x";  // absolute form through a proxy
  get.host = "127.0.0.1:8080";
  get.headers = &agent;
  get.user_agent = "emosweep/test";
  get.proxy_authorization = "Basic YTpi";
  EXPECT_EQ(serialize_request(get),
            "GET http://127.0.0.1:8080/x HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
            "User-Agent: mine/1\r\nProxy-Authorization: Basic YTpi\r\n\r\n");
  WireRequest empty_post;
  empty_post.method = "POST";
  empty_post.target = "/";
  empty_post.host = "h";
  EXPECT_EQ(serialize_request(empty_post),
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
}

TEST(HttpWire, RejectsHeaderInjectionWithoutEchoingTheValue) {
  const Headers bad_value{{"authorization", "Bearer sk-secret\r\nX-Evil: 1"}};
  WireRequest r;
  r.method = "POST";
  r.target = "/";
  r.host = "h";
  r.headers = &bad_value;
  try {
    serialize_request(r);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("authorization"), std::string::npos) << message;
    EXPECT_EQ(message.find("sk-secret"), std::string::npos) << message;
  }
  const Headers trailing_newline{{"x-api-key", "key\n"}};  // a key read from a file, say
  r.headers = &trailing_newline;
  EXPECT_THROW(serialize_request(r), InputError);
  const Headers bad_name{{"bad name", "v"}};
  r.headers = &bad_name;
  EXPECT_THROW(serialize_request(r), InputError);
  r.headers = nullptr;
  r.method = "GE T";
  EXPECT_THROW(serialize_request(r), InputError);
}

}  // namespace
}  // namespace emosweep::providers::http_detail
