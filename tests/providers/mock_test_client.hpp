// Test support for the mock provider: a small HTTP/1.1 client on 127.0.0.1 whose every
// operation is bounded in time (async Beast operations driven with run_for), and a few JSON
// helpers. Independent of providers/http_client.hpp on purpose.
#pragma once

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include "core/json.hpp"

namespace emosweep::mocktest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Reply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  beast::error_code error;  // transport or parse error (the fields above are then partial)
  std::chrono::steady_clock::duration elapsed{};

  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  bool has_header(const std::string& name) const { return headers.count(name) > 0; }
};

// One keep-alive connection. Not thread-safe.
class Client {
 public:
  explicit Client(std::uint16_t port,
                  std::chrono::steady_clock::duration timeout = std::chrono::seconds(20))
      : stream_(ioc_), timeout_(timeout) {
    stream_.expires_after(timeout_);
    beast::error_code ec;
    stream_.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                          [&](beast::error_code e) { ec = e; });
    drive();
    connect_error_ = ec;
  }

  beast::error_code connect_error() const { return connect_error_; }

  Reply request(std::string_view method, std::string_view target, std::string_view body = {},
                const HeaderList& headers = {}) {
    Reply reply;
    const auto start = std::chrono::steady_clock::now();
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers)
      req.set(name, value);
    if (!body.empty() || method == "POST") {
      req.set(http::field::content_type, "application/json");
      req.body() = std::string(body);
      req.prepare_payload();
    }
    beast::error_code ec;
    stream_.expires_after(timeout_);
    http::async_write(stream_, req, [&](beast::error_code e, std::size_t) { ec = e; });
    drive();
    if (ec) {
      reply.error = ec;
      return reply;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    stream_.expires_after(timeout_);
    http::async_read(stream_, buffer_, parser, [&](beast::error_code e, std::size_t) { ec = e; });
    drive();
    reply.error = ec;
    const auto& res = parser.get();
    reply.status = res.result_int();
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reply.headers[name] = std::string(field.value());
    }
    reply.body = res.body();
    reply.elapsed = std::chrono::steady_clock::now() - start;
    return reply;
  }

  Reply post(std::string_view target, std::string_view body, const HeaderList& headers = {}) {
    return request("POST", target, body, headers);
  }

 private:
  void drive() {
    ioc_.restart();
    ioc_.run_for(timeout_ + std::chrono::seconds(5));
  }

  asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::chrono::steady_clock::duration timeout_;
  beast::error_code connect_error_;
};

// One request on a fresh connection.
inline Reply fetch(std::uint16_t port, std::string_view method, std::string_view target,
                   std::string_view body = {}, const HeaderList& headers = {}) {
  Client c(port);
  if (c.connect_error()) {
    Reply r;
    r.error = c.connect_error();
    return r;
  }
  return c.request(method, target, body, headers);
}

// `s` as a JSON string literal (tests build request bodies by hand).
inline std::string json_quote(std::string_view s) {
  std::string out;
  json::append_string(out, s);
  return out;
}

inline std::string openai_body(std::string_view model, std::string_view prompt,
                               std::optional<int> max_tokens = std::nullopt) {
  std::string b = "{\"model\":" + json_quote(model) +
                  ",\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},"
                  "{\"role\":\"user\",\"content\":" +
                  json_quote(prompt) + "}],\"temperature\":0";
  if (max_tokens) b += ",\"max_tokens\":" + std::to_string(*max_tokens);
  return b + "}";
}

inline std::string anthropic_body(std::string_view model, std::string_view prompt,
                                  int max_tokens = 256) {
  return "{\"model\":" + json_quote(model) + ",\"max_tokens\":" + std::to_string(max_tokens) +
         ",\"system\":\"You are terse.\",\"messages\":[{\"role\":\"user\",\"content\":" +
         json_quote(prompt) + "}]}";
}

inline std::string gemini_body(std::string_view prompt) {
  return "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":" + json_quote(prompt) +
         "}]}],\"generationConfig\":{\"temperature\":0,\"maxOutputTokens\":256}}";
}

inline const HeaderList& anthropic_headers() {
  static const HeaderList h = {{"anthropic-version", "2023-06-01"}};
  return h;
}

// A parsed JSON document that owns its parser.
struct Json {
  explicit Json(const std::string& text) : ok(parser.parse(text).get(root) == simdjson::SUCCESS) {}
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  bool ok = false;
};

}  // namespace emosweep::mocktest
