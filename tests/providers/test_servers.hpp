// Real peers for the HTTP client tests, all on 127.0.0.1 with ephemeral ports:
//  * TestHttpServer: a scriptable HTTP/1.1 (optionally TLS) server on its own thread, whose
//    handler decides per request how to misbehave;
//  * TestPki: a CA and server certificates made with the `openssl` CLI in a temp directory;
//  * Tinyproxy: the Debian `tinyproxy`, configured and started in the foreground.
// Everything is stopped and removed by the destructors.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "providers/http_client.hpp"
#include "providers/types.hpp"

namespace emosweep::testing {

struct ServerRequest {
  std::string method;
  std::string target;
  providers::Headers headers;  // lower-case names
  std::string body;
  std::size_t connection = 0;     // 0-based id of the connection, in accept order
  std::size_t on_connection = 0;  // 0-based index of the request on its connection
};

struct ServerReply {
  unsigned status = 200;
  std::string body = "ok";
  providers::Headers headers;
  bool chunked = false;      // Transfer-Encoding: chunked instead of Content-Length
  bool close = false;        // send "Connection: close", then close
  bool close_after = false;  // close silently after answering (no Connection: close header)
  std::string raw;           // when not empty: written verbatim instead of a built response
  bool drop = false;         // close the connection without answering
  bool stall = false;        // never answer; the connection stays open until the client closes it
  std::chrono::milliseconds delay{0};  // wait before answering
  // Hold the answer until this many requests are held at once (then release all of them,
  // and pass every later one straight through): proves that many were in flight together.
  std::size_t barrier = 0;
};

using ServerHandler = std::function<ServerReply(const ServerRequest&)>;

struct TlsIdentity {
  std::filesystem::path certificate_chain;  // PEM
  std::filesystem::path private_key;        // PEM
};

class TestHttpServer {
 public:
  // Starts listening at once; the handler runs on the server's thread.
  explicit TestHttpServer(ServerHandler handler, std::optional<TlsIdentity> tls = std::nullopt);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  std::uint16_t port() const { return port_; }
  // "http(s)://<host>:<port><path>"; host defaults to 127.0.0.1.
  std::string url(const std::string& path = "/", const std::string& host = "127.0.0.1") const;

  std::size_t connections_accepted() const { return accepted_.load(); }
  std::size_t requests() const { return requests_.load(); }
  // Closes every connection that is waiting for its next request, after waiting (up to 10 s)
  // until at least `at_least` are; returns how many it closed.
  std::size_t close_idle_connections(std::size_t at_least = 0);
  // The server name (SNI) the last TLS client sent; empty when none.
  std::string last_sni() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> requests_{0};
};

// A throwaway PKI: a CA, a server certificate for localhost + 127.0.0.1 signed by it, and
// one for another name ("other.example") signed by it too.
class TestPki {
 public:
  TestPki();  // throws std::runtime_error when `openssl` fails
  ~TestPki();
  std::filesystem::path ca_file() const { return dir_ / "ca.pem"; }
  TlsIdentity server() const { return {dir_ / "server.pem", dir_ / "server.key"}; }
  TlsIdentity other_name() const { return {dir_ / "other.pem", dir_ / "other.key"}; }
  std::filesystem::path dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

// tinyproxy on 127.0.0.1, allowing CONNECT to `connect_ports` only.
class Tinyproxy {
 public:
  explicit Tinyproxy(const std::vector<std::uint16_t>& connect_ports);  // throws on failure
  ~Tinyproxy();
  std::uint16_t port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:<port>"
  std::string log() const;  // the proxy's log so far

 private:
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  int pid_ = -1;
};

// Sends every request concurrently with `client` on `io` and runs `io` until all complete or
// `limit` passes; a request that did not complete has error `cancelled` and detail
// "did not complete".
std::vector<providers::HttpResult> send_all(boost::asio::io_context& io,
                                            providers::HttpClient& client,
                                            std::vector<providers::HttpRequest> requests,
                                            std::chrono::seconds limit = std::chrono::seconds(60));
// Sends one request and waits for it.
providers::HttpResult send_one(boost::asio::io_context& io, providers::HttpClient& client,
                               providers::HttpRequest request,
                               std::chrono::seconds limit = std::chrono::seconds(60));
providers::HttpRequest get(const std::string& url);
providers::HttpRequest post(const std::string& url, std::string body);

// Sets (or unsets, when the value is null) the proxy environment variables for a scope, and
// restores all six of them afterwards.
class ScopedProxyEnv {
 public:
  ScopedProxyEnv(std::initializer_list<std::pair<const char*, const char*>> values);
  ~ScopedProxyEnv();
  ScopedProxyEnv(const ScopedProxyEnv&) = delete;
  ScopedProxyEnv& operator=(const ScopedProxyEnv&) = delete;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// A fresh temporary directory (removed by the owner).
std::filesystem::path make_temp_dir(const std::string& prefix);
// A port that was free a moment ago on 127.0.0.1.
std::uint16_t pick_free_port();
// True once something accepts TCP connections on 127.0.0.1:port (polls up to `wait`).
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds wait);

}  // namespace emosweep::testing
