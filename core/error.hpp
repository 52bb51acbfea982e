// Error types and process exit codes shared by every emosweep library.
#pragma once

#include <stdexcept>
#include <string>

namespace emosweep {

// Exit codes are a contract (DESIGN.md §4): scripts and CI jobs branch on them.
enum class ExitCode : int {
  ok = 0,
  failure = 1,       // anything unexpected
  bad_input = 2,     // bad usage, configuration or input; nothing was sent
  partial = 3,       // finished, but some items failed permanently
  interrupted = 130  // SIGINT/SIGTERM after a clean drain
};

// Bad input from the user: a file, row, key or field at fault. The message is one line that
// names the culprit; the CLI prints it as is and exits with ExitCode::bad_input.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace emosweep
