// One HTTP/1.1 connection (plain or TLS, direct or tunnelled) and the two coroutines that use
// it: open_connection() and exchange(). They run on the client's executor and report errors
// as values; the deadline of every awaited step is set on the stream (Beast's tcp_stream
// timer) or, for name resolution and pool waits, by an explicit timer.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/intrusive/list_hook.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <variant>

#include "providers/http/proxy.hpp"
#include "providers/http/url.hpp"
#include "providers/http_client.hpp"

namespace emosweep::providers::http_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using Clock = std::chrono::steady_clock;

// One request in flight, linked into its client so that cancel_all() can reach it. Each
// awaited step registers the object it waits on; abort() cancels that wait.
struct Flight
    : boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
  explicit Flight(asio::cancellation_state state) : caller(state) {}
  asio::cancellation_state caller;  // per-operation cancellation from whoever awaits send()
  bool aborted = false;             // cancel_all()
  asio::steady_timer* timer = nullptr;
  asio::ip::tcp::resolver* resolver = nullptr;
  beast::tcp_stream* stream = nullptr;
  // A plain exchange is bounded by the client's watchdog rather than a timer of its own:
  // `watched` while it runs, expired (timed_out, its socket operations cancelled) once the
  // watchdog finds `deadline` passed.
  bool watched = false;
  bool timed_out = false;
  Clock::time_point deadline{};

  bool stopped() const { return aborted || caller.cancelled() != asio::cancellation_type::none; }
  void abort() {
    aborted = true;
    if (timer) timer->cancel();
    if (resolver) resolver->cancel();
    if (stream) stream->cancel();
  }
  void expire() {
    timed_out = true;
    if (stream) stream->cancel();
  }
};

class Connection {
 public:
  // Beast reads max(512, free capacity) bytes at a time and its parser empties the buffer
  // after every response, so a buffer left at its first 512 bytes took two reads (two system
  // calls) for any answer above 512 bytes: nearly all of them (providers' headers alone are
  // ~1 kB). 8 kB holds a typical chat completion with its headers in one read.
  static constexpr std::size_t read_buffer_bytes = 8 * 1024;

  using Tcp = beast::tcp_stream;
  using Tls = asio::ssl::stream<Tcp>;

  explicit Connection(Tcp&& tcp) : stream_(std::in_place_type<Tcp>, std::move(tcp)) {
    buffer_.reserve(read_buffer_bytes);
  }
  Connection(Tcp&& tcp, asio::ssl::context& tls)
      : stream_(std::in_place_type<Tls>, std::move(tcp), tls) {
    buffer_.reserve(read_buffer_bytes);
  }

  Tcp& tcp() {
    return stream_.index() == 0 ? std::get<Tcp>(stream_) : std::get<Tls>(stream_).next_layer();
  }
  Tls* tls() { return std::get_if<Tls>(&stream_); }
  beast::flat_buffer& buffer() { return buffer_; }
  template <typename F>
  decltype(auto) visit(F&& f) {
    return std::visit(std::forward<F>(f), stream_);
  }

  // A non-blocking peek at an idle connection: false when the peer closed it or sent
  // something unsolicited (a TLS close_notify, a stray response), either way unusable.
  bool looks_alive();

 private:
  std::variant<Tcp, Tls> stream_;
  beast::flat_buffer buffer_;
};

// Which step failed; it decides how an error code is reported.
enum class Phase { resolve, connect, tunnel, handshake, write, read };

struct Failure {
  Phase phase = Phase::connect;
  boost::system::error_code ec;
  std::string reason;  // extra words for the detail (a verification error, a proxy status)
};

// The one place that maps a failed step to a TransportError.
TransportError classify(Phase phase, const boost::system::error_code& ec, bool stopped,
                        bool via_proxy);
// The one-line detail: "<step> <authority>: <reason>". Never headers, bodies or URL queries.
std::string describe(const Failure& failure, const std::string& where);
// True for errors that mean "the peer closed or reset the connection": the only ones a
// reused connection is retried for (when no response byte had arrived).
bool is_closed_connection(const boost::system::error_code& ec);

struct OpenResult {
  std::unique_ptr<Connection> connection;  // null on failure
  Failure failure;
};

// Resolves, connects (to the proxy when `route` is set), opens a CONNECT tunnel for https
// through a proxy, and completes the TLS handshake for https. Every step ends by `deadline`.
asio::awaitable<OpenResult> open_connection(const Origin& target, const ProxyRoute* route,
                                            asio::ssl::context& tls, Flight& flight,
                                            Clock::time_point deadline);

struct ExchangeResult {
  Failure failure;  // failure.ec set on error
  bool got_response_bytes = false;
  bool keep_alive = false;  // the connection may be reused
  HttpResponse response;
};

// Writes `wire` (a serialized request, see wire.hpp) and reads the complete response (at most
// `max_body` body bytes). Over TLS every step ends by `deadline` (the stream's timer); over
// plain TCP the caller bounds it with Flight::expire() (the client's watchdog), which makes
// the exchange fail with a timeout.
asio::awaitable<ExchangeResult> exchange(Connection& connection, const std::string& wire,
                                         bool head_request, std::size_t max_body, Flight& flight,
                                         Clock::time_point deadline);

}  // namespace emosweep::providers::http_detail
