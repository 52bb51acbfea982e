#include "tests/metrics/prometheus_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace emosweep::metrics::testing {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string decode_chunked(std::string_view body) {
  std::string out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const auto eol = body.find("\r\n", pos);
    if (eol == std::string_view::npos) break;
    const std::size_t size = std::stoul(std::string(body.substr(pos, eol - pos)), nullptr, 16);
    if (size == 0) break;
    out.append(body.substr(eol + 2, size));
    pos = eol + 2 + size + 2;
  }
  return out;
}

}  // namespace

HttpResponse http_get(std::uint16_t port, std::string_view path,
                      std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  Fd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (sock.get() < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(sock.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " +
                             std::strerror(errno));
  }
  const std::string request = "GET " + std::string(path) +
                              " HTTP/1.0\r\nHost: 127.0.0.1:" + std::to_string(port) +
                              "\r\nAccept: */*\r\n\r\n";
  for (std::size_t sent = 0; sent < request.size();) {
    const auto n = ::send(sock.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("send: " + std::string(std::strerror(errno)));
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buf[16384];
  for (;;) {
    if (Clock::now() > deadline) throw std::runtime_error("http_get: timed out");
    const auto n = ::recv(sock.get(), buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("recv: " + std::string(std::strerror(errno)));
    }
    raw.append(buf, static_cast<std::size_t>(n));
  }
  const auto header_end = raw.find("\r\n\r\n");
  if (raw.compare(0, 5, "HTTP/") != 0 || header_end == std::string::npos) {
    throw std::runtime_error("http_get: not an HTTP response");
  }
  HttpResponse response;
  response.status = std::stoi(raw.substr(raw.find(' ') + 1, 3));
  std::string headers = raw.substr(0, header_end);
  for (auto& c : headers)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  response.body = raw.substr(header_end + 4);
  if (headers.find("transfer-encoding: chunked") != std::string::npos) {
    response.body = decode_chunked(response.body);
  }
  return response;
}

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::uint16_t free_loopback_port() {
  Fd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (sock.get() < 0 || ::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("free_loopback_port: " + std::string(std::strerror(errno)));
  }
  return ntohs(addr.sin_port);
}

ScratchDir::ScratchDir(std::string_view prefix) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ChildProcess::ChildProcess(std::vector<std::string> argv, std::string log_path)
    : log_path_(std::move(log_path)) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  const int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) throw std::runtime_error("ChildProcess: cannot open " + log_path_);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(log);
    throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
  }
  if (pid_ == 0) {
    // Only async-signal-safe calls from here to exec.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::close_range(3, ~0U, 0);  // no inherited sockets (e.g. the test's own listeners)
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(log);
}

ChildProcess::~ChildProcess() {
  stop();
}

bool ChildProcess::running() {
  if (reaped_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || r < 0) {
    reaped_ = true;
    return false;
  }
  return true;
}

void ChildProcess::stop(std::chrono::milliseconds grace) {
  if (!running()) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + grace;
  while (Clock::now() < deadline) {
    if (!running()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  reaped_ = true;
}

std::string ChildProcess::log_tail(std::size_t max_bytes) const {
  std::ifstream in(log_path_, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  return all.size() > max_bytes ? all.substr(all.size() - max_bytes) : all;
}

bool wait_until_ready(ChildProcess& child, std::uint16_t port, std::string_view path,
                      std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (!child.running()) return false;
    try {
      if (http_get(port, path, std::chrono::seconds(2)).status == 200) return true;
    } catch (const std::exception&) {
      // not listening yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

ApiResponse::ApiResponse(int http_status, std::string body)
    : http_status_(http_status),
      body_(std::move(body)),
      parser_(std::make_unique<simdjson::dom::parser>()) {
  simdjson::dom::element root;
  if (parser_->parse(body_).get(root) != simdjson::SUCCESS) return;
  std::string_view s;
  if (root["status"].get(s) == simdjson::SUCCESS) status_ = std::string(s);
  if (root["error"].get(s) == simdjson::SUCCESS) error_ = std::string(s);
  if (root["data"].get(data_) != simdjson::SUCCESS) data_ = root;
}

std::vector<Sample> ApiResponse::samples() const {
  std::vector<Sample> out;
  std::string_view type;
  if (status_ != "success" || data_["resultType"].get(type) != simdjson::SUCCESS) return out;
  const auto value_of = [](simdjson::dom::array pair) {
    std::string_view text;
    if (pair.at(1).get(text) != simdjson::SUCCESS) return 0.0;
    return std::stod(std::string(text));
  };
  if (type == "scalar") {
    simdjson::dom::array pair;
    if (data_["result"].get(pair) == simdjson::SUCCESS) out.push_back({{}, value_of(pair)});
    return out;
  }
  simdjson::dom::array result;
  if (type != "vector" || data_["result"].get(result) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element item : result) {
    Sample sample;
    simdjson::dom::object metric;
    if (item["metric"].get(metric) == simdjson::SUCCESS) {
      for (auto field : metric) {
        std::string_view v;
        if (field.value.get(v) == simdjson::SUCCESS) {
          sample.labels.emplace(std::string(field.key), std::string(v));
        }
      }
    }
    simdjson::dom::array pair;
    if (item["value"].get(pair) == simdjson::SUCCESS) sample.value = value_of(pair);
    out.push_back(std::move(sample));
  }
  return out;
}

PrometheusServer::PrometheusServer(Options options) : options_(std::move(options)) {
  dir_ = std::make_unique<ScratchDir>("emosweep-prometheus");
  const std::string config_path = dir_->path() + "/prometheus.yml";
  {
    std::ofstream config(config_path);
    const auto interval = std::to_string(options_.scrape_interval.count()) + "s";
    config << "global:\n  scrape_interval: " << interval << "\n  evaluation_interval: " << interval
           << "\n  scrape_timeout: " << interval << "\n";
    if (!options_.rule_files.empty()) {
      config << "rule_files:\n";
      for (const auto& f : options_.rule_files)
        config << "  - \"" << f << "\"\n";
    }
    config << "scrape_configs:\n  - job_name: \"" << options_.job
           << "\"\n    static_configs:\n      - targets: [";
    for (std::size_t i = 0; i < options_.targets.size(); ++i) {
      config << (i ? ", " : "") << '"' << options_.targets[i] << '"';
    }
    config << "]\n";
  }
  // The port is chosen before Prometheus binds it; if another process takes it meanwhile,
  // Prometheus exits and we try another one.
  std::string last_log;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_loopback_port();
    const std::string storage = dir_->path() + "/data-" + std::to_string(attempt);
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{
            options_.binary, "--config.file=" + config_path, "--storage.tsdb.path=" + storage,
            "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=info"},
        dir_->path() + "/prometheus-" + std::to_string(attempt) + ".log");
    if (wait_until_ready(*process_, port_, "/-/ready", options_.start_timeout)) return;
    last_log = process_->log_tail();
    process_->stop();
  }
  throw std::runtime_error("prometheus did not become ready; log:\n" + last_log);
}

PrometheusServer::~PrometheusServer() {
  if (process_) process_->stop();
}

ApiResponse PrometheusServer::get(std::string_view path) const {
  HttpResponse r = http_get(port_, path, std::chrono::seconds(10));
  return ApiResponse(r.status, std::move(r.body));
}

ApiResponse PrometheusServer::query(std::string_view promql) const {
  return get("/api/v1/query?query=" + url_encode(promql));
}

ApiResponse PrometheusServer::wait_for_samples(std::string_view promql,
                                               std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    ApiResponse r = query(promql);
    if (!r.samples().empty() || Clock::now() > deadline) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace emosweep::metrics::testing
