// Test support: child processes (started with fork/exec, killed, waited for with a deadline),
// a tiny blocking HTTP/1.1 GET/POST for loopback servers, and temporary directories.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace emosweep::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    path_ =
        std::filesystem::temp_directory_path() /
        ("emosweep_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path path_;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A child process; killed (SIGKILL) and reaped on destruction if still running.
class Child {
 public:
  // Runs argv[0] (a path) with stdout and stderr appended to `log` (or /dev/null).
  Child(const std::vector<std::string>& argv, const std::string& log = "/dev/null",
        const std::vector<std::string>& extra_env = {}) {
    pid_ = ::fork();
    if (pid_ == 0) {
      // Servers started by a test die with it, even when the test itself is killed.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      const int null = ::open("/dev/null", O_RDONLY);
      if (null >= 0) ::dup2(null, 0);
      for (const auto& e : extra_env)
        ::putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> args;
      for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      int status;
      ::waitpid(pid_, &status, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) { ::kill(pid_, sig); }
  // Waits up to `timeout`; returns the exit code (128 + signal when killed), or nullopt.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    if (exit_code_) return exit_code_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_code_;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  bool running() { return !wait(std::chrono::milliseconds(0)).has_value(); }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

struct HttpReply {
  int status = 0;
  std::string body;
};

// One request on a fresh connection to 127.0.0.1:port ("Connection: close").
inline HttpReply http_request(std::uint16_t port, const std::string& method,
                              const std::string& target, const std::string& body = "") {
  HttpReply reply;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return reply;
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!body.empty() || method == "POST")
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string raw;
  char buf[65536];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
    raw.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  const auto sp = raw.find(' ');
  if (sp != std::string::npos) reply.status = std::atoi(raw.c_str() + sp + 1);
  const auto head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return reply;
  std::string head = raw.substr(0, head_end);
  std::string rest = raw.substr(head_end + 4);
  for (auto& c : head)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (head.find("transfer-encoding: chunked") != std::string::npos) {
    std::size_t pos = 0;
    while (pos < rest.size()) {
      const auto eol = rest.find("\r\n", pos);
      if (eol == std::string::npos) break;
      const std::size_t len = std::stoul(rest.substr(pos, eol - pos), nullptr, 16);
      if (len == 0) break;
      reply.body += rest.substr(eol + 2, len);
      pos = eol + 2 + len + 2;
    }
  } else {
    reply.body = rest;
  }
  return reply;
}

// Polls until `path` exists and is non-empty; returns its content (or "" on timeout).
inline std::string wait_for_file(const std::string& path, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(path)) {
      auto s = slurp(path);
      if (!s.empty() && s.back() == '\n') return s;
      if (!s.empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return slurp(path);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "";
}

// Peak resident memory of terminated children, in bytes.
inline long children_peak_rss_bytes() {
  rusage u{};
  ::getrusage(RUSAGE_CHILDREN, &u);
  return u.ru_maxrss * 1024L;
}

}  // namespace emosweep::testing
