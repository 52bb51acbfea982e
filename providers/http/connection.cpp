#include "providers/http/connection.hpp"

#include <sys/socket.h>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <optional>
#include <type_traits>
#include <vector>

#include "providers/http/tls_context.hpp"

namespace emosweep::providers::http_detail {

namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t header_limit_bytes = 64 * 1024;  // providers send a lot of headers

void lower_in_place(std::string& s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
}

// Registers what a step waits on in the flight, and clears it when the step is over,
// however it ends.
template <typename T>
class Registered {
 public:
  Registered(T*& slot, T* value) : slot_(slot) { slot_ = value; }
  ~Registered() { slot_ = nullptr; }
  Registered(const Registered&) = delete;
  Registered& operator=(const Registered&) = delete;

 private:
  T*& slot_;
};

Failure failed(Phase phase, error_code ec, const Flight& flight, std::string reason = {}) {
  // The watchdog's cancellation of an expired flight is a timeout (unless it was also
  // cancelled by its caller).
  if (flight.timed_out && !flight.stopped()) ec = beast::error::timeout;
  // A step that succeeded just as the request was cancelled still ends the request.
  if (!ec && flight.stopped()) ec = asio::error::operation_aborted;
  return Failure{phase, ec, std::move(reason)};
}

// Parses a response straight into an HttpResponse: header names lower-cased as they arrive,
// the body appended to its string. Beast's own message parser would first build a
// basic_fields (an allocation per header) that we then copied.
class ResponseParser final : public http::basic_parser<false> {
 public:
  ResponseParser(HttpResponse& response, std::size_t max_body, bool head_request)
      : response_(response), max_body_(max_body) {
    header_limit(header_limit_bytes);
    body_limit(max_body);
    eager(true);  // header and body in one put() when both are there
    if (head_request) skip(true);
  }

 private:
  void on_request_impl(http::verb, beast::string_view, beast::string_view, int,
                       error_code&) override {}
  void on_response_impl(int code, beast::string_view, int, error_code&) override {
    // An interim 1xx response is followed by the real one: start over.
    response_.status = static_cast<unsigned>(code);
    response_.headers.clear();
    response_.body.clear();
  }
  void on_field_impl(http::field, beast::string_view name, beast::string_view value,
                     error_code&) override {
    lower_in_place(response_.headers.emplace_back(name, value).first);
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    // The slack lets the dialects' JSON parser (simdjson reads 64 bytes past the end) parse
    // the body in place; without it, it copies every body into a padded buffer first.
    if (length)
      response_.body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, max_body_)) +
                             HttpResponse::body_padding);
  }
  std::size_t on_body_impl(beast::string_view body, error_code&) override {
    response_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, error_code&) override {
    response_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  HttpResponse& response_;
  std::size_t max_body_;
};

// Writes the request on `stream`, then reads responses until one is final (interim 1xx
// responses, e.g. a "100 Continue" some servers send unasked, are skipped).
//
// Over TLS a response is read by Beast's composed read, every step bounded by the stream's
// deadline. Over plain TCP, the hot path of every sweep against an http:// endpoint, this
// coroutine reads the socket itself (no nested coroutine, no composed operation, no stream
// timer armed and cancelled per step) and parses eagerly from the connection's buffer; the
// deadline is the client's watchdog's job (Flight::expire): a read it cancelled, or that
// completed after it, fails.
template <typename Stream>
asio::awaitable<ExchangeResult> exchange_with(Stream& stream, Connection& connection,
                                              const std::string& wire, bool head_request,
                                              std::size_t max_body, Flight& flight) {
  constexpr bool plain = std::is_same_v<Stream, tcp::socket>;
  beast::flat_buffer& buffer = connection.buffer();
  ExchangeResult out;
  flight.stream = &connection.tcp();
  error_code write_ec;
  if constexpr (plain) {
    // A request of a few kB leaves in one write_some; the loop is for the rare rest.
    for (std::size_t written = 0; written < wire.size() && !write_ec;) {
      auto [ec, n] = co_await stream.async_write_some(
          asio::buffer(wire.data() + written, wire.size() - written), use_tuple);
      written += n;
      write_ec = ec;
    }
  } else {
    auto [ec, written] = co_await asio::async_write(stream, asio::buffer(wire), use_tuple);
    write_ec = ec;
  }
  if (write_ec || flight.stopped() || flight.timed_out) {
    flight.stream = nullptr;
    out.failure = failed(Phase::write, write_ec, flight);
    co_return out;
  }
  constexpr int max_interim_responses = 8;
  out.response.headers.reserve(16);
  std::optional<ResponseParser> parser;
  for (int interim = 0;; ++interim) {
    parser.emplace(out.response, max_body, head_request);
    error_code ec;
    if constexpr (plain) {
      while (!parser->is_done()) {
        if (buffer.size() != 0) {
          const auto used = parser->put(buffer.data(), ec);
          buffer.consume(used);
          if (ec && ec != http::error::need_more) break;
          const bool progressed = !ec && used != 0;
          ec = {};
          if (progressed) continue;
        }
        // As Beast reads: the buffer's free room, at least 512 bytes and at most 64 kB.
        const std::size_t room = std::min<std::size_t>(
            std::max<std::size_t>(512, buffer.capacity() - buffer.size()), 65536);
        auto [read_ec, read] = co_await stream.async_read_some(buffer.prepare(room), use_tuple);
        buffer.commit(read);
        out.got_response_bytes = out.got_response_bytes || read > 0;
        if (flight.timed_out && !read_ec) {
          ec = asio::error::operation_aborted;
        } else if (read_ec == asio::error::eof) {
          if (!parser->got_some())
            ec = http::error::end_of_stream;
          else
            parser->put_eof(ec);  // a body delimited by the end of the connection
        } else {
          ec = read_ec;
        }
        if (ec || read_ec) break;
      }
    } else {
      auto [read_ec, read] = co_await http::async_read(stream, buffer, *parser, use_tuple);
      out.got_response_bytes =
          out.got_response_bytes || read > 0 || parser->got_some() || buffer.size() > 0;
      ec = read_ec;
    }
    if (ec || flight.stopped() || flight.timed_out) {
      flight.stream = nullptr;
      out.failure = failed(Phase::read, ec, flight);
      co_return out;
    }
    const unsigned status = out.response.status;
    if (status < 100 || status >= 200 || status == 101 || interim == max_interim_responses) break;
  }
  flight.stream = nullptr;
  // Bytes after the response mean the stream is out of step: never reuse it.
  out.keep_alive = parser->keep_alive() && !parser->need_eof() && connection.buffer().size() == 0;
  co_return out;
}

// Resolves `peer`, bounded by `deadline` (the resolver has no deadline of its own).
asio::awaitable<std::vector<tcp::endpoint>> resolve(const Origin& peer, Flight& flight,
                                                    Clock::time_point deadline, error_code& ec) {
  std::vector<tcp::endpoint> endpoints;
  const auto address = asio::ip::make_address(peer.host, ec);
  if (!ec) {
    endpoints.emplace_back(address, peer.port);
    co_return endpoints;
  }
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  asio::steady_timer timer(executor, deadline);
  Registered on_resolver(flight.resolver, &resolver);
  Registered on_timer(flight.timer, &timer);
  auto [order, resolve_ec, results, timer_ec] =
      co_await asio::experimental::make_parallel_group(
          resolver.async_resolve(peer.host, std::to_string(peer.port), asio::deferred),
          timer.async_wait(asio::deferred))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  ec = resolve_ec;
  if (order[0] == 1 && !timer_ec) ec = beast::error::timeout;
  for (const auto& entry : results)
    endpoints.push_back(entry.endpoint());
  if (!ec && endpoints.empty()) ec = asio::error::host_not_found;
  co_return endpoints;
}

}  // namespace

bool Connection::looks_alive() {
  if (buffer_.size() != 0) return false;
  auto& socket = tcp().socket();
  if (!socket.is_open()) return false;
  char byte = 0;
  const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0) return false;  // 0: the peer closed; > 0: unsolicited bytes
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

bool is_closed_connection(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::connection_aborted || ec == asio::error::broken_pipe ||
         ec == asio::error::not_connected || ec == ssl::error::stream_truncated;
}

TransportError classify(Phase phase, const error_code& ec, bool stopped, bool via_proxy) {
  if (stopped || ec == asio::error::operation_aborted) return TransportError::cancelled;
  if (ec == beast::error::timeout) return TransportError::timeout;
  switch (phase) {
    case Phase::resolve:
      return via_proxy ? TransportError::proxy : TransportError::resolve;
    case Phase::connect:
      return via_proxy ? TransportError::proxy : TransportError::connect;
    case Phase::tunnel:
      return TransportError::proxy;
    case Phase::handshake:
      return TransportError::tls;
    case Phase::write:
    case Phase::read:
      if (ec == http::error::body_limit) return TransportError::too_large;
      if (is_closed_connection(ec)) return TransportError::reset;
      if (ec.category() == http::make_error_code(http::error::bad_version).category())
        return TransportError::protocol;
      if (ec.category() == asio::error::get_ssl_category()) return TransportError::tls;
      return TransportError::reset;
  }
  return TransportError::reset;
}

std::string describe(const Failure& failure, const std::string& where) {
  std::string_view step;
  switch (failure.phase) {
    case Phase::resolve:
      step = "resolving";
      break;
    case Phase::connect:
      step = "connecting to";
      break;
    case Phase::tunnel:
      step = "opening a proxy tunnel to";
      break;
    case Phase::handshake:
      step = "TLS handshake with";
      break;
    case Phase::write:
      step = "sending the request to";
      break;
    case Phase::read:
      step = "reading the response from";
      break;
  }
  std::string out = fmt::format("{} {}: {}", step, where, failure.ec.message());
  if (!failure.reason.empty()) fmt::format_to(std::back_inserter(out), " ({})", failure.reason);
  return out;
}

asio::awaitable<OpenResult> open_connection(const Origin& target, const ProxyRoute* route,
                                            ssl::context& tls, Flight& flight,
                                            Clock::time_point deadline) {
  OpenResult out;
  const Origin& peer = route ? route->proxy : target;
  error_code ec;
  const auto endpoints = co_await resolve(peer, flight, deadline, ec);
  if (ec || flight.stopped()) {
    out.failure = failed(Phase::resolve, ec, flight);
    co_return out;
  }

  beast::tcp_stream tcp(co_await asio::this_coro::executor);
  {
    Registered on_stream(flight.stream, &tcp);
    tcp.expires_at(deadline);
    auto [connect_ec, endpoint] = co_await tcp.async_connect(endpoints, use_tuple);
    if (connect_ec || flight.stopped()) {
      out.failure = failed(Phase::connect, connect_ec, flight);
      co_return out;
    }
    tcp.socket().set_option(tcp::no_delay(true), ec);  // requests are small: send them now

    if (route && target.tls) {
      http::request<http::empty_body> connect{http::verb::connect, authority(target), 11};
      connect.set(http::field::host, authority(target));
      if (!route->authorization.empty())
        connect.set(http::field::proxy_authorization, route->authorization);
      auto [write_ec, written] = co_await http::async_write(tcp, connect, use_tuple);
      if (write_ec || flight.stopped()) {
        out.failure = failed(Phase::tunnel, write_ec, flight);
        co_return out;
      }
      beast::flat_buffer buffer;
      http::response_parser<http::empty_body> parser;
      parser.skip(true);  // a 2xx answer to CONNECT has no body: the tunnel starts right after
      auto [read_ec, read] = co_await http::async_read_header(tcp, buffer, parser, use_tuple);
      if (read_ec || flight.stopped()) {
        out.failure = failed(Phase::tunnel, read_ec, flight);
        co_return out;
      }
      const unsigned status = parser.get().result_int();
      if (status / 100 != 2) {
        out.failure = Failure{Phase::tunnel, make_error_code(boost::system::errc::protocol_error),
                              fmt::format("the proxy answered {}", status)};
        co_return out;
      }
      if (buffer.size() != 0) {
        out.failure = Failure{Phase::tunnel, make_error_code(boost::system::errc::protocol_error),
                              "the proxy sent bytes before the TLS handshake"};
        co_return out;
      }
    }
  }

  if (!target.tls) {
    out.connection = std::make_unique<Connection>(std::move(tcp));
    co_return out;
  }
  auto connection = std::make_unique<Connection>(std::move(tcp), tls);
  Connection::Tls& stream = *connection->tls();
  if (!prepare_tls_session(stream.native_handle(), target.host)) {
    out.failure = Failure{Phase::handshake, make_error_code(boost::system::errc::invalid_argument),
                          "cannot set the server name"};
    co_return out;
  }
  Registered on_stream(flight.stream, &connection->tcp());
  connection->tcp().expires_at(deadline);
  auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
  if (handshake_ec || flight.stopped()) {
    out.failure =
        failed(Phase::handshake, handshake_ec, flight, verify_failure(stream.native_handle()));
    co_return out;
  }
  out.connection = std::move(connection);
  co_return out;
}

asio::awaitable<ExchangeResult> exchange(Connection& connection, const std::string& wire,
                                         bool head_request, std::size_t max_body, Flight& flight,
                                         Clock::time_point deadline) {
  // Not a coroutine itself: the caller awaits exchange_with()'s frame directly.
  if (auto* tls = connection.tls()) {
    connection.tcp().expires_at(deadline);
    return exchange_with(*tls, connection, wire, head_request, max_body, flight);
  }
  connection.tcp().expires_never();
  return exchange_with(connection.tcp().socket(), connection, wire, head_request, max_body, flight);
}

}  // namespace emosweep::providers::http_detail
