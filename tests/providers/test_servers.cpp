#include "tests/providers/test_servers.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <fstream>
#include <future>
#include <list>
#include <sstream>
#include <stdexcept>

namespace emosweep::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

struct TestHttpServer::Impl {
  struct Session {
    tcp::socket* socket = nullptr;
    bool idle = false;  // waiting for a request, nothing of it read yet
  };

  // Lists a session while it lives, so that close_idle_connections() can reach its socket.
  class Registration {
   public:
    Registration(std::list<Session>& list, tcp::socket& socket)
        : list_(list), it_(list.insert(list.end(), Session{&socket, false})) {}
    ~Registration() { list_.erase(it_); }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    Session& session() { return *it_; }

   private:
    std::list<Session>& list_;
    std::list<Session>::iterator it_;
  };

  Impl(TestHttpServer& owner, ServerHandler handler, std::optional<TlsIdentity> tls)
      : owner(owner), handler(std::move(handler)), acceptor(io), gate(io) {
    gate.expires_at(asio::steady_timer::time_point::max());
    if (tls) {
      tls_context.emplace(ssl::context::tls_server);
      tls_context->use_certificate_chain_file(tls->certificate_chain.string());
      tls_context->use_private_key_file(tls->private_key.string(), ssl::context::pem);
    }
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec) co_return;
      const std::size_t id = owner.accepted_++;
      asio::co_spawn(io, session(std::move(socket), id), asio::detached);
    }
  }

  asio::awaitable<void> session(tcp::socket socket, std::size_t id) {
    socket.set_option(tcp::no_delay(true));
    if (!tls_context) {
      Registration registration(sessions, socket);
      co_await serve(socket, registration.session(), id);
      co_return;
    }
    ssl::stream<tcp::socket> stream(std::move(socket), *tls_context);
    Registration registration(sessions, stream.next_layer());
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
    if (ec) co_return;
    {
      const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
      std::lock_guard lock(sni_mutex);
      last_sni = name ? name : "";
    }
    co_await serve(stream, registration.session(), id);
  }

  template <typename Stream>
  asio::awaitable<void> serve(Stream& stream, Session& state, std::size_t id) {
    beast::flat_buffer buffer;
    for (std::size_t index = 0;; ++index) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64 << 20);
      state.idle = buffer.size() == 0;
      auto [ec, read] = co_await http::async_read(stream, buffer, parser, use_tuple);
      state.idle = false;
      if (ec) co_return;
      ++owner.requests_;
      auto& message = parser.get();
      ServerRequest request;
      request.method = std::string(message.method_string());
      request.target = std::string(message.target());
      for (const auto& field : message)
        request.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
      request.body = std::move(message.body());
      request.connection = id;
      request.on_connection = index;
      const ServerReply reply = handler(request);

      if (reply.barrier > 0 && !gate_open) {
        if (++held >= reply.barrier) {
          gate_open = true;
          gate.cancel();
        } else {
          co_await gate.async_wait(use_tuple);
        }
      }
      if (reply.delay.count() > 0) {
        asio::steady_timer timer(io, reply.delay);
        co_await timer.async_wait(use_tuple);
      }
      if (reply.drop) co_return;
      if (reply.stall) {
        // Wait until the client closes (or the server stops).
        char byte;
        co_await stream.async_read_some(asio::buffer(&byte, 1), use_tuple);
        co_return;
      }
      bool keep = message.keep_alive() && !reply.close && !reply.close_after;
      if (!reply.raw.empty()) {
        auto [write_ec, n] = co_await asio::async_write(stream, asio::buffer(reply.raw), use_tuple);
        if (write_ec) co_return;
      } else {
        http::response<http::string_body> response{static_cast<http::status>(reply.status),
                                                   message.version()};
        for (const auto& [name, value] : reply.headers)
          response.insert(name, value);
        response.body() = reply.body;
        if (reply.chunked)
          response.chunked(true);
        else
          response.prepare_payload();
        response.keep_alive(message.keep_alive() && !reply.close);
        auto [write_ec, n] = co_await http::async_write(stream, response, use_tuple);
        if (write_ec) co_return;
      }
      if (!keep) co_return;
    }
  }

  TestHttpServer& owner;
  ServerHandler handler;
  std::optional<ssl::context> tls_context;
  std::list<Session> sessions;  // server thread only
  std::size_t held = 0;
  bool gate_open = false;
  mutable std::mutex sni_mutex;
  std::string last_sni;
  // Declared last, destroyed first: the pending coroutines die while what they use lives.
  asio::io_context io;
  tcp::acceptor acceptor;
  asio::steady_timer gate;
  std::thread thread;
};

TestHttpServer::TestHttpServer(ServerHandler handler, std::optional<TlsIdentity> tls)
    : impl_(std::make_unique<Impl>(*this, std::move(handler), std::move(tls))) {
  port_ = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

TestHttpServer::~TestHttpServer() {
  impl_->io.stop();
  impl_->thread.join();
}

std::string TestHttpServer::url(const std::string& path, const std::string& host) const {
  return (impl_->tls_context ? "https://" : "http://") + host + ":" + std::to_string(port_) + path;
}

std::size_t TestHttpServer::close_idle_connections(std::size_t at_least) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    std::promise<std::size_t> done;
    asio::post(impl_->io, [&] {
      std::size_t idle = 0;
      for (auto& s : impl_->sessions)
        idle += s.idle;
      if (idle < at_least && std::chrono::steady_clock::now() < give_up) {
        done.set_value(0);
        return;
      }
      for (auto& s : impl_->sessions) {
        if (!s.idle) continue;
        boost::system::error_code ec;
        s.socket->shutdown(tcp::socket::shutdown_both, ec);
        s.socket->close(ec);
        s.idle = false;
      }
      done.set_value(idle);
    });
    const std::size_t closed = done.get_future().get();
    if (closed > 0 || at_least == 0 || std::chrono::steady_clock::now() >= give_up) return closed;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string TestHttpServer::last_sni() const {
  std::lock_guard lock(impl_->sni_mutex);
  return impl_->last_sni;
}

std::vector<providers::HttpResult> send_all(asio::io_context& io, providers::HttpClient& client,
                                            std::vector<providers::HttpRequest> requests,
                                            std::chrono::seconds limit) {
  std::vector<std::optional<providers::HttpResult>> done(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    asio::co_spawn(io, client.send(std::move(requests[i])),
                   [&done, i](std::exception_ptr error, providers::HttpResult result) {
                     if (error) {
                       result.error = providers::TransportError::protocol;
                       result.detail = "threw";
                     }
                     done[i] = std::move(result);
                   });
  }
  io.restart();
  io.run_for(limit);
  std::vector<providers::HttpResult> out;
  for (auto& r : done) {
    if (r) {
      out.push_back(std::move(*r));
    } else {
      providers::HttpResult missing;
      missing.error = providers::TransportError::cancelled;
      missing.detail = "did not complete";
      out.push_back(std::move(missing));
    }
  }
  return out;
}

providers::HttpResult send_one(asio::io_context& io, providers::HttpClient& client,
                               providers::HttpRequest request, std::chrono::seconds limit) {
  std::vector<providers::HttpRequest> one;
  one.push_back(std::move(request));
  return std::move(send_all(io, client, std::move(one), limit).front());
}

providers::HttpRequest get(const std::string& url) {
  providers::HttpRequest r;
  r.method = "GET";
  r.url = url;
  return r;
}

providers::HttpRequest post(const std::string& url, std::string body) {
  providers::HttpRequest r;
  r.method = "POST";
  r.url = url;
  r.headers.emplace_back("content-type", "application/json");
  r.body = std::move(body);
  return r;
}

ScopedProxyEnv::ScopedProxyEnv(std::initializer_list<std::pair<const char*, const char*>> values) {
  for (const char* name :
       {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"}) {
    const char* old = std::getenv(name);
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    ::unsetenv(name);
  }
  for (const auto& [name, value] : values)
    if (value) ::setenv(name, value, 1);
}

ScopedProxyEnv::~ScopedProxyEnv() {
  for (const auto& [name, value] : saved_) {
    if (value)
      ::setenv(name.c_str(), value->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
}

std::filesystem::path make_temp_dir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

std::uint16_t pick_free_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

bool wait_for_port(std::uint16_t port, std::chrono::milliseconds wait) {
  const auto until = std::chrono::steady_clock::now() + wait;
  asio::io_context io;
  while (std::chrono::steady_clock::now() < until) {
    tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (!ec) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

namespace {

void run_openssl(const std::filesystem::path& dir, const std::string& args) {
  const std::string command =
      "cd '" + dir.string() + "' && openssl " + args + " >>openssl.log 2>&1";
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error("openssl failed: openssl " + args + " (see " +
                             (dir / "openssl.log").string() + ")");
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

void make_leaf(const std::filesystem::path& dir, const std::string& name, const std::string& cn,
               const std::string& san) {
  write_file(dir / (name + ".ext"), "subjectAltName=" + san +
                                        "\nbasicConstraints=CA:FALSE\n"
                                        "keyUsage=digitalSignature,keyEncipherment\n"
                                        "extendedKeyUsage=serverAuth\n");
  run_openssl(dir, "req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + name +
                       ".key -out " + name + ".csr -subj /CN=" + cn);
  run_openssl(dir, "x509 -req -in " + name +
                       ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out " + name +
                       ".pem -extfile " + name + ".ext");
}

}  // namespace

TestPki::TestPki() : dir_(make_temp_dir("emosweep_pki_")) {
  run_openssl(dir_,
              "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key "
              "-out ca.pem -days 2 -subj /CN=emosweep-test-ca "
              "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign");
  make_leaf(dir_, "server", "localhost", "DNS:localhost,IP:127.0.0.1");
  make_leaf(dir_, "other", "other.example", "DNS:other.example");
}

TestPki::~TestPki() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

Tinyproxy::Tinyproxy(const std::vector<std::uint16_t>& connect_ports)
    : dir_(make_temp_dir("emosweep_tinyproxy_")) {
  // The port is picked free then handed to tinyproxy, which may lose it to someone else in
  // between: try a few times.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = pick_free_port();
    std::ostringstream config;
    config << "Port " << port_ << "\n"
           << "Listen 127.0.0.1\n"
           << "Timeout 30\n"
           << "Allow 127.0.0.1\n"
           << "LogFile \"" << (dir_ / "tinyproxy.log").string() << "\"\n"
           << "LogLevel Connect\n"
           << "MaxClients 200\n";
    for (auto p : connect_ports)
      config << "ConnectPort " << p << "\n";
    if (::getuid() == 0) config << "User nobody\nGroup nogroup\n";
    write_file(dir_ / "tinyproxy.conf", config.str());
    // The log file must be writable after tinyproxy drops privileges.
    write_file(dir_ / "tinyproxy.log", "");
    std::filesystem::permissions(dir_, std::filesystem::perms::all);
    std::filesystem::permissions(dir_ / "tinyproxy.log", std::filesystem::perms::all);

    const std::string conf = (dir_ / "tinyproxy.conf").string();
    const char* argv[] = {"tinyproxy", "-d", "-c", conf.c_str(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string out = (dir_ / "stdout.log").string();
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = -1;
    const int rc =
        posix_spawnp(&pid, "tinyproxy", &actions, nullptr, const_cast<char* const*>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start tinyproxy");
    pid_ = pid;
    if (wait_for_port(port_, std::chrono::seconds(10))) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  throw std::runtime_error("tinyproxy did not start; see " + (dir_ / "stdout.log").string());
}

Tinyproxy::~Tinyproxy() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    // Give it a moment to exit cleanly, then insist.
    for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string Tinyproxy::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string Tinyproxy::log() const {
  std::ifstream in(dir_ / "tinyproxy.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace emosweep::testing
