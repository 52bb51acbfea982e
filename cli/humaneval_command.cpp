// `emosweep humaneval` (being built).
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

namespace emosweep::cli {

void add_humaneval_command(CLI::App& /*app*/, Action& /*action*/) {}

}  // namespace emosweep::cli
