// The calling process's threads with a given name, and their scheduling policies, as the
// kernel reports them (/proc/self/task/<tid>/stat, field 41).
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace emosweep::orchestrator::testing {

inline std::vector<int> policies_of_threads_named(const std::string& name) {
  std::vector<int> policies;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string thread_name;
    std::getline(comm, thread_name);
    if (thread_name != name) continue;
    std::ifstream stat_file(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), {});
    // Fields after the parenthesised name, which may itself hold spaces: state is field 3.
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 41 && rest >> field; ++i)
      if (i == 41) policies.push_back(std::stoi(field));
  }
  return policies;
}

// Threads name themselves once they run: waits (up to 10 s) until `count` carry the name.
inline std::vector<int> policies_of_started_threads(const std::string& name, std::size_t count) {
  auto policies = policies_of_threads_named(name);
  for (int i = 0; i < 10'000 && policies.size() < count; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    policies = policies_of_threads_named(name);
  }
  return policies;
}

}  // namespace emosweep::orchestrator::testing
