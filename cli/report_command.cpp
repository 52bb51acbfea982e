// `emosweep report` (being built).
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

namespace emosweep::cli {

void add_report_command(CLI::App& /*app*/, Action& /*action*/) {}

}  // namespace emosweep::cli
