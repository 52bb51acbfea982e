// `emosweep mock-provider` as a child process: --port-file, the "listening" line, a real
// request, a clean exit 0 on SIGTERM and SIGINT, and exit 2 with one line on bad options.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/providers/mock_test_client.hpp"
#include "tests/support/process.hpp"

extern char** environ;

namespace emosweep::providers {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

fs::path temp_path(const std::string& name) {
  return fs::temp_directory_path() /
         ("emosweep_mock_cli_" + std::to_string(::getpid()) + "_" + name);
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The mock provider as a child process, killed (SIGKILL) if a test leaves it running.
class Child {
 public:
  explicit Child(std::vector<std::string> args, const fs::path& out) {
    args.insert(args.begin(), EMOSWEEP_BIN);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&pid_, EMOSWEEP_BIN, &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }

  // Sends `signal` and waits (bounded) for the exit; the exit code, or -1 on a timeout or a
  // death by signal.
  int stop(int signal, std::chrono::milliseconds limit = 10s) {
    ::kill(pid_, signal);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

// Waits (bounded) for the port file to hold a port.
std::uint16_t wait_for_port(const fs::path& port_file) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file);
    unsigned port = 0;
    if (in >> port && port > 0) return static_cast<std::uint16_t>(port);
    std::this_thread::sleep_for(20ms);
  }
  return 0;
}

TEST(MockProviderCli, ServesOnTheAdvertisedPortAndStopsCleanlyOnSignals) {
  ASSERT_TRUE(fs::exists(EMOSWEEP_BIN)) << "build the emosweep target first";
  for (int signal : {SIGTERM, SIGINT}) {
    SCOPED_TRACE(signal);
    const fs::path port_file = temp_path("port");
    const fs::path out = temp_path("out");
    fs::remove(port_file);
    Child child({"mock-provider", "--listen", "127.0.0.1:0", "--port-file", port_file.string(),
                 "--threads", "2", "--seed", "3", "--rpm", "1000", "--dialect", "openai"},
                out);
    ASSERT_GT(child.pid(), 0);
    const std::uint16_t port = wait_for_port(port_file);
    ASSERT_NE(port, 0) << "no port file";

    const auto reply = mocktest::fetch(
        port, "POST", "/v1/chat/completions",
        mocktest::openai_body("gpt-4o", "Text:\nI was <mask> and <mask>.\n\nAnswer:"));
    ASSERT_FALSE(reply.error) << reply.error.message();
    EXPECT_EQ(reply.status, 200u) << reply.body;
    EXPECT_EQ(reply.header("x-ratelimit-limit-requests"), "1000");
    EXPECT_EQ(mocktest::fetch(port, "POST", "/v1/messages", "{}").status, 404u);
    const auto stats = mocktest::fetch(port, "GET", "/stats?summary=1");
    EXPECT_NE(stats.body.find("\"requests\":2"), std::string::npos) << stats.body;

    EXPECT_EQ(child.stop(signal), 0);
    EXPECT_EQ(slurp(out), "mock-provider listening on 127.0.0.1:" + std::to_string(port) + "\n");
    EXPECT_TRUE(mocktest::fetch(port, "GET", "/health").error);  // really gone
    fs::remove(port_file);
    fs::remove(out);
  }
}

TEST(MockProviderCli, BadOptionsExitTwoWithOneLineNamingTheOption) {
  const std::string bin = testing::shell_quote(EMOSWEEP_BIN);
  const std::pair<std::string, std::string> cases[] = {
      {"--latency bogus", "--latency"},
      {"--fault 501=0.1", "--fault"},
      {"--fault 500=0.7,503=0.7", "--fault"},
      {"--dialect azure", "--dialect"},
      {"--listen nowhere", "--listen"},
      {"--answers /nonexistent/answers.jsonl", "/nonexistent/answers.jsonl"},
  };
  // A port that is taken: binding it fails.
  mocktest::asio::io_context ioc;
  mocktest::asio::ip::tcp::acceptor taken(ioc, {mocktest::asio::ip::make_address("127.0.0.1"), 0});
  const std::string busy = "--listen 127.0.0.1:" + std::to_string(taken.local_endpoint().port());
  EXPECT_EQ(testing::run_command(bin + " mock-provider " + busy).exit_code, 2);
  for (const auto& [args, culprit] : cases) {
    SCOPED_TRACE(args);
    const auto r = testing::run_command(bin + " mock-provider " + args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(r.err.starts_with("emosweep: error: ")) << r.err;
    EXPECT_NE(r.err.find(culprit), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

}  // namespace
}  // namespace emosweep::providers
