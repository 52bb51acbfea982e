// The async HTTP/1.1 client every provider talks through: plain TCP or TLS (OpenSSL), an
// optional forward proxy (CONNECT tunnels for https), and a bounded keep-alive pool per origin.
//
// Threading: an HttpClient is NOT thread-safe. Construct it, call send(), cancel_all() and
// stats(), and destroy it on the single thread that runs the io_context owning `executor`.
// Every coroutine returned by send() must be run on that executor. Run one client per endpoint
// (per io_context thread); two clients never share connections.
//
// Lifetime: the client must outlive every send() coroutine it returned. To shut down, stop
// issuing requests, optionally let them drain for a grace period, then call cancel_all() and
// wait for the outstanding send() coroutines to complete before destroying the client.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "providers/types.hpp"

namespace emosweep::providers {

// Forward-proxy settings, as curl and most HTTP stacks read them from the environment.
// Only `http://` proxies are supported (the usual institutional kind); the target may be http
// (absolute-form requests through the proxy) or https (a CONNECT tunnel, TLS end to end).
struct ProxySettings {
  std::string http_proxy;  // proxy for http:// targets, e.g. "http://127.0.0.1:3128"; empty: direct
  std::string https_proxy;  // proxy for https:// targets; empty: direct
  // Comma-separated targets that bypass the proxy: host names (matching the name and its
  // sub-domains; a leading "." or "*." is ignored), IP addresses, CIDR blocks (10.0.0.0/8),
  // any of these with ":port" to match one port only, or "*" for everything.
  std::string no_proxy;

  // Reads https_proxy/HTTPS_PROXY, http_proxy/HTTP_PROXY and no_proxy/NO_PROXY (the lower-case
  // name wins when both are set). Validation happens when a client is constructed.
  static ProxySettings from_environment();
};

// All durations in one place. Every duration must be positive.
struct HttpClientConfig {
  // Resolve + TCP connect + proxy CONNECT + TLS handshake of a new connection.
  std::chrono::milliseconds connect_timeout{10'000};
  // The whole send(): waiting for a pooled connection, connecting (also bounded by
  // connect_timeout), writing the request and reading the complete response. Over plain TCP
  // the exchange is bounded by the client's watchdog, which may end it up to a tenth of this
  // (at most 100 ms) after the deadline.
  std::chrono::milliseconds request_timeout{120'000};
  // An idle pooled connection older than this is closed instead of reused.
  std::chrono::milliseconds idle_timeout{60'000};
  std::size_t max_connections = 256;         // per origin; further requests wait in FIFO order
  std::size_t max_response_bytes = 8 << 20;  // larger bodies fail with TransportError::too_large
  std::string ca_file;  // extra trusted CA bundle (PEM) for private servers; system store always on
  bool insecure_skip_verify = false;  // no certificate checks; logs a loud warning at construction
  // Reading the system trust store takes tens of milliseconds: a client that will only speak
  // plain http (a local server, the mock) sets this false and reads it only if a TLS
  // connection comes after all. True: read at construction, off the thread that runs send().
  bool expect_tls = true;
  std::optional<ProxySettings> proxy;  // nullopt: ProxySettings::from_environment() at construction
};

// Why a request produced no HTTP response. HTTP error statuses (4xx, 5xx) are not transport
// errors: they come back as responses.
enum class TransportError {
  none,
  resolve,    // the host name did not resolve
  connect,    // TCP connect failed (refused, unreachable)
  tls,        // TLS handshake or certificate verification failed, or a TLS error mid-stream
  timeout,    // connect_timeout or request_timeout expired
  reset,      // the connection closed or broke before the response was complete
  protocol,   // the response was not valid HTTP/1.1
  too_large,  // the response body exceeded max_response_bytes
  cancelled,  // cancel_all() or per-operation cancellation
  proxy       // the proxy could not be reached or refused the tunnel
};
std::string_view to_string(TransportError e);

struct HttpResult {
  TransportError error = TransportError::none;
  std::string detail;     // our one-line reason when error != none (never headers or secrets)
  HttpResponse response;  // valid when error == none, whatever the status
  std::chrono::nanoseconds latency{};  // the whole send(), waiting and connecting included
  bool reused_connection = false;      // the response came over a pooled connection
  bool ok() const { return error == TransportError::none; }
};

namespace http_detail {
class ClientCore;
}

class HttpClient {
 public:
  // Builds the TLS context (system trust store, plus `ca_file`) and the proxy policy.
  // Throws emosweep::InputError (one line naming the field) for an invalid configuration:
  // a non-positive duration or limit, an unreadable `ca_file`, an unusable proxy URL.
  HttpClient(boost::asio::any_io_executor executor, HttpClientConfig config);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads the whole response. `request.url` must be absolute http(s);
  // Host, Content-Length and (when absent) User-Agent are added. Never throws for network
  // errors: they come back in HttpResult::error. Throws emosweep::InputError, before anything
  // is sent, for a URL that is not absolute http(s), a method or header name that is not an
  // HTTP token, or a header value with CR, LF or NUL (the message names the header, never the
  // value: it may be an API key).
  //
  // A request whose reused keep-alive connection fails before any response byte arrived (the
  // server closed it while idle) is re-sent once on a fresh connection; nothing else is
  // retried here: retry policy belongs to the scheduler. Pooled connections idle for a second
  // or more are also checked (a non-blocking peek) before reuse; fresher ones are reused as is,
  // which keeps a system call off the hot path.
  //
  // Cancellation: terminal per-operation cancellation (asio::bind_cancellation_slot on the
  // co_spawn/awaiting operation, or an awaitable operator) and cancel_all() both complete the
  // request promptly with TransportError::cancelled; the connection it used is closed.
  boost::asio::awaitable<HttpResult> send(HttpRequest request);
  // send() without the copy, for a request the caller keeps alive and unchanged until the
  // returned coroutine has completed (a scheduler re-sending one request on retries).
  boost::asio::awaitable<HttpResult> send_borrowed(const HttpRequest& request);

  // Aborts every request in flight (connecting, waiting for a connection, writing or
  // reading); each completes with TransportError::cancelled. Requests sent afterwards are not
  // affected. Idle pooled connections stay open until the client is destroyed.
  void cancel_all();

  struct Stats {
    std::uint64_t connections_opened = 0;  // connections established (TCP, tunnel and TLS done)
    std::uint64_t requests = 0;            // requests written to a connection (retries count)
    std::uint64_t reused = 0;              // ... of which on a pooled (reused) connection
    std::uint64_t stale_retries = 0;       // re-sent after a pooled connection proved closed
  };
  Stats stats() const;

 private:
  std::unique_ptr<http_detail::ClientCore> core_;
};

// Raises this process's RLIMIT_NOFILE soft limit to its hard limit, so that a thousand or more
// sockets in flight just work. Call once at process start (it changes process state).
// Returns the soft limit now in force.
std::uint64_t raise_open_file_limit();

}  // namespace emosweep::providers
